package report

import (
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

func TestWatch(t *testing.T) {
	p99 := events.Threshold{Metric: "p99", Value: events.DurationLimit(500 * time.Millisecond),
		Abort: &events.ThresholdAbort{After: events.Duration(3 * time.Second)}}
	errs := events.Threshold{Metric: "error_ratio", Op: "<=", Value: events.NumberLimit(0.1),
		Abort: &events.ThresholdAbort{After: events.Duration(2 * time.Second)}}
	if NewWatch([]events.Threshold{{Metric: "p99", Value: p99.Value}}, 2) != nil {
		t.Fatal("a watch without abortable thresholds")
	}
	s := time.Second
	type upd struct {
		k    int
		at   time.Duration
		l    Live
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
			{0, 1 * s, Live{Requests: 10, P99: 900 * time.Millisecond}, ""},
			{1, 1 * s, Live{Requests: 10, P99: 400 * time.Millisecond}, ""},
			{1, 3 * s, Live{Requests: 30, P99: 600 * time.Millisecond}, ""},
			{0, 5 * s, Live{Requests: 50, P99: 900 * time.Millisecond}, ""},
			{1, 6 * s, Live{Requests: 60, P99: 700 * time.Millisecond}, "threshold p99 < 500ms broken for 3s (700.0 ms so far)"},
		}},
		// A broken threshold that recovers starts its clock again.
		{"recovers", []events.Threshold{p99}, []upd{
			{0, 1 * s, Live{Requests: 10, P99: 900 * time.Millisecond}, ""},
			{1, 1 * s, Live{Requests: 10, P99: 900 * time.Millisecond}, ""},
			{1, 2 * s, Live{Requests: 20, P99: 100 * time.Millisecond}, ""},
			{1, 3 * s, Live{Requests: 30, P99: 900 * time.Millisecond}, ""},
			{1, 5 * s, Live{Requests: 50, P99: 900 * time.Millisecond}, ""},
			{1, 6 * s, Live{Requests: 60, P99: 900 * time.Millisecond}, "broken for 3s"},
		}},
		// Transport errors over requests, all shards: 30 of 200 > 0.1.
		{"errors", []events.Threshold{p99, errs}, []upd{
			{0, 1 * s, Live{Requests: 100, Errors: 30}, ""},
			{1, 1 * s, Live{Requests: 100}, ""},
			{1, 3 * s, Live{Requests: 100}, "threshold error_ratio <= 0.1 broken for 2s (0.15 so far)"},
		}},
		// Failed requests count as the report counts them: a 404 is not a
		// success although no transport error happened.
		{"statuses", []events.Threshold{errs}, []upd{
			{0, 1 * s, Live{Requests: 100, Failed: 100}, ""},
			{1, 1 * s, Live{Requests: 100, Failed: 100}, ""},
			{1, 3 * s, Live{Requests: 300, Failed: 300}, "threshold error_ratio <= 0.1 broken for 2s (1 so far)"},
		}},
		// A progress without the failed count (a worker older than it)
		// is judged on its transport errors, which failed includes.
		{"errors without failed", []events.Threshold{errs}, []upd{
			{0, 1 * s, Live{Requests: 100, Errors: 30}, ""},
			{1, 1 * s, Live{Requests: 100, Errors: 10, Failed: 20}, ""},
			{1, 3 * s, Live{Requests: 100, Errors: 10, Failed: 20}, "(0.25 so far)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWatch(tt.ths, 2)
			for i, u := range tt.upds {
				got := w.Update(u.k, u.at, u.l)
				if (u.want == "") != (got == "") || !strings.Contains(got, u.want) {
					t.Fatalf("update %d: %q; want %q", i, got, u.want)
				}
			}
		})
	}
}
