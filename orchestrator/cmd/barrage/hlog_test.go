package main

import (
	"os"
	"path/filepath"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/barrage-load/barrage/events"
)

// checkHlog reads the run folder dir's report.hlog with hdrhistogram-go's
// log reader: one interval per second of rep's time_series, at its time,
// holding its requests' latencies (those of successes and timeouts: a
// request that failed otherwise has none).
func checkHlog(t *testing.T, dir string, rep *events.Report) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "report.hlog"))
	if err != nil {
		t.Errorf("run folder lacks report.hlog: %v", err)
		return
	}
	defer f.Close()
	rd := hdrhistogram.NewHistogramLogReader(f)
	var n, errs int64
	for i, p := range rep.TimeSeries {
		h, err := rd.NextIntervalHistogram()
		if err != nil || h == nil {
			t.Errorf("report.hlog: interval %d of %d: %v, %v", i, len(rep.TimeSeries), h, err)
			return
		}
		if c := h.TotalCount(); h.StartTimeMs() != p.T*1000 || c > p.Requests || c < p.Requests-p.Errors {
			t.Errorf("report.hlog: interval %d at %d ms with %d values; want second %d's %d requests (%d errors)",
				i, h.StartTimeMs(), c, p.T, p.Requests, p.Errors)
		}
		n += h.TotalCount()
		errs += p.Errors
	}
	if h, err := rd.NextIntervalHistogram(); h != nil || err != nil {
		t.Errorf("report.hlog: an interval past the time series: %v, %v", h, err)
	}
	if n > rep.Requests || n < rep.Requests-errs || n == 0 {
		t.Errorf("report.hlog: %d values; want the report's %d requests (%d errors)", n, rep.Requests, errs)
	}
}
