package live

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestStaircase feeds live intervals to the staircase of 100, 200, 300/s
// steps of 4 s after a 2 s warm-up (settle 1 s, p99 ≤ 100 ms, errors
// ≤ 1 %).
func TestStaircase(t *testing.T) {
	ratio := 0.01
	load := events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100, Max: 300,
		Step: events.Duration(4 * time.Second), Warmup: events.Duration(2 * time.Second),
		SLO: events.SLO{P99: events.Duration(100 * time.Millisecond), ErrorRatio: &ratio}}}
	// sec is shard k's interval ending el seconds into the run.
	sec := func(k int, el float64, req, ok int64, p99ms float64) events.LiveShard {
		return at(k, time.Duration(el*float64(time.Second)), events.ShardProgress{IntervalRequests: req, IntervalSuccess: ok,
			IntervalP99: ms(p99ms)})
	}
	tests := []struct {
		name string
		secs []events.LiveShard
		want int    // the step index that broke; 0: none
		why  string // and why
	}{
		// Slow seconds in the warm-up and in a step's settle time are not judged.
		{"warm-up and settle", []events.LiveShard{sec(0, 1, 100, 100, 900), sec(0, 2, 100, 100, 900), sec(0, 3, 100, 100, 900)}, 0, ""},
		// One slow second is not a break; two in a row are.
		{"one slow second", []events.LiveShard{sec(0, 4, 100, 100, 900), sec(0, 5, 100, 100, 50), sec(0, 6, 100, 100, 900)}, 0, ""},
		{"two slow seconds", []events.LiveShard{sec(0, 7, 200, 200, 50), sec(0, 8, 200, 200, 250), sec(0, 9, 200, 200, 300)}, 2,
			"p99 above 200ms for 2 s"},
		// Two slow seconds of two shards are two slow seconds of the step.
		{"two shards", []events.LiveShard{sec(0, 8, 100, 100, 250), sec(1, 8, 100, 100, 300)}, 2, "p99 above 200ms for 2 s"},
		// Above the SLO but within twice it: for the reducer to judge.
		{"borderline", []events.LiveShard{sec(0, 8, 200, 200, 150), sec(0, 9, 200, 200, 190)}, 0, ""},
		// Errors: 2.7 % of the step's judged requests failed (its first
		// second is in its settle time).
		{"errors", []events.LiveShard{sec(0, 11, 300, 290, 10), sec(0, 12, 300, 292, 10)}, 3, "2.7% of requests failed"},
		// Errors within twice the limit are not a break.
		{"few errors", []events.LiveShard{sec(0, 11, 300, 297, 10), sec(0, 12, 300, 296, 10)}, 0, ""},
		// An empty interval carries nothing.
		{"idle", []events.LiveShard{sec(0, 8, 0, 0, 0), sec(0, 9, 0, 0, 0)}, 0, ""},
		// A step breaks once: the staircase ends with the first.
		{"once", []events.LiveShard{sec(0, 8, 200, 200, 250), sec(0, 9, 200, 200, 250), sec(0, 11, 300, 300, 900),
			sec(0, 12, 300, 300, 900)}, 2, "p99 above 200ms for 2 s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(2, nil, load)
			got, why, n := 0, "", 0
			for _, l := range tt.secs {
				if v := r.See([]events.LiveShard{l}); v.Broke != nil {
					got, why, n = v.Broke.Index, v.Why, n+1
				}
			}
			if got != tt.want || why != tt.why || n > 1 {
				t.Errorf("broke at step %d (%q) %d times; want step %d (%q) once", got, why, n, tt.want, tt.why)
			}
		})
	}
	if newStaircase(events.Load{Rate: 10}) != nil {
		t.Error("a staircase for a constant load")
	}
}
