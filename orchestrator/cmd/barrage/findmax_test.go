package main

import (
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/engine"
)

// TestStepWatch feeds live seconds to the staircase watch of 100, 200,
// 300/s steps of 4 s after a 2 s warm-up (settle 1 s, p99 ≤ 100 ms,
// errors ≤ 1 %).
func TestStepWatch(t *testing.T) {
	ratio := 0.01
	load := events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100, Max: 300,
		Step: events.Duration(4 * time.Second), Warmup: events.Duration(2 * time.Second),
		SLO: events.SLO{P99: events.Duration(100 * time.Millisecond), ErrorRatio: &ratio}}}
	sec := func(at float64, req, ok int64, p99ms int) engine.Progress {
		return engine.Progress{Elapsed: time.Duration(at * float64(time.Second)), IntervalRequests: req,
			IntervalSuccess: ok, IntervalP99: time.Duration(p99ms) * time.Millisecond}
	}
	tests := []struct {
		name string
		secs []engine.Progress
		want int // the step index that broke; 0: none
	}{
		// Slow seconds in the warm-up and in a step's settle time are not judged.
		{"warm-up and settle", []engine.Progress{sec(1, 100, 100, 900), sec(2, 100, 100, 900), sec(3, 100, 100, 900)}, 0},
		// One slow second is not a break; two in a row are.
		{"one slow second", []engine.Progress{sec(4, 100, 100, 900), sec(5, 100, 100, 50), sec(6, 100, 100, 900)}, 0},
		{"two slow seconds", []engine.Progress{sec(7, 200, 200, 50), sec(8, 200, 200, 250), sec(9, 200, 200, 300)}, 2},
		// Above the SLO but within twice it: for the reducer to judge.
		{"borderline", []engine.Progress{sec(8, 200, 200, 150), sec(9, 200, 200, 190)}, 0},
		// Errors: 3 % of the step's requests failed.
		{"errors", []engine.Progress{sec(11, 300, 290, 10), sec(12, 300, 292, 10)}, 3},
		// Errors within twice the limit are not a break.
		{"few errors", []engine.Progress{sec(11, 300, 297, 10), sec(12, 300, 296, 10)}, 0},
		// An empty interval carries nothing.
		{"idle", []engine.Progress{sec(8, 0, 0, 0), sec(9, 0, 0, 0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newStepWatch(load)
			got := 0
			for _, p := range tt.secs {
				if s, _, ok := w.update(p); ok {
					got = s.Index
				}
			}
			if got != tt.want {
				t.Errorf("broke at step %d, want %d", got, tt.want)
			}
		})
	}
	if newStepWatch(events.Load{Rate: 10}) != nil {
		t.Error("a watch for a constant load")
	}
}

// TestStaircaseOverAWS: the aws backend's follower feeds each shard's
// live progress to the step watch once (a repeated progress is not a new
// second) and says to stop once the run has reached the end of the broken
// step.
func TestStaircaseOverAWS(t *testing.T) {
	ratio := 0.01
	load := events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100, Max: 300,
		Step: events.Duration(4 * time.Second), SLO: events.SLO{P99: events.Duration(100 * time.Millisecond), ErrorRatio: &ratio}}}
	a := &awsThresholds{steps: newStepWatch(load), seen: map[int]time.Time{}}
	t0 := time.Now().Add(-6 * time.Second) // the run is 6 s in: step 2 (4–8 s)
	st := &orchestrator.Status{StartAt: t0.Format(time.RFC3339)}
	live := func(shard int, at float64, p99ms float64) orchestrator.ShardLive {
		return orchestrator.ShardLive{Shard: shard, T: t0.Add(time.Duration(at * float64(time.Second))), ElapsedS: at,
			IntervalRequests: 100, IntervalSuccess: 100, IntervalP99Ms: p99ms}
	}
	var out strings.Builder
	// The same slow second seen twice counts once: no break yet.
	st.Live = []orchestrator.ShardLive{live(0, 5.6, 400)}
	if a.staircaseOver(st, &out) || a.staircaseOver(st, &out) || a.stopAt != 0 {
		t.Fatalf("stopped on one second seen twice (stopAt %v)", a.stopAt)
	}
	// A second slow second, from another shard: step 2 broke; the run is
	// not yet at its end (8 s).
	st.Live = []orchestrator.ShardLive{live(0, 5.6, 400), live(1, 6.6, 500)}
	if a.staircaseOver(st, &out) || a.stopAt != 8*time.Second {
		t.Fatalf("stopAt %v, want the end of step 2 (8s), and not over yet", a.stopAt)
	}
	if !strings.Contains(out.String(), "step 2 (200/s) broke the SLO") {
		t.Errorf("stderr: %q", out.String())
	}
	// Later, past 8 s: over.
	st.StartAt = time.Now().Add(-9 * time.Second).Format(time.RFC3339)
	if !a.staircaseOver(st, &out) {
		t.Error("not over at 9 s")
	}
}
