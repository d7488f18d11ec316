package reduce

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

// HlogFile is the run folder's HdrHistogram interval log.
const HlogFile = "report.hlog"

// putHlog writes run's report.hlog: one interval per second of r's time
// series, the latencies (from the intended send) that completed in that
// second on every shard of results, merged exactly.
func putHlog(ctx context.Context, st store.Store, run string, r *events.Report, results []*events.ShardResult) error {
	var b bytes.Buffer
	if err := writeHlog(&b, r, results); err != nil {
		return fmt.Errorf("interval log of run %s: %w", run, err)
	}
	if err := st.Put(ctx, store.ReportFile(run, HlogFile), b.Bytes(), store.PutOptions{ContentType: "text/plain"}); err != nil {
		return fmt.Errorf("store %s of run %s: %w", HlogFile, run, err)
	}
	return nil
}

// writeHlog writes the interval log of the report r built from results to
// b. Its base time is r.StartedAt's second, so an interval's timestamp is
// its time_series point's elapsed_s. The shards' per-second histograms
// stay encoded until their second is written: each second is merged into
// one reused histogram, so a long run never holds more than one decoded.
func writeHlog(b *bytes.Buffer, r *events.Report, results []*events.ShardResult) error {
	bySecond := map[int64][]events.Histogram{}
	for _, res := range results {
		for _, p := range res.Series {
			if len(p.Latency) > 0 {
				bySecond[p.T] = append(bySecond[p.T], p.Latency)
			}
		}
	}
	base := time.Unix(r.StartedAt.Unix(), 0)
	if len(r.TimeSeries) > 0 {
		base = time.Unix(min(base.Unix(), r.TimeSeries[0].T), 0)
	}
	w, err := hist.NewLogWriter(b, r.StartedAt, base,
		"[barrage run "+r.RunID+": latency from the intended send, all targets, merged over shards]",
		"[values in microseconds: HistogramLogProcessor -outputValueUnitRatio 1000 reads milliseconds]",
		"[one interval per second of report.json time_series, timestamps = elapsed_s; Interval_Max in seconds]")
	if err != nil {
		return err
	}
	h := hist.New()
	seconds := make([]int64, 0, len(r.TimeSeries))
	for _, p := range r.TimeSeries {
		seconds = append(seconds, p.T)
	}
	slices.Sort(seconds)
	for _, t := range seconds {
		h.Reset()
		for _, enc := range bySecond[t] {
			if err := hist.MergeEncoded(h, enc); err != nil {
				return fmt.Errorf("second %d: %w", t, err)
			}
		}
		if err := w.Interval(time.Unix(t, 0), time.Second, h); err != nil {
			return err
		}
	}
	return nil
}
