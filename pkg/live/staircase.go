package live

import (
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
)

// A find-max staircase goes on "until an SLO breaks": once a step has
// clearly broken it, the steps above would only hammer a target already
// past its capacity. staircase sees each shard's live intervals and picks
// the step to stop after; the run then ends at that step's end, so the
// reducer judges the broken step whole (the exact verdicts are the
// report's: this only decides when to stop) and the steps after it are
// "not-run".
//
// Clearly broken, from the step's live intervals after its settle time:
// the last two intervals (of any shard) each had a p99 above twice the
// SLO's p99, or the intervals so far (with at least 20 requests) failed
// more than twice the SLO's error ratio. Twice, because live figures are
// per shard and per interval (about a second), and a borderline step is for
// the reducer to judge, not for the live view to cut short.
type staircase struct {
	steps  []events.Step
	settle time.Duration
	slo    events.SLO

	ivs    map[int][]events.ShardProgress // the intervals of each step, by index in steps
	broken bool
}

// newStaircase returns the judge of a find-max load, or nil for another.
func newStaircase(l events.Load) *staircase {
	if l.Shape != events.ShapeFindMax || l.FindMax == nil {
		return nil
	}
	return &staircase{steps: l.Steps(), settle: l.FindMax.SettleTime(), slo: l.FindMax.SLO, ivs: map[int][]events.ShardProgress{}}
}

// add adds one shard's progress; it returns the step that broke, and why,
// the first time one does.
func (w *staircase) add(p events.ShardProgress) (events.Step, string, bool) {
	if w == nil || w.broken || p.IntervalRequests == 0 {
		return events.Step{}, "", false
	}
	mid := p.Elapsed.D() - 500*time.Millisecond // the middle of a one-second interval
	for i, s := range w.steps {
		if s.Warmup || mid < s.From+w.settle || mid >= s.To {
			continue
		}
		w.ivs[i] = append(w.ivs[i], p)
		if why := w.judge(w.ivs[i]); why != "" {
			w.broken = true
			return s, why, true
		}
	}
	return events.Step{}, "", false
}

// judge says why a step whose intervals so far are ivs clearly broke the
// SLO, or "".
func (w *staircase) judge(ivs []events.ShardProgress) string {
	if lim := w.slo.P99.D(); lim > 0 && len(ivs) >= 2 {
		over := true
		for _, s := range ivs[len(ivs)-2:] {
			over = over && s.IntervalP99.D() > 2*lim
		}
		if over {
			return fmt.Sprintf("p99 above %s for 2 s", 2*lim)
		}
	}
	var req, ok int64
	for _, s := range ivs {
		req, ok = req+s.IntervalRequests, ok+s.IntervalSuccess
	}
	if lim := w.slo.ErrorRatioLimit(); req >= 20 && float64(req-ok)/float64(req) > 2*lim {
		return fmt.Sprintf("%.1f%% of requests failed", 100*float64(req-ok)/float64(req))
	}
	return ""
}
