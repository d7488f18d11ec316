package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
)

// fakeBackend is a Backend whose one run (r1: a shard over 30 s, starting
// a second after it is submitted) answers each look, once a second, with
// what look makes of the time and the aborts so far. It keeps when each
// abort came.
type fakeBackend struct {
	look   func(now time.Time, aborts int) *orchestrator.Status
	report *events.Report
	length time.Duration // the schedule's; 0: 30 s

	mu     sync.Mutex
	plan   *events.Plan
	aborts []time.Time
	runs   int
}

func (f *fakeBackend) Submit(ctx context.Context, spec events.RunSpec) (*orchestrator.Submitted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	length := f.length
	if length == 0 {
		length = 30 * time.Second
	}
	start := time.Now().Add(time.Second)
	f.plan = &events.Plan{RunID: "r1", Backend: "fake", StartAt: start, Deadline: start.Add(length + 35*time.Second),
		Shards: []events.PlanShard{{ShardWindow: events.ShardWindow{ShardID: "s0000", WindowTo: events.Duration(length)}}}}
	return &orchestrator.Submitted{RunID: "r1", Plan: f.plan}, nil
}

func (f *fakeBackend) Follow(ctx context.Context, id string) <-chan orchestrator.Update {
	ch := make(chan orchestrator.Update)
	go func() {
		defer close(ch)
		for {
			f.mu.Lock()
			st := f.look(time.Now(), len(f.aborts))
			f.mu.Unlock()
			st.RunID, st.Shards.Planned = id, max(st.Shards.Planned, 1)
			select {
			case ch <- orchestrator.Update{Status: st}:
			case <-ctx.Done():
				return
			}
			if orchestrator.IsFinal(st.State) {
				return
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func (f *fakeBackend) Abort(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborts = append(f.aborts, time.Now())
	return nil
}

func (f *fakeBackend) Report(ctx context.Context, id string) (*events.Report, error) {
	return f.report, nil
}

// running is a look at a run in its schedule: shard 0's progress now, with
// a p99 (so far and over the last second) of p99ms.
func running(now, start time.Time, p99ms float64) *orchestrator.Status {
	st := &orchestrator.Status{RunStatus: events.RunStatus{State: events.StateRunning}}
	el := now.Sub(start)
	if el > 0 {
		p99 := events.Millis(p99ms * float64(time.Millisecond))
		st.Live = []events.LiveShard{{Shard: 0, ShardProgress: events.ShardProgress{T: now, Elapsed: events.Seconds(el),
			Requests: int64(100 * el.Seconds()), P99: p99, IntervalRequests: 100, IntervalSuccess: 100, IntervalP99: p99}}}
	}
	return st
}

func complete() *orchestrator.Status {
	st := &orchestrator.Status{RunStatus: events.RunStatus{State: events.StateComplete}}
	st.Shards.Reported = 1
	return st
}

// follow runs spec on b as barrage run does, with interrupts ints, and
// returns the exit status, stdout and stderr.
func follow(b orchestrator.Backend, s events.RunSpec, ints <-chan struct{}) (int, string, string) {
	var stdout, stderr strings.Builder
	err := runOn(b, s, &runFlags{quiet: true}, ints, &stdout, &stderr)
	code := exitStatus(err, &stderr)
	return code, stdout.String(), stderr.String()
}

var fakeReport = &events.Report{RunID: "r1", Requests: 100, Success: 100}

// TestFollowDeadline: a run that never reaches a final state (its reducer
// never ran) is given up at its plan's deadline plus the reducer's time
// and the slack: exit 3, one line saying what is known and where to look.
func TestFollowDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{look: func(time.Time, int) *orchestrator.Status {
			st := &orchestrator.Status{RunStatus: events.RunStatus{State: events.StateReducing}}
			st.Shards.Planned, st.Shards.Reported = 10, 7
			return st
		}}
		code, _, stderr := follow(b, events.RunSpec{}, nil)
		by := orchestrator.FollowDeadline(b.plan)
		if code != exitNoResult || !time.Now().Equal(by) {
			t.Errorf("exit %d at %v; want 3 at %v", code, time.Now(), by)
		}
		want := "barrage: run r1 did not finish: no report by " + by.Format("15:04:05Z07:00") +
			" (state reducing; 7 of 10 shards reported); see: barrage status r1\n"
		if !strings.HasSuffix(stderr, "\n"+want) { // after the plan
			t.Errorf("stderr %q\nwant it to end with %q", stderr, want)
		}
		if len(b.aborts) != 0 {
			t.Errorf("aborted %d times; want none", len(b.aborts))
		}
	})
}

// TestFollowThresholdAbort: a p99 of 300 ms against p99 < 100 ms with an
// abort after 2 s stops the run once, 2 s after it was first seen broken;
// the report of the stopped run is printed and barrage exits 1.
func TestFollowThresholdAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{report: fakeReport}
		b.look = func(now time.Time, aborts int) *orchestrator.Status {
			if aborts > 0 {
				return complete()
			}
			return running(now, b.plan.StartAt, 300)
		}
		s := events.RunSpec{Thresholds: []events.Threshold{{Metric: events.MetricP99, Value: events.DurationLimit(100 * time.Millisecond),
			Abort: &events.ThresholdAbort{After: events.Duration(2 * time.Second)}}}}
		code, stdout, stderr := follow(b, s, nil)
		if code != exitThreshold || !strings.Contains(stderr, "threshold p99 < 100ms broken for 2s") {
			t.Errorf("exit %d; want 1, naming the threshold\nstderr: %s", code, stderr)
		}
		// Progress is seen at 1, 2, 3 s into the run: broken since 1 s.
		if len(b.aborts) != 1 || !b.aborts[0].Equal(b.plan.StartAt.Add(3*time.Second)) {
			t.Errorf("aborts at %v; want one, 3 s into the run (%v)", b.aborts, b.plan.StartAt.Add(3*time.Second))
		}
		if !strings.Contains(stdout, "barrage run r1") {
			t.Errorf("no report printed:\n%s", stdout)
		}
	})
}

// TestFollowStaircase: a find-max staircase of 4 s steps whose second step
// (4–8 s) is slow from its sixth second on breaks its SLO at 7 s, and is
// stopped at that step's end, 8 s into the run, once. No threshold broke:
// exit 0.
func TestFollowStaircase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{report: fakeReport, length: 12 * time.Second}
		b.look = func(now time.Time, aborts int) *orchestrator.Status {
			if aborts > 0 {
				return complete()
			}
			p99 := 10.0
			if now.Sub(b.plan.StartAt) >= 6*time.Second {
				p99 = 500
			}
			return running(now, b.plan.StartAt, p99)
		}
		s := events.RunSpec{Load: events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100,
			Max: 300, Step: events.Duration(4 * time.Second), SLO: events.SLO{P99: events.Duration(100 * time.Millisecond)}}}}
		code, _, stderr := follow(b, s, nil)
		if code != exitOK || !strings.Contains(stderr, "find-max: step 2 (200/s) broke the SLO (p99 above 200ms for 2 s): the staircase ends with it, in 1s") {
			t.Errorf("exit %d; want 0, saying why the staircase ends\nstderr: %s", code, stderr)
		}
		if want := b.plan.StartAt.Add(8 * time.Second); len(b.aborts) != 1 || !b.aborts[0].Equal(want) {
			t.Errorf("aborts at %v; want one at the end of step 2 (%v)", b.aborts, want)
		}
	})
}

// TestFollowInterrupts: each interrupt asks the backend to stop the run
// (locally, the second cuts off requests in flight; a deployed run's abort
// can be asked again). The report is still printed, and barrage exits 130:
// an interrupted run is not a passing one.
func TestFollowInterrupts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ints := make(chan struct{}, 3)
		b := &fakeBackend{report: fakeReport}
		b.look = func(now time.Time, aborts int) *orchestrator.Status {
			if el := now.Sub(b.plan.StartAt); el == 2*time.Second {
				ints <- struct{}{}
			} else if el == 3*time.Second {
				ints <- struct{}{}
				ints <- struct{}{}
			} else if el > 3*time.Second {
				return complete()
			}
			return running(now, b.plan.StartAt, 10)
		}
		code, stdout, stderr := follow(b, events.RunSpec{}, ints)
		if code != 130 || len(b.aborts) != 3 || !strings.Contains(stdout, "barrage run r1") {
			t.Errorf("exit %d, %d aborts; want 130 after 3 aborts and a report\n%s%s", code, len(b.aborts), stdout, stderr)
		}
		if want := "barrage: interrupted: the report covers the run until it stopped\n"; !strings.HasSuffix(stderr, want) {
			t.Errorf("stderr %q; want it to end with %q", stderr, want)
		}
	})
}

// TestFollowInterruptBeatsThreshold: a run interrupted while a threshold
// is broken exits 130, not 1: the user stopped it before it was judged
// whole.
func TestFollowInterruptBeatsThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ints := make(chan struct{}, 1)
		failed := &events.Report{RunID: "r1", Requests: 100, Success: 100,
			Thresholds: []events.ThresholdResult{{Metric: events.MetricP99, Pass: false}}}
		b := &fakeBackend{report: failed}
		b.look = func(now time.Time, aborts int) *orchestrator.Status {
			if aborts > 0 {
				return complete()
			}
			ints <- struct{}{}
			return running(now, b.plan.StartAt, 10)
		}
		if code, _, stderr := follow(b, events.RunSpec{}, ints); code != 130 {
			t.Errorf("exit %d; want 130\n%s", code, stderr)
		}
	})
}

// TestFollowNoRequest: a final run that sent nothing exits 3 after its
// report is printed.
func TestFollowNoRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{report: &events.Report{RunID: "r1"}, look: func(time.Time, int) *orchestrator.Status { return complete() }}
		code, stdout, stderr := follow(b, events.RunSpec{}, nil)
		if code != exitNoResult || !strings.Contains(stdout, "barrage run r1") || !strings.Contains(stderr, "no request was sent") {
			t.Errorf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
}

// TestFollowRejected: a spec the backend refuses is bad input (exit 2).
func TestFollowRejected(t *testing.T) {
	b := rejecting{}
	code, _, stderr := follow(b, events.RunSpec{}, nil)
	if code != exitBadInput || stderr != "barrage: load: too fast\n" {
		t.Errorf("exit %d, stderr %q; want 2 and the backend's reason", code, stderr)
	}
}

type rejecting struct{ orchestrator.Backend }

func (rejecting) Submit(context.Context, events.RunSpec) (*orchestrator.Submitted, error) {
	return nil, &orchestrator.RejectedError{Err: errors.New("load: too fast")}
}
