package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
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

	mu     sync.Mutex
	secs   map[int][]liveSecond // by step index in steps
	broken int                  // index in steps, or -1
}

type liveSecond struct {
	requests, success int64
	p99               time.Duration
}

func newStepWatch(l events.Load) *stepWatch {
	if l.Shape != events.ShapeFindMax || l.FindMax == nil {
		return nil
	}
	return &stepWatch{steps: l.Steps(), settle: l.FindMax.SettleTime(), slo: l.FindMax.SLO,
		secs: map[int][]liveSecond{}, broken: -1}
}

// update adds one shard's progress; it returns the step that broke and
// true the first time one does.
func (w *stepWatch) update(p engine.Progress) (events.Step, string, bool) {
	if w == nil || p.IntervalRequests == 0 {
		return events.Step{}, "", false
	}
	mid := p.Elapsed - 500*time.Millisecond // the middle of the interval
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken >= 0 {
		return events.Step{}, "", false
	}
	for i, s := range w.steps {
		if s.Warmup || mid < s.From+w.settle || mid >= s.To {
			continue
		}
		w.secs[i] = append(w.secs[i], liveSecond{p.IntervalRequests, p.IntervalSuccess, p.IntervalP99})
		if why := w.judge(w.secs[i]); why != "" {
			w.broken = i
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

// errStaircaseDone ends scheduling after the step that broke the SLO.
var errStaircaseDone = errors.New("find-max: a step broke the SLO")

// staircaseStop wraps a progress function: when w sees a step break, it
// ends the returned context at that step's end (start is when the run's
// arrival 0 is due, as the shards' elapsed times count from it).
type staircaseStop struct {
	w      *stepWatch
	next   func(int, engine.Progress)
	stop   context.CancelCauseFunc
	stderr io.Writer
	once   sync.Once
}

func watchStaircase(sched context.Context, l events.Load, next func(int, engine.Progress), stderr io.Writer) (context.Context, func(int, engine.Progress)) {
	w := newStepWatch(l)
	if w == nil {
		return sched, next
	}
	ctx, stop := context.WithCancelCause(sched)
	s := &staircaseStop{w: w, next: next, stop: stop, stderr: stderr}
	return ctx, s.update
}

func (s *staircaseStop) update(k int, p engine.Progress) {
	s.next(k, p)
	step, why, broke := s.w.update(p)
	if !broke {
		return
	}
	s.once.Do(func() {
		left := step.To - p.Elapsed
		fmt.Fprintf(s.stderr, "\nfind-max: step %d (%g/s) broke the SLO (%s): the staircase ends with it, in %s\n",
			step.Index, step.Rate, why, left.Round(time.Second))
		time.AfterFunc(max(left, 0), func() { s.stop(errStaircaseDone) })
	})
}
