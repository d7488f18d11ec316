package live

import (
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

const s = time.Second

// t0 is when the runs of these tests start.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// at is shard k's progress at el into the run (taken then), with totals
// so far.
func at(k int, el time.Duration, p events.ShardProgress) events.LiveShard {
	p.T, p.Elapsed = t0.Add(el), events.Seconds(el)
	return events.LiveShard{Shard: k, ShardProgress: p}
}

func ms(v float64) events.Millis { return events.Millis(v * float64(time.Millisecond)) }

var (
	p99 = events.Threshold{Metric: "p99", Value: events.DurationLimit(500 * time.Millisecond),
		Abort: &events.ThresholdAbort{After: events.Duration(3 * time.Second)}}
	errRatio = events.Threshold{Metric: "error_ratio", Op: "<=", Value: events.NumberLimit(0.1),
		Abort: &events.ThresholdAbort{After: events.Duration(2 * time.Second)}}
)

// TestThresholds feeds two shards' progress to the thresholds with an
// abort, one progress at a time.
func TestThresholds(t *testing.T) {
	type upd struct {
		l    events.LiveShard
		want string // a part of the answer; "" none
	}
	tests := []struct {
		name string
		ths  []events.Threshold
		upds []upd
	}{
		// Until both shards have reported, nothing is judged; then shard 1's
		// p99 of 400 ms (the lower bound) holds; at 3 s both are above, and
		// 3 s later the run stops.
		{"p99", []events.Threshold{p99}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 10, P99: ms(400)}), ""},
			{at(1, 3*s, events.ShardProgress{Requests: 30, P99: ms(600)}), ""},
			{at(0, 5*s, events.ShardProgress{Requests: 50, P99: ms(900)}), ""},
			{at(1, 6*s, events.ShardProgress{Requests: 60, P99: ms(700)}), "threshold p99 < 500ms broken for 3s (700.0 ms so far)"},
		}},
		// A broken threshold that recovers starts its clock again.
		{"recovers", []events.Threshold{p99}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(1, 2*s, events.ShardProgress{Requests: 20, P99: ms(100)}), ""},
			{at(1, 3*s, events.ShardProgress{Requests: 30, P99: ms(900)}), ""},
			{at(1, 5*s, events.ShardProgress{Requests: 50, P99: ms(900)}), ""},
			{at(1, 6*s, events.ShardProgress{Requests: 60, P99: ms(900)}), "broken for 3s"},
		}},
		// Transport errors over requests, all shards: 30 of 200 > 0.1.
		{"errors", []events.Threshold{p99, errRatio}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 100, Errors: 30}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 100}), ""},
			{at(1, 3*s, events.ShardProgress{Requests: 100}), "threshold error_ratio <= 0.1 broken for 2s (0.15 so far)"},
		}},
		// Failed requests count as the report counts them: a 404 is not a
		// success although no transport error happened.
		{"statuses", []events.Threshold{errRatio}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 100, Failed: 100}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 100, Failed: 100}), ""},
			{at(1, 3*s, events.ShardProgress{Requests: 300, Failed: 300}), "threshold error_ratio <= 0.1 broken for 2s (1 so far)"},
		}},
		// A progress without the failed count (a worker older than it)
		// is judged on its transport errors, which failed includes.
		{"errors without failed", []events.Threshold{errRatio}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 100, Errors: 30}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 100, Errors: 10, Failed: 20}), ""},
			{at(1, 3*s, events.ShardProgress{Requests: 100, Errors: 10, Failed: 20}), "(0.25 so far)"},
		}},
		// A progress seen before (no later T) is skipped: its elapsed time
		// does not move the threshold's clock.
		{"seen before", []events.Threshold{p99}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(1, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{events.LiveShard{Shard: 1, ShardProgress: events.ShardProgress{T: t0.Add(1 * s), Elapsed: events.Seconds(9 * s),
				Requests: 90, P99: ms(900)}}, ""},
			{at(1, 4*s, events.ShardProgress{Requests: 40, P99: ms(900)}), "broken for 3s"},
		}},
		// A shard the run does not have is no part of it.
		{"unknown shard", []events.Threshold{p99}, []upd{
			{at(0, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(2, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(-1, 1*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
			{at(0, 9*s, events.ShardProgress{Requests: 10, P99: ms(900)}), ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(2, tt.ths, events.Load{})
			for i, u := range tt.upds {
				got := r.See([]events.LiveShard{u.l})
				if (u.want == "") != (got.Stop == "") || !strings.Contains(got.Stop, u.want) {
					t.Fatalf("update %d: %q; want %q", i, got.Stop, u.want)
				}
			}
		})
	}
}

// TestThresholdsOnce: a run is stopped once. A status whose live list
// breaks a threshold is judged to its end (the staircase still sees its
// intervals); later ones say nothing more of thresholds.
func TestThresholdsOnce(t *testing.T) {
	fast := events.Threshold{Metric: "p99", Value: events.DurationLimit(500 * time.Millisecond),
		Abort: &events.ThresholdAbort{After: events.Duration(time.Second)}}
	r := New(1, []events.Threshold{fast}, events.Load{})
	slow := func(el time.Duration) []events.LiveShard {
		return []events.LiveShard{at(0, el, events.ShardProgress{Requests: 10, P99: ms(900)})}
	}
	if v := r.See(slow(1 * s)); v.Stop != "" {
		t.Fatalf("stopped at once: %q", v.Stop)
	}
	if v := r.See(slow(2 * s)); !strings.Contains(v.Stop, "broken for 1s") {
		t.Fatalf("at 2 s: %q; want the threshold to stop the run", v.Stop)
	}
	if v := r.See(slow(3 * s)); v.Stop != "" {
		t.Errorf("stopped again: %q", v.Stop)
	}
	if got := r.Totals(); got.Requests != 10 || got.WorstP99 != 900*time.Millisecond {
		t.Errorf("totals %+v: the progress after the stop is not in the view", got)
	}
}

// TestTotals: the view merges the shards' latest progress, as the
// command's progress line shows it and the thresholds judge it.
func TestTotals(t *testing.T) {
	tests := []struct {
		name string
		live []events.LiveShard
		want Totals
		// bound: the p99 and error_ratio bounds; ok false: none yet.
		p99, ratio float64
		ok         bool
	}{
		// Nothing seen: nothing to add, nothing proven.
		{"none", nil, Totals{Shards: 3}, 0, 0, false},
		// Two of three shards sending: figures add up, the bounds wait for
		// the third.
		{"two of three", []events.LiveShard{
			at(0, 2*s, events.ShardProgress{Requests: 40, Failed: 4, Dropped: 1, P99: ms(30)}),
			at(1, 2*s, events.ShardProgress{Requests: 60, Errors: 2, P99: ms(70)}),
		}, Totals{Shards: 3, Sending: 2, Requests: 100, Failed: 6, Dropped: 1, BestP99: 30 * time.Millisecond,
			WorstP99: 70 * time.Millisecond}, 0, 0, false},
		// A later progress replaces a shard's last; a shard that has not
		// completed a request counts in no p99.
		{"latest", []events.LiveShard{
			at(0, 1*s, events.ShardProgress{Requests: 10, P99: ms(10)}),
			at(1, 1*s, events.ShardProgress{Dropped: 5}),
			at(0, 2*s, events.ShardProgress{Requests: 30, Failed: 3, P99: ms(20)}),
			at(2, 2*s, events.ShardProgress{Requests: 10, P99: ms(50)}),
		}, Totals{Shards: 3, Sending: 2, Requests: 40, Failed: 3, Dropped: 5, BestP99: 20 * time.Millisecond,
			WorstP99: 50 * time.Millisecond}, 0, 0, false},
		// Every shard sending: the best shard's p99 and the failures over
		// the requests are proven.
		{"all", []events.LiveShard{
			at(0, 2*s, events.ShardProgress{Requests: 40, Failed: 10, P99: ms(30)}),
			at(1, 2*s, events.ShardProgress{Requests: 40, P99: ms(70)}),
			at(2, 2*s, events.ShardProgress{Requests: 20, Failed: 15, P99: ms(90)}),
		}, Totals{Shards: 3, Sending: 3, Requests: 100, Failed: 25, BestP99: 30 * time.Millisecond,
			WorstP99: 90 * time.Millisecond}, 30, 0.25, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(3, nil, events.Load{})
			if v := r.See(tt.live); v != (Verdict{}) {
				t.Errorf("a view without judgements said %+v", v)
			}
			got := r.Totals()
			if got != tt.want {
				t.Errorf("totals %+v\nwant   %+v", got, tt.want)
			}
			p, ok1 := got.Bound(events.MetricP99)
			e, ok2 := got.Bound(events.MetricErrorRatio)
			if p != tt.p99 || e != tt.ratio || ok1 != tt.ok || ok2 != tt.ok {
				t.Errorf("bounds p99 %v (%v), error_ratio %v (%v); want %v, %v (%v)", p, ok1, e, ok2, tt.p99, tt.ratio, tt.ok)
			}
		})
	}
}
