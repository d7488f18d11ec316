package report

import (
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// seconds makes whole-second health samples at a planned rate, with the
// given numbers of requests sent.
func seconds(start time.Time, from int, planned float64, sent ...float64) []events.HealthSample {
	out := make([]events.HealthSample, len(sent))
	for i, n := range sent {
		out[i] = events.HealthSample{T: start.Unix() + int64(from+i), IntervalS: 1, PlannedRate: planned, AchievedRate: n}
	}
	return out
}

// TestAchievedRateWarning: a worker's second that sent fewer requests than
// planned is warned about only when the shortfall is beyond what counting
// whole arrivals in a second and the sampler's timing explain, and never
// for the seconds after a shard stopped.
func TestAchievedRateWarning(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	cat := func(parts ...[]events.HealthSample) []events.HealthSample {
		var out []events.HealthSample
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tail := events.HealthSample{T: start.Unix() + 10, IntervalS: 0.3, PlannedRate: 50, AchievedRate: 0}
	for _, tt := range []struct {
		name    string
		samples []events.HealthSample
		sendS   float64 // the shard's send window; 0: 10 s, complete
		stop    string  // the shard's stop reason (truncated)
		want    string  // a part of the warning; "" none
	}{
		// A second at 50/s holds 50 ± 1 arrivals, whatever the sampler's
		// wake-up; the last, partial second is not judged.
		{name: "healthy 50/s", samples: append(seconds(start, 0, 50, 50, 49, 51, 50, 49, 51, 50, 50, 49, 51), tail)},
		// 7 ± 1: 6 of 7 is 86 %, and still on schedule.
		{name: "healthy 7/s", samples: seconds(start, 0, 7, 7, 6, 8, 7, 6, 8, 7, 7, 7, 6)},
		// The sampler woke 20 ms late at the end of second 1: 40 arrivals
		// counted in it rather than in second 2.
		{name: "late wake-up at 2000/s", samples: seconds(start, 0, 2000, 2000, 2040, 1960, 2000, 2000)},
		{name: "shortfall 50/s", samples: seconds(start, 0, 50, 50, 50, 40, 50, 50),
			want: "sent only 40 of its 50 planned arrivals (80%)"},
		{name: "shortfall 7/s", samples: seconds(start, 0, 7, 7, 7, 5, 7, 7),
			want: "sent only 5 of its 7 planned arrivals (71%)"},
		// Stopped at 3.5 s: the second it stopped in and the seconds its
		// requests in flight took to finish planned arrivals it was no
		// longer asked to send.
		{name: "stopped early", samples: seconds(start, 0, 50, 50, 50, 50, 25, 0, 0), sendS: 3.5, stop: "interrupted"},
		{name: "stopped early, short before", samples: seconds(start, 0, 50, 50, 30, 50, 25, 0), sendS: 3.5, stop: "interrupted",
			want: "sent only 30 of its 50 planned arrivals"},
		// A find-max staircase aborted at the end of its 100/s step: the
		// 200/s steps never ran.
		{name: "find-max aborted", samples: cat(seconds(start, 0, 100, 100, 99, 101, 100), seconds(start, 4, 200, 0, 0, 0)),
			sendS: 4.002, stop: "aborted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := shard(t, "a", start, nil)
			res.Health.Samples, res.SendSeconds = tt.samples, 10
			if tt.sendS > 0 {
				res.SendSeconds, res.Status, res.StopReason = tt.sendS, events.StatusTruncated, tt.stop
			}
			r, err := Build(Input{RunID: "r", Results: []*events.ShardResult{res}})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, w := range r.Warnings {
				if strings.Contains(w, "in its worst second") {
					got = w
				}
			}
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("warning %q; want %q (all: %q)", got, tt.want, r.Warnings)
			}
		})
	}
}
