package report

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// second is what one shard saw in one second of a synthetic run.
type second struct {
	sent, ok, errs, dropped int64
	latency                 time.Duration // of every completed request
	lagMs                   float64
}

// stagedShard makes a shard result from per-second figures, second k
// covering [k, k+1) after start.
func stagedShard(t *testing.T, id string, start time.Time, sendS float64, secs []second) *events.ShardResult {
	t.Helper()
	all := hist.New()
	res := &events.ShardResult{Version: 1, RunID: "r", ShardID: id, Kind: events.KindLocal, Status: events.StatusComplete,
		StartedAt: start, SendSeconds: sendS, Health: events.Health{CPUs: 1}}
	for k, s := range secs {
		h := hist.New()
		for range s.sent {
			h.Record(s.latency)
			all.Record(s.latency)
		}
		res.Counts.Requests += s.sent
		res.Counts.Success += s.ok
		res.Counts.Dropped += s.dropped
		T := start.Unix() + int64(k)
		res.Series = append(res.Series, events.SeriesPoint{T: T, Requests: s.sent, Success: s.ok, Errors: s.errs,
			Dropped: s.dropped, Latency: encode(t, h)})
		res.Health.Samples = append(res.Health.Samples, events.HealthSample{T: T, IntervalS: 1,
			PlannedRate: float64(s.sent + s.dropped), AchievedRate: float64(s.sent), LagP99Ms: s.lagMs, CPUPercent: 10})
	}
	res.Latency, res.LatencyUncorrected, res.Lag = encode(t, all), encode(t, all), encode(t, hist.New())
	return res
}

// staircase is a find-max of a 2 s warm-up and 3 s steps at 100, 200, 300
// and 400/s (SLO p99 ≤ 100 ms): judged seconds [3,5), [6,8), [9,11), [12,14).
func staircase() events.Load {
	return events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Increment: 100,
		Step: events.Duration(3 * time.Second), Warmup: events.Duration(2 * time.Second), Max: 400,
		SLO: events.SLO{P99: events.Duration(100 * time.Millisecond)}}}
}

// run builds the report of two shards, each half of the staircase, where
// change may alter what a shard saw in second k.
func run(t *testing.T, sendS float64, change func(k int, s *second)) *events.Report {
	t.Helper()
	start := time.Unix(1_800_000_000, 250_000_000).UTC() // a fraction of a second: series are relative
	rates := []int64{100, 100, 100, 100, 100, 200, 200, 200, 300, 300, 300, 400, 400, 400}
	var results []*events.ShardResult
	for _, id := range []string{"s0", "s1"} {
		var secs []second
		for k, r := range rates {
			s := second{sent: r / 2, ok: r / 2, latency: 10 * time.Millisecond, lagMs: 0.5}
			if k == 5 { // the first second of step 2 is settling: left out
				s.latency = time.Second
			}
			if change != nil {
				change(k, &s)
			}
			secs = append(secs, s)
		}
		results = append(results, stagedShard(t, id, start, sendS, secs))
	}
	r, err := Build(Input{RunID: "r", Results: results, Load: staircase()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFindMaxJudge(t *testing.T) {
	slow := func(from int, d time.Duration) func(int, *second) {
		return func(k int, s *second) {
			if k >= from {
				s.latency = d
			}
		}
	}
	tests := []struct {
		name     string
		sendS    float64
		change   func(int, *second)
		verdicts []string // of steps 1–4
		msr      float64
		stopped  string
		reason   string // a part of the conclusion
	}{
		// Latency rises past the SLO from step 3 (second 8 on).
		{"slo", 14, slow(8, 150*time.Millisecond),
			[]string{"pass", "pass", "fail", "fail"}, 200, events.StoppedBySLO, "p99 150.0 ms > 100.0 ms"},
		// Every step holds: the search ends at max.
		{"max", 14, nil, []string{"pass", "pass", "pass", "pass"}, 400, events.StoppedByMax, "every step"},
		// Step 3 sends half its rate (the rest dropped): the generator, not
		// the target, limited it, though its latency was fine.
		{"drops", 14, func(k int, s *second) {
			if k >= 8 && k < 11 {
				s.dropped, s.sent, s.ok = s.sent/2, s.sent-s.sent/2, s.ok-s.sent/2
			}
		}, []string{"pass", "pass", "generator-limited", "pass"}, 200, events.StoppedByGenerator, "sent 150.0/s of 300.0/s offered"},
		// Step 3 is 50 ms over the SLO, with a generator lag p99 of 80 ms:
		// the generator's own delay may explain it.
		{"lag", 14, func(k int, s *second) {
			if k >= 8 && k < 11 {
				s.latency, s.lagMs = 150*time.Millisecond, 80
			}
		}, []string{"pass", "pass", "generator-limited", "pass"}, 200, events.StoppedByGenerator, "lag p99 reached 80.00 ms"},
		// 4 % of step 2's requests fail: above the default 1 %. Later steps
		// pass again: the conclusion says the failure may be transient.
		{"errors", 14, func(k int, s *second) {
			if k >= 5 && k < 8 {
				s.ok, s.errs = s.sent-4, 4
			}
		}, []string{"pass", "fail", "pass", "pass"}, 100, events.StoppedBySLO,
			"error ratio 4% > 1%; later steps passed again, up to 400/s"},
		// The run ended 9.5 s in: step 3 has no whole judged second.
		{"truncated", 9.5, nil, []string{"pass", "pass", "not-run", "not-run"}, 200, events.StoppedByIncomplete,
			"ended before step 3 (300/s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.sendS, tt.change)
			if len(r.Steps) != 5 || r.Steps[0].Kind != "warmup" || r.Steps[0].Verdict != "" {
				t.Fatalf("steps = %+v; want a warm-up, not judged, and 4 steps", r.Steps)
			}
			for i, want := range tt.verdicts {
				if got := r.Steps[i+1]; got.Verdict != want {
					t.Errorf("step %d verdict %q (%v); want %q", got.Step, got.Verdict, got.Reasons, want)
				}
			}
			f := r.FindMax
			if f.MaxSustainableRate != tt.msr || f.StoppedBy != tt.stopped || !strings.Contains(f.Conclusion, tt.reason) {
				t.Errorf("find_max = %+v; want %v/s, stopped by %s, conclusion with %q", f, tt.msr, tt.stopped, tt.reason)
			}
		})
	}
}

// TestStepEvidence pins a step's figures: its judged seconds, rates, and
// percentiles merged exactly from its seconds only.
func TestStepEvidence(t *testing.T) {
	r := run(t, 14, func(k int, s *second) {
		if k == 6 {
			s.latency = 40 * time.Millisecond
		}
	})
	s := r.Steps[2] // step 2, 200/s, judged over [6, 8)
	one := hist.New()
	for range 200 {
		one.Record(40 * time.Millisecond)
		one.Record(10 * time.Millisecond)
	}
	want := Summarize(one)
	if s.Step != 2 || s.JudgedFromS != 6 || s.JudgedToS != 8 || s.JudgedS != 2 || s.Requests != 400 ||
		s.OfferedRate != 200 || s.SentRate != 200 || s.OKRate != 200 || s.ErrorRatio != 0 || s.LatencyMs != want {
		t.Errorf("step 2 = %+v\nwant judged [6, 8), 400 requests at 200/s, latency %+v (the settling second's 1 s left out)", s, want)
	}
	if r.FindMax.SettleS != 1 || r.FindMax.SLO.P99Ms != 100 || r.FindMax.SLO.ErrorRatio != events.DefaultSLOErrorRatio {
		t.Errorf("find_max SLO = %+v, settle %v", r.FindMax.SLO, r.FindMax.SettleS)
	}
}

// TestStagesEvidence: stages get their evidence, without verdicts, and a
// ramp's offered rate is its mean over the judged seconds.
func TestStagesEvidence(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	var secs []second
	for range 6 {
		secs = append(secs, second{sent: 10, ok: 10, latency: time.Millisecond})
	}
	to := 30.0
	load := events.Load{Shape: events.ShapeStages, Stages: []events.Stage{
		{Duration: events.Duration(2 * time.Second), Rate: 10},
		{Duration: events.Duration(4 * time.Second), Rate: 10, RampTo: &to}}}
	r, err := Build(Input{RunID: "r", Results: []*events.ShardResult{stagedShard(t, "s0", start, 6, secs)}, Load: load})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != 2 || r.FindMax != nil {
		t.Fatalf("steps %+v, find_max %+v", r.Steps, r.FindMax)
	}
	s := r.Steps[1] // judged [3, 6): the ramp at 12.5 s⁻¹… 27.5: mean 22.5/s at 4.5 s
	if s.Kind != "stage" || s.Verdict != "" || s.JudgedS != 3 || math.Abs(s.OfferedRate-22.5) > 1e-9 || *s.RampTo != 30 {
		t.Errorf("stage 2 = %+v", s)
	}
}
