package orchestrator

import (
	"fmt"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/prepare"
)

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
		// The segment is a spec the command line makes: it enters here.
		seg, err := prepare.Spec(seg)
		var r *events.Report
		if err == nil {
			r, err = runSeg(seg)
		}
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
