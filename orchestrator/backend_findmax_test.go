package orchestrator

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestStepWatch feeds live seconds to the staircase watch of 100, 200,
// 300/s steps of 4 s after a 2 s warm-up (settle 1 s, p99 ≤ 100 ms,
// errors ≤ 1 %).
func TestStepWatch(t *testing.T) {
	ratio := 0.01
	load := events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100, Max: 300,
		Step: events.Duration(4 * time.Second), Warmup: events.Duration(2 * time.Second),
		SLO: events.SLO{P99: events.Duration(100 * time.Millisecond), ErrorRatio: &ratio}}}
	sec := func(at float64, req, ok int64, p99ms float64) ShardLive {
		return ShardLive{ElapsedS: at, IntervalRequests: req, IntervalSuccess: ok, IntervalP99Ms: p99ms}
	}
	tests := []struct {
		name string
		secs []ShardLive
		want int // the step index that broke; 0: none
	}{
		// Slow seconds in the warm-up and in a step's settle time are not judged.
		{"warm-up and settle", []ShardLive{sec(1, 100, 100, 900), sec(2, 100, 100, 900), sec(3, 100, 100, 900)}, 0},
		// One slow second is not a break; two in a row are.
		{"one slow second", []ShardLive{sec(4, 100, 100, 900), sec(5, 100, 100, 50), sec(6, 100, 100, 900)}, 0},
		{"two slow seconds", []ShardLive{sec(7, 200, 200, 50), sec(8, 200, 200, 250), sec(9, 200, 200, 300)}, 2},
		// Above the SLO but within twice it: for the reducer to judge.
		{"borderline", []ShardLive{sec(8, 200, 200, 150), sec(9, 200, 200, 190)}, 0},
		// Errors: 3 % of the step's requests failed.
		{"errors", []ShardLive{sec(11, 300, 290, 10), sec(12, 300, 292, 10)}, 3},
		// Errors within twice the limit are not a break.
		{"few errors", []ShardLive{sec(11, 300, 297, 10), sec(12, 300, 296, 10)}, 0},
		// An empty interval carries nothing.
		{"idle", []ShardLive{sec(8, 0, 0, 0), sec(9, 0, 0, 0)}, 0},
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
