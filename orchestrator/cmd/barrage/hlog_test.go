package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/barrage-load/barrage/events"
)

// TestRunWritesHlog runs barrage locally against a test server and reads
// the run folder's report.hlog with hdrhistogram-go's log reader: one
// interval per second of report.json's time_series, at its time, holding
// its requests' latencies (those of successes and timeouts: a request that
// failed otherwise has none).
func TestRunWritesHlog(t *testing.T) {
	srv, _ := countingServer(t)
	out := t.TempDir()
	r := barrage(t, 30*time.Second, "run", "--target", srv.URL+"/x", "--rate", "50", "--duration", "2s",
		"--json", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s", err, r.stdout)
	}
	f, err := os.Open(filepath.Join(out, "runs", rep.RunID, "report.hlog"))
	if err != nil {
		t.Fatalf("run folder lacks report.hlog: %v", err)
	}
	defer f.Close()
	if len(rep.TimeSeries) == 0 || rep.Requests == 0 {
		t.Fatalf("%d seconds, %d requests: nothing to check", len(rep.TimeSeries), rep.Requests)
	}
	rd := hdrhistogram.NewHistogramLogReader(f)
	var n, errs int64
	for i, p := range rep.TimeSeries {
		h, err := rd.NextIntervalHistogram()
		if err != nil || h == nil {
			t.Fatalf("interval %d of %d: %v, %v", i, len(rep.TimeSeries), h, err)
		}
		if c := h.TotalCount(); h.StartTimeMs() != p.T*1000 || c > p.Requests || c < p.Requests-p.Errors {
			t.Errorf("interval %d: at %d ms with %d values; want second %d's %d requests (%d errors)", i, h.StartTimeMs(), c, p.T, p.Requests, p.Errors)
		}
		n += h.TotalCount()
		errs += p.Errors
	}
	if h, err := rd.NextIntervalHistogram(); h != nil || err != nil {
		t.Errorf("an interval past the time series: %v, %v", h, err)
	}
	if n > rep.Requests || n < rep.Requests-errs || n == 0 {
		t.Errorf("%d values in the log; want the report's %d requests (%d errors)", n, rep.Requests, errs)
	}
}
