package live

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
)

// Metrics is a local run's live figures as Prometheus metrics (barrage
// run --metrics-addr): each shard's latest progress added up, labelled
// with the run's id, in Prometheus's text exposition format. Counters
// only grow: a shard's progress is cumulative, and a shard that ended
// keeps its last; when the run has its report, the report's counts
// (which every live count is a lower bound of) replace them. It is safe
// for concurrent use: the follow loop feeds it, scrapes read it.
type Metrics struct {
	mu     sync.Mutex
	run    string
	shards map[int]events.ShardProgress // the latest of each shard
	// running: the shards in the latest live list, whose rate and requests
	// in flight are current.
	running []int
	final   *events.Report
}

// NewMetrics returns Metrics with no run yet: they expose nothing.
func NewMetrics() *Metrics { return &Metrics{} }

// See records a status's live list of run (a new run's id starts afresh).
func (m *Metrics) See(run string, live []events.LiveShard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start(run)
	m.running = m.running[:0]
	for _, l := range live {
		if old, ok := m.shards[l.Shard]; !ok || l.T.After(old.T) {
			m.shards[l.Shard] = l.ShardProgress
		}
		m.running = append(m.running, l.Shard)
	}
}

// Final records the report of run: its counts replace the live ones, and
// nothing is in flight any more.
func (m *Metrics) Final(run string, rep *events.Report) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start(run)
	m.final, m.running = rep, nil
}

func (m *Metrics) start(run string) {
	if run != m.run || m.shards == nil {
		m.run, m.shards, m.running, m.final = run, map[int]events.ShardProgress{}, nil, nil
	}
}

// figures are the run's metrics, added up.
type figures struct {
	sent, requests, failed, dropped, late, inflight int64
	rate                                            float64
	classes                                         [errclass.NumClasses]int64
	buckets                                         [len(events.LatencyBucketsMs)]int64
	latCount                                        int64
	latSum                                          float64 // ms
}

func (m *Metrics) figures() figures {
	var f figures
	for _, p := range m.shards {
		f.sent += p.Sent
		f.requests += p.Requests
		f.failed += p.FailedOrErrors()
		f.dropped += p.Dropped
		f.late += p.DroppedLate
		for name, n := range p.ErrorClasses {
			if c, ok := errclass.Parse(name); ok {
				f.classes[c] += n
			}
		}
		if l := p.Latency; l != nil && len(l.Counts) == len(f.buckets) {
			for i, n := range l.Counts {
				f.buckets[i] += n
			}
			f.latCount += l.Count
			f.latSum += l.SumMs
		}
	}
	for _, i := range m.running {
		f.rate += m.shards[i].Rate
		f.inflight += m.shards[i].Inflight
	}
	if r := m.final; r != nil {
		f.requests, f.failed, f.dropped, f.late = r.Requests, r.Requests-r.Success, r.Dropped, r.DroppedLate
		f.sent = max(f.sent, r.Requests)
		f.classes = [errclass.NumClasses]int64{}
		for name, n := range r.Errors {
			if c, ok := errclass.Parse(name); ok {
				f.classes[c] += n
			}
		}
	}
	return f
}

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteText writes the metrics in Prometheus's text exposition format;
// nothing before a run is seen.
func (m *Metrics) WriteText(w io.Writer) error {
	m.mu.Lock()
	run, f := m.run, m.figures()
	m.mu.Unlock()
	if run == "" {
		return nil
	}
	b := bufio.NewWriter(w)
	lbl := `run_id="` + escapeLabel(run) + `"`
	metric := func(name, typ, help string, v float64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n%s{%s} %s\n", name, help, name, typ, name, lbl, num(v))
	}
	metric("barrage_requests_sent_total", "counter", "Requests started.", float64(f.sent))
	metric("barrage_requests_total", "counter", "Requests completed.", float64(f.requests))
	metric("barrage_requests_succeeded_total", "counter", "Requests completed with a success (2xx or 3xx, or an expected status).", float64(f.requests-f.failed))
	metric("barrage_requests_failed_total", "counter", "Requests completed without a success: transport errors and other statuses.", float64(f.failed))
	fmt.Fprintf(b, "# HELP barrage_errors_total Requests that failed in transport, by error class.\n# TYPE barrage_errors_total counter\n")
	for c := errclass.Class(1); c < errclass.NumClasses; c++ {
		fmt.Fprintf(b, "barrage_errors_total{%s,class=%q} %d\n", lbl, c.String(), f.classes[c])
	}
	metric("barrage_dropped_total", "counter", "Arrivals not sent: every slot busy, or reached too late.", float64(f.dropped))
	metric("barrage_dropped_late_total", "counter", "Arrivals not sent because they were reached too late (among barrage_dropped_total).", float64(f.late))
	metric("barrage_inflight", "gauge", "Requests in flight.", float64(f.inflight))
	metric("barrage_rate", "gauge", "Requests sent per second over the running shards' last interval.", f.rate)
	fmt.Fprintf(b, "# HELP barrage_latency_seconds Latency from the intended send, of the requests that got a response or timed out.\n# TYPE barrage_latency_seconds histogram\n")
	for i, le := range events.LatencyBucketsMs {
		fmt.Fprintf(b, "barrage_latency_seconds_bucket{%s,le=\"%s\"} %d\n", lbl, num(le/1000), f.buckets[i])
	}
	fmt.Fprintf(b, "barrage_latency_seconds_bucket{%s,le=\"+Inf\"} %d\n", lbl, f.latCount)
	fmt.Fprintf(b, "barrage_latency_seconds_sum{%s} %s\n", lbl, num(f.latSum/1000))
	fmt.Fprintf(b, "barrage_latency_seconds_count{%s} %d\n", lbl, f.latCount)
	return b.Flush()
}

// ServeHTTP answers GET (and HEAD) with the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	m.WriteText(w)
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// escapeLabel escapes a label value as the text format wants: backslash,
// double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

var _ http.Handler = (*Metrics)(nil)
