package live

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/barrage-load/barrage/events"
)

// scrape parses m's text exposition with Prometheus's own parser.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, b.String())
	}
	return fams
}

// value is the value of family name's series whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
	}
next:
	for _, mt := range f.Metric {
		have := map[string]string{}
		for _, l := range mt.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case mt.Counter != nil:
			return mt.Counter.GetValue()
		case mt.Gauge != nil:
			return mt.Gauge.GetValue()
		}
	}
	t.Fatalf("%s has no series with labels %v", name, want)
	return 0
}

func progress(t time.Time, sent, requests, failed int64, classes map[string]int64, lat []int64, n int64) events.ShardProgress {
	var errs int64
	for _, k := range classes {
		errs += k
	}
	return events.ShardProgress{T: t, Sent: sent, Requests: requests, Failed: failed, Errors: errs, Dropped: 2, DroppedLate: 1,
		Inflight: 3, Rate: 10, ErrorClasses: classes,
		Latency: &events.LatencyBuckets{Counts: lat, Count: n, SumMs: 50 * float64(n)}}
}

// TestMetrics: two shards' progress add up, labelled with the run's id,
// in Prometheus's text format as its parser reads it; a shard that left
// the live list keeps its counts but no longer adds to the rate and the
// requests in flight; the report's counts replace the live ones.
func TestMetrics(t *testing.T) {
	m := NewMetrics()
	if fams := scrape(t, m); len(fams) != 0 {
		t.Errorf("before a run: %d families; want none", len(fams))
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	lat := func(n int64) []int64 { // n latencies of 50 ms: in the buckets from 50 ms up
		c := make([]int64, len(events.LatencyBucketsMs))
		for i, le := range events.LatencyBucketsMs {
			if le >= 50 {
				c[i] = n
			}
		}
		return c
	}
	m.See("run-\"1\"", []events.LiveShard{
		{Shard: 0, ShardProgress: progress(t0, 12, 10, 1, map[string]int64{"timeout": 1}, lat(10), 10)},
		{Shard: 1, ShardProgress: progress(t0, 22, 20, 3, map[string]int64{"connect_refused": 2}, lat(18), 18)},
	})
	fams := scrape(t, m)
	run := []string{"run_id", `run-"1"`}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"barrage_requests_sent_total", nil, 34},
		{"barrage_requests_total", nil, 30},
		{"barrage_requests_succeeded_total", nil, 26},
		{"barrage_requests_failed_total", nil, 4},
		{"barrage_errors_total", []string{"class", "timeout"}, 1},
		{"barrage_errors_total", []string{"class", "connect_refused"}, 2},
		{"barrage_errors_total", []string{"class", "dns"}, 0},
		{"barrage_dropped_total", nil, 4},
		{"barrage_dropped_late_total", nil, 2},
		{"barrage_inflight", nil, 6},
		{"barrage_rate", nil, 20},
	} {
		if got := value(t, fams, tc.name, append(run, tc.labels...)...); got != tc.want {
			t.Errorf("%s%v = %v; want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	h := fams["barrage_latency_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 28 || h.GetSampleSum() != 28*0.05 || len(h.Bucket) != len(events.LatencyBucketsMs)+1 {
		t.Errorf("latency histogram: count %d sum %v, %d buckets; want 28, 1.4, %d and +Inf", h.GetSampleCount(), h.GetSampleSum(),
			len(h.Bucket), len(events.LatencyBucketsMs))
	}
	for _, b := range h.Bucket {
		want := uint64(0)
		if b.GetUpperBound() >= 0.05 {
			want = 28
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d; want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}

	// Shard 1 ended (it left the live list); shard 0 went on.
	m.See("run-\"1\"", []events.LiveShard{{Shard: 0, ShardProgress: progress(t0.Add(time.Second), 40, 38, 1, map[string]int64{"timeout": 1}, lat(37), 37)}})
	fams = scrape(t, m)
	if got, want := value(t, fams, "barrage_requests_total", run...), 58.0; got != want {
		t.Errorf("requests after shard 1 ended: %v; want %v", got, want)
	}
	if got := value(t, fams, "barrage_inflight", run...); got != 3 {
		t.Errorf("in flight after shard 1 ended: %v; want 3, shard 0's", got)
	}

	// The report: its counts, nothing in flight; the requests sent stay
	// the live count, above the report's completed ones.
	m.Final("run-\"1\"", &events.Report{Requests: 60, Success: 55, Dropped: 5, DroppedLate: 3, Errors: map[string]int64{"timeout": 1, "reset": 4}})
	fams = scrape(t, m)
	for name, want := range map[string]float64{"barrage_requests_total": 60, "barrage_requests_succeeded_total": 55,
		"barrage_requests_failed_total": 5, "barrage_dropped_total": 5, "barrage_dropped_late_total": 3,
		"barrage_inflight": 0, "barrage_rate": 0, "barrage_requests_sent_total": 62} {
		if got := value(t, fams, name, run...); got != want {
			t.Errorf("after the report: %s = %v; want %v", name, got, want)
		}
	}
	if got := value(t, fams, "barrage_errors_total", append(run, "class", "reset")...); got != 4 {
		t.Errorf("after the report: reset errors %v; want 4", got)
	}

	// A new run starts afresh.
	m.See("run-2", nil)
	if got := value(t, scrape(t, m), "barrage_requests_total", "run_id", "run-2"); got != 0 {
		t.Errorf("a new run: %v requests; want 0", got)
	}
}

// TestMetricsHTTP: GET answers the text format, other methods 405.
func TestMetricsHTTP(t *testing.T) {
	m := NewMetrics()
	m.See("r", nil)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != ContentType || !strings.Contains(rec.Body.String(), `barrage_requests_total{run_id="r"} 0`) {
		t.Errorf("GET: %d %q\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d; want 405", rec.Code)
	}
}
