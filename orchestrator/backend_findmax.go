package orchestrator

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
)

// A find-max staircase goes on "until an SLO breaks": once a step has
// clearly broken it, the steps above would only hammer a target already
// past its capacity. stepWatch sees each shard's live interval figures and
// picks the step to stop after; the run then ends at that step's end, so
// the reducer judges the broken step whole (the exact verdicts are the
// report's: this only decides when to stop) and the steps after it are
// "not-run".
//
// Clearly broken, from the step's live seconds after its settle time:
// the last two seconds (of any shard) each had an interval p99 above
// twice the SLO's p99, or the seconds so far (with at least 20 requests)
// failed more than twice the SLO's error ratio. Twice, because live
// figures are per shard and per second, and a borderline step is for the
// reducer to judge, not for the watch to cut short.
type stepWatch struct {
	steps  []events.Step
	settle time.Duration
	slo    events.SLO

	secs   map[int][]liveSecond // by step index in steps
	broken bool
}

type liveSecond struct {
	requests, success int64
	p99               time.Duration
}

// newStepWatch returns the watch of a find-max load, or nil for another.
func newStepWatch(l events.Load) *stepWatch {
	if l.Shape != events.ShapeFindMax || l.FindMax == nil {
		return nil
	}
	return &stepWatch{steps: l.Steps(), settle: l.FindMax.SettleTime(), slo: l.FindMax.SLO, secs: map[int][]liveSecond{}}
}

// update adds one shard's progress (its elapsed time from the run's
// start); it returns the step that broke, and why, the first time one
// does.
func (w *stepWatch) update(l ShardLive) (events.Step, string, bool) {
	if w == nil || w.broken || l.IntervalRequests == 0 {
		return events.Step{}, "", false
	}
	mid := seconds(l.ElapsedS) - 500*time.Millisecond // the middle of the interval
	for i, s := range w.steps {
		if s.Warmup || mid < s.From+w.settle || mid >= s.To {
			continue
		}
		w.secs[i] = append(w.secs[i], liveSecond{l.IntervalRequests, l.IntervalSuccess, millis(l.IntervalP99Ms)})
		if why := w.judge(w.secs[i]); why != "" {
			w.broken = true
			return s, why, true
		}
	}
	return events.Step{}, "", false
}

func (w *stepWatch) judge(secs []liveSecond) string {
	if lim := w.slo.P99.D(); lim > 0 && len(secs) >= 2 {
		over := true
		for _, s := range secs[len(secs)-2:] {
			over = over && s.p99 > 2*lim
		}
		if over {
			return fmt.Sprintf("p99 above %s for 2 s", 2*lim)
		}
	}
	var req, ok int64
	for _, s := range secs {
		req, ok = req+s.requests, ok+s.success
	}
	if lim := w.slo.ErrorRatioLimit(); req >= 20 && float64(req-ok)/float64(req) > 2*lim {
		return fmt.Sprintf("%.1f%% of requests failed", 100*float64(req-ok)/float64(req))
	}
	return ""
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
func millis(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// searchMax narrows a find-max run's conclusion by binary search, when its
// spec asks for find_max.search steps and the staircase ended on a broken
// SLO: each search step is a run of its own through runSeg (the backend the
// staircase ran on), a warm-up and one step at the middle of the last
// passing and the first failing rate, judged as the staircase's steps are.
// A step that passes raises the lower bound, one that fails lowers the upper
// one; a step the generator limited, or that could not be judged, ends the
// search, since it says nothing about the target. rep.FindMax gets the
// steps and the narrowed rates; searchMax reports whether it changed rep.
func searchMax(s events.RunSpec, rep *events.Report, runSeg func(events.RunSpec) (*events.Report, error), log io.Writer) (bool, error) {
	f, fm := s.Load.FindMax, rep.FindMax
	if s.Load.Shape != events.ShapeFindMax || f == nil || f.Search == 0 || fm == nil {
		return false, nil
	}
	if fm.StoppedBy != events.StoppedBySLO || fm.FirstFailingRate <= 0 {
		fmt.Fprintf(log, "find-max: no binary search: the staircase ended %s, not on a broken SLO\n", fm.StoppedBy)
		return false, nil
	}
	good, bad := fm.MaxSustainableRate, fm.FirstFailingRate
	note := ""
	for i := 1; i <= f.Search; i++ {
		mid := (good + bad) / 2
		seg := s
		seg.Name = fmt.Sprintf("%s (find-max search %d of %d)", s.Name, i, f.Search)
		seg.Thresholds = nil
		seg.Duration = 0
		ff := *f
		ff.Start, ff.Max, ff.Search = mid, mid, 0
		ff.Warmup = events.Duration(min(f.Warmup.D(), f.Step.D()))
		seg.Load = events.Load{Shape: events.ShapeFindMax, FindMax: &ff}
		fmt.Fprintf(log, "find-max: search %d of %d at %s/s (between %s/s and %s/s)\n", i, f.Search,
			rateStr(mid), rateStr(good), rateStr(bad))
		r, err := runSeg(seg.WithDefaults())
		if err != nil {
			return len(fm.Search) > 0, fmt.Errorf("find-max search %d: %w", i, err)
		}
		var step *events.StepReport
		for k := range r.Steps {
			if r.Steps[k].Kind == "step" {
				step = &r.Steps[k]
			}
		}
		if step == nil {
			note = fmt.Sprintf(" The search stopped at %s/s: its run reported no step.", rateStr(mid))
			break
		}
		fm.Search = append(fm.Search, events.SearchStep{RunID: r.RunID, StepReport: *step})
		switch step.Verdict {
		case events.VerdictPass:
			good = mid
		case events.VerdictFail:
			bad = mid
		default:
			note = fmt.Sprintf(" The search stopped at %s/s, whose step was %s.", rateStr(mid), step.Verdict)
		}
		if note != "" {
			break
		}
	}
	if n := len(fm.Search); n > 0 {
		fm.Conclusion = strings.TrimSuffix(fm.Conclusion, ".") + fmt.Sprintf(". A binary search of %d run(s) narrowed it to %s/s sustained, the SLO broken at %s/s.%s",
			n, rateStr(good), rateStr(bad), note)
		fm.MaxSustainableRate, fm.FirstFailingRate = good, bad
		return true, nil
	}
	return false, nil
}

func rateStr(v float64) string { return fmt.Sprintf("%.6g", v) }
