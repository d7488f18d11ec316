package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/barrage-load/barrage/events"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use (the run's
// stderr).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// scrapeMetrics reads url and parses it with Prometheus's parser: the
// value of each series of the families wanted, by family name (counters
// and gauges; a histogram's count), and of barrage_errors_total added up
// over its classes.
func scrapeMetrics(t *testing.T, url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q; want the text format", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name] += m.Counter.GetValue()
			case dto.MetricType_GAUGE:
				out[name] += m.Gauge.GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name] += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out, nil
}

// TestMetricsScrapedMidRun: a local run of 20/s for 3 s against a server
// on 127.0.0.1 with --metrics-addr 127.0.0.1:0. Scraped while it runs,
// the counters never go down and are seen between zero and the end; once
// the run has its report, they are the report's counts. Nothing here is
// timed: the scrapes are bounded in number, not in time.
func TestMetricsScrapedMidRun(t *testing.T) {
	srv, hits := countingServer(t)
	var stderr lockedBuffer
	ms, err := serveMetrics("127.0.0.1:0", &stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if !strings.Contains(stderr.b.String(), "metrics: "+ms.url+"\n") || !strings.HasPrefix(ms.url, "http://127.0.0.1:") {
		t.Errorf("stderr %q; want the metrics URL on 127.0.0.1", stderr.b.String())
	}
	f := &runFlags{json: true, quiet: true, out: t.TempDir(), specName: "flags", metrics: ms.m}
	s := events.RunSpec{Targets: []events.Target{{URL: srv.URL + "/"}}, Duration: events.Duration(3 * time.Second),
		Load: events.Load{Shape: events.ShapeConstant, Rate: 20}}
	b, stop, err := localBackend(&s, f, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var stdout bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runOn(b, s, f, nil, &stdout, &stderr) }()

	var seen []float64 // barrage_requests_total, scrape by scrape
	var last map[string]float64
	runErr := func(err error) {
		if err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.b.String())
		}
	}
scrapes:
	for i := 0; ; i++ { // 20 ms apart until the run ends, at most 2,000
		if i == 2000 {
			runErr(<-done)
			break
		}
		select {
		case err := <-done:
			runErr(err)
			break scrapes
		case <-time.After(20 * time.Millisecond):
		}
		got, err := scrapeMetrics(t, ms.url)
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		if n, ok := got["barrage_requests_total"]; ok {
			for name, v := range got {
				if strings.HasSuffix(name, "_total") && v < last[name] {
					t.Errorf("scrape %d: %s went down from %v to %v", i, name, last[name], v)
				}
			}
			seen, last = append(seen, n), got
		}
	}
	var rep events.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s", err, stdout.String())
	}
	if rep.Requests == 0 || hits.Load() != rep.Requests {
		t.Fatalf("report: %d requests, the server saw %d", rep.Requests, hits.Load())
	}
	between := 0
	for _, n := range seen {
		if n > 0 && n < float64(rep.Requests) {
			between++
		}
	}
	if between == 0 {
		t.Errorf("requests_total scraped during the run: %v; want some between 0 and the report's %d", seen, rep.Requests)
	}

	// The run has its report: the counters are its counts.
	end, err := scrapeMetrics(t, ms.url)
	if err != nil {
		t.Fatal(err)
	}
	var errs int64
	for _, n := range rep.Errors {
		errs += n
	}
	for name, want := range map[string]float64{
		"barrage_requests_total":           float64(rep.Requests),
		"barrage_requests_succeeded_total": float64(rep.Success),
		"barrage_requests_failed_total":    float64(rep.Requests - rep.Success),
		"barrage_errors_total":             float64(errs),
		"barrage_dropped_total":            float64(rep.Dropped),
		"barrage_dropped_late_total":       float64(rep.DroppedLate),
		"barrage_inflight":                 0,
	} {
		if got := end[name]; got != want {
			t.Errorf("after the run: %s = %v; want %v (the report's)", name, got, want)
		}
	}
	if sent, lat := end["barrage_requests_sent_total"], end["barrage_latency_seconds"]; sent < float64(rep.Requests) || lat == 0 || lat > float64(rep.Requests) {
		t.Errorf("after the run: %v sent, %v latencies; want at least the report's %d requests, and some latencies but not more",
			sent, lat, rep.Requests)
	}
}
