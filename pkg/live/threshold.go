package live

import (
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report"
)

// thresholds judges a run's thresholds that have an abort on its live
// figures (Totals.Bound), and says when one has been broken for its
// abort.after.
type thresholds struct {
	ths   []events.Threshold
	since []time.Duration // when each was first seen broken; -1 while it holds
}

// newThresholds returns the judge of the thresholds of ths that have an
// abort and can be judged live (run-wide p99 and error_ratio, as Validate
// accepts), or nil when none has.
func newThresholds(ths []events.Threshold) *thresholds {
	var w thresholds
	for _, t := range ths {
		if t.Abort != nil && t.Target == "" && t.Step == 0 &&
			(t.Metric == events.MetricP99 || t.Metric == events.MetricErrorRatio) {
			w.ths = append(w.ths, t)
			w.since = append(w.since, -1)
		}
	}
	if len(w.ths) == 0 {
		return nil
	}
	return &w
}

// judge looks at the run's figures t, at elapsed time at into the run, and
// returns a description of the first threshold that has now been broken
// for its abort.after, or "".
func (w *thresholds) judge(t Totals, at time.Duration) string {
	for i, th := range w.ths {
		actual, ok := t.Bound(th.Metric)
		if !ok || events.Holds(actual, th.OpOrDefault(), th.Value.Float()) {
			w.since[i] = -1
			continue
		}
		if w.since[i] < 0 {
			w.since[i] = at
		}
		if after := th.Abort.After.D(); at-w.since[i] >= after {
			return fmt.Sprintf("threshold %s %s %s broken for %s (%s so far): stopping the run",
				th.Metric, th.OpOrDefault(), th.Value, after, report.FormatValue(th.Metric, actual))
		}
	}
	return ""
}
