package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/live"
	"github.com/barrage-load/barrage/pkg/plan"
)

// FollowSlack is how long following a run waits past its deadline and
// its reducer's longest time, for late clocks and the last status read.
const FollowSlack = time.Minute

// FollowDeadline is when following a run of plan p gives up: the plan's
// deadline (the schedule's end, plus the request timeout and a grace, when
// the reducer reports whatever has arrived), plus the longest the reducer
// may take (plan.ReduceTime: stack.ReducerTimeoutSeconds, longer for a run
// a reducer task may reduce), plus FollowSlack.
func FollowDeadline(p *events.Plan) time.Time {
	return p.Deadline.Add(plan.ReduceTime(p) + FollowSlack)
}

// Display shows one run while Execute follows it.
type Display interface {
	// Update shows a look at the run, or a failed one.
	Update(Update)
	// Note shows a line that must be seen even when progress is not: a
	// threshold that stops the run, a staircase that ends, a failed abort.
	Note(string)
	// End ends the display, once following ends.
	End()
}

// ExecOptions configure Execute.
type ExecOptions struct {
	// Interrupts carries the user's interrupts (Ctrl-C). The n-th asks the
	// backend to stop the run the n-th time (Backend.Abort), unless a
	// threshold or the staircase already has; after one, no find-max
	// search starts.
	Interrupts <-chan struct{}
	// Show, if set, returns the display of a run just submitted: the run
	// itself, then each find-max search run.
	Show func(*Submitted) Display
	// Log receives the find-max search's lines, and the notes of runs
	// without a display; nil discards them.
	Log io.Writer
}

// Outcome is a run followed to its report.
type Outcome struct {
	RunID  string
	Plan   *events.Plan
	Report *events.Report
	// Stopped says why a threshold's abort stopped the run; "" if none did.
	Stopped string
	// Interrupted is set when the user interrupted the run, or a find-max
	// search run after it: the report covers what ran until then.
	Interrupted bool
}

// NotFinishedError is a run that had no final state when following it
// gave up (FollowDeadline).
type NotFinishedError struct {
	RunID string
	By    time.Time
	// Last is the last status read (nil: none was); Err, when set, why
	// the latest look failed.
	Last *Status
	Err  error
}

func (e *NotFinishedError) Error() string {
	msg := fmt.Sprintf("run %s did not finish: no report by %s", e.RunID, e.By.UTC().Format("15:04:05Z07:00"))
	if e.Last != nil {
		msg += fmt.Sprintf(" (state %s; %d of %d shards reported)", e.Last.State, e.Last.Shards.Reported, e.Last.Shards.Planned)
	} else {
		msg += " (no status read)"
	}
	if e.Err != nil {
		msg += fmt.Sprintf("; last status read: %v", e.Err)
	}
	return msg
}

// errInterrupted ends a find-max search that the user interrupted.
var errInterrupted = errors.New("interrupted")

// Execute submits spec (defaults applied and validated) to b and follows
// the run to its report, as `barrage run` does on every backend. It stops
// the run (Backend.Abort) at the user's interrupts, when a threshold's
// abort fires, and at the end of a find-max step that broke its SLO; it
// gives up at FollowDeadline with a *NotFinishedError. A staircase that
// broke its SLO is then narrowed by the spec's find_max.search runs,
// unless the run was interrupted or stopped by a threshold.
func Execute(ctx context.Context, b Backend, spec events.RunSpec, opt ExecOptions) (*Outcome, error) {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	x := &executor{b: b, opt: opt}
	sub, rep, err := x.run(ctx, spec, true)
	if err != nil {
		return nil, err
	}
	out := &Outcome{RunID: sub.RunID, Plan: sub.Plan, Report: rep, Stopped: x.stopped}
	if x.interrupts > 0 || x.stopped != "" {
		out.Interrupted = x.interrupts > 0
		return out, nil
	}
	changed, serr := searchMax(spec, rep, func(seg events.RunSpec) (*events.Report, error) {
		_, r, err := x.run(ctx, seg, false)
		if err == nil && x.interrupts > 0 {
			err = errInterrupted
		}
		return r, err
	}, opt.Log)
	if rr, ok := b.(ReportReplacer); ok && changed {
		if err := rr.ReplaceReport(ctx, sub.RunID, rep); err != nil {
			return nil, err
		}
	}
	if serr != nil {
		fmt.Fprintln(opt.Log, serr)
	}
	out.Interrupted = x.interrupts > 0
	return out, nil
}

// executor is one Execute: the user's interrupts so far, and whether a
// threshold stopped the run.
type executor struct {
	b          Backend
	opt        ExecOptions
	interrupts int
	stopped    string
}

// run submits spec and follows the run to its report; watch judges its
// live progress (thresholds, the staircase: pkg/live), which search runs
// skip.
func (x *executor) run(ctx context.Context, spec events.RunSpec, watch bool) (*Submitted, *events.Report, error) {
	sub, err := x.b.Submit(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	if sub.Plan == nil {
		return nil, nil, fmt.Errorf("run %s: submitted without a plan", sub.RunID)
	}
	sub.Load = spec.Load
	w := live.New(len(sub.Plan.Shards), nil, events.Load{})
	if watch {
		w = live.New(len(sub.Plan.Shards), spec.Thresholds, spec.Load)
	}
	var d Display = noDisplay{x.opt.Log}
	if x.opt.Show != nil {
		d = x.opt.Show(sub)
	}
	defer d.End()
	rep, err := x.follow(ctx, sub, w, d)
	return sub, rep, err
}

// follow reads the run's updates until its state is final, then its
// report.
// Each update's live progress goes to w, which judges it (its thresholds,
// the staircase) and merges it for the display (Update.Totals).
func (x *executor) follow(ctx context.Context, sub *Submitted, w *live.Run, d Display) (*events.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	id := sub.RunID
	aborts := 0
	stop := func(n int) { // ask for the n-th stop, unless asked already
		if aborts >= n {
			return
		}
		aborts = n
		if err := x.b.Abort(ctx, id); err != nil {
			d.Note(fmt.Sprintf("abort run %s: %v", id, err))
		}
	}
	by := FollowDeadline(sub.Plan)
	deadline := time.NewTimer(time.Until(by))
	defer deadline.Stop()
	var stepEnd <-chan time.Time // the end of a staircase's broken step
	var last *Status
	var lastErr error
	updates := x.b.Follow(ctx, id)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, &NotFinishedError{RunID: id, By: by, Last: last, Err: lastErr}
		case <-x.opt.Interrupts:
			x.interrupts++
			stop(x.interrupts)
		case <-stepEnd:
			stepEnd = nil
			stop(1)
		case u, ok := <-updates:
			if !ok {
				if lastErr == nil {
					lastErr = errors.New("following ended before the run did")
				}
				return nil, fmt.Errorf("run %s: %w", id, lastErr)
			}
			var v live.Verdict
			if u.Err == nil {
				v = w.See(u.Status.Live)
				u.Totals = w.Totals()
			}
			d.Update(u)
			if lastErr = u.Err; u.Err != nil {
				continue
			}
			last = u.Status
			if v.Stop != "" {
				x.stopped = v.Stop
				d.Note(v.Stop)
				stop(1)
			}
			if step := v.Broke; step != nil {
				left := max(time.Until(sub.Plan.StartAt.Add(step.To)), 0)
				d.Note(fmt.Sprintf("find-max: step %d (%g/s) broke the SLO (%s): the staircase ends with it, in %s",
					step.Index, step.Rate, v.Why, left.Round(time.Second)))
				t := time.NewTimer(left) // a step breaks once
				defer t.Stop()
				stepEnd = t.C
			}
			if IsFinal(u.Status.State) {
				return x.b.Report(ctx, id)
			}
		}
	}
}

// noDisplay shows only notes, on a log.
type noDisplay struct{ log io.Writer }

func (noDisplay) Update(Update)   {}
func (d noDisplay) Note(s string) { fmt.Fprintln(d.log, s) }
func (noDisplay) End()            {}
