package reduce

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

// HlogFile is the run folder's HdrHistogram interval log.
const HlogFile = "report.hlog"

// hlog builds a run's report.hlog while report.Builder merges its seconds:
// one interval per point of the time series, the latencies (from the
// intended send) that completed in that second on every shard, merged
// exactly. Finish hands over each second's histogram as soon as it is
// merged and reuses it, so no more than one second is ever decoded; the
// log itself is held as text (a few hundred bytes to a few KiB a second).
//
// Each target's seconds follow as tagged intervals (Tag=the target's name,
// hist.LogTag), held in a second buffer until the untagged ones are all
// written: HistogramLogProcessor reads the untagged intervals unless given
// -tag NAME. The shards keep seconds per target for runs of 2 to 16
// targets only (events.SeriesPoint.TargetLatency).
type hlog struct {
	run    string
	base   int64
	buf    bytes.Buffer
	w      *hist.LogWriter
	tagged bytes.Buffer
	tw     *hist.LogWriter
	err    error // the first error; later seconds are skipped
}

// hlogHeader is the log's comment lines (see hist.LogWriter for the rest).
var hlogHeader = []string{
	"[barrage run %s: latency from the intended send, all targets, merged over shards]",
	"[values in microseconds: HistogramLogProcessor -outputValueUnitRatio 1000 reads milliseconds]",
	"[one interval per second of report.json time_series; timestamp = elapsed_s; Interval_Max in seconds]",
	"[then per target (runs of 2 to 16 targets): Tag=target name, commas and spaces as _; HistogramLogProcessor -tag NAME]",
}

// start writes the header. The base time is the second the run started in,
// which is also the origin of the time series' elapsed_s.
func (l *hlog) start(base int64) {
	comments := append([]string{fmt.Sprintf(hlogHeader[0], l.run)}, hlogHeader[1:]...)
	l.base = base
	l.w, l.err = hist.NewLogWriter(&l.buf, time.Unix(base, 0), time.Unix(base, 0), comments...)
}

// second writes p's second (report.Input.Second).
func (l *hlog) second(p events.SeriesReport, lat *hist.Histogram) {
	if l.w == nil && l.err == nil {
		l.start(p.T - p.ElapsedS)
	}
	if l.err == nil {
		l.err = l.w.Interval(time.Unix(p.T, 0), time.Second, lat)
	}
}

// targetSecond writes target's latencies in p's second as a tagged
// interval (report.Input.TargetSecond, called after second).
func (l *hlog) targetSecond(p events.SeriesReport, target string, lat *hist.Histogram) {
	if l.err != nil || l.w == nil {
		return
	}
	if l.tw == nil {
		l.tw = hist.NewTaggedLogWriter(&l.tagged, time.Unix(l.base, 0))
	}
	l.err = l.tw.TaggedInterval(time.Unix(p.T, 0), time.Second, lat, target)
}

// put stores the log of the report r (a header alone when r has no
// seconds, with the Unix epoch for a start when no shard started), or
// returns the first error met writing it.
func (l *hlog) put(ctx context.Context, st store.Store, r *events.Report) error {
	if l.w == nil && l.err == nil {
		l.start(max(r.StartedAt.Unix(), 0)) // the log cannot write a time before 1970
	}
	if l.err != nil {
		return fmt.Errorf("%s of run %s: %w", HlogFile, l.run, l.err)
	}
	l.buf.Write(l.tagged.Bytes())
	if err := st.Put(ctx, store.ReportFile(l.run, HlogFile), l.buf.Bytes(), store.PutOptions{ContentType: "text/plain"}); err != nil {
		return fmt.Errorf("store %s of run %s: %w", HlogFile, l.run, err)
	}
	return nil
}
