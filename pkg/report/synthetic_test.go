package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/barrage-load/barrage/events"
)

// synthetic makes a report of a find-max run of seconds seconds over three
// targets and two shards, with every per-second figure set, a latency
// spike at two thirds of the run, and a monitor section of a gauge, a
// counter with two label sets and a histogram bucket (not drawn): every
// chart of the HTML page has data. It is deterministic.
func synthetic(seconds int) *events.Report {
	rng := rand.New(rand.NewPCG(13, uint64(seconds)))
	start := time.Unix(1_800_000_000, 0).UTC()
	r := &events.Report{Version: events.ReportVersion, RunID: fmt.Sprintf("synthetic-%ds", seconds), Name: "checkout <find-max>",
		StartedAt: start, Mode: "keepalive", DurationS: float64(seconds), TargetRate: 400, LateLimitMs: 10, Coverage: 1,
		StatusCodes: map[string]int64{}, Errors: map[string]int64{"timeout": 0, "reset": 0}, Passed: true}
	steps := 5
	stepLen := max(1, seconds/steps)
	for k := range seconds {
		step := min(k/stepLen, steps-1)
		planned := 100 * float64(step+1)
		p50 := 4 + 2*float64(step) + rng.Float64()
		if k == seconds*2/3 {
			p50 *= 20 // a spike in one second: the HTML keeps it
		}
		errs := int64(0)
		if step == steps-1 {
			errs = int64(rng.IntN(20))
		}
		sent := planned - rng.Float64()*3
		p := events.SeriesReport{T: start.Unix() + int64(k), ElapsedS: int64(k), Requests: int64(sent), Success: int64(sent) - errs,
			Errors: errs, Dropped: int64(rng.IntN(2)), P50Ms: p50, P90Ms: 1.8 * p50, P99Ms: 3 * p50, MaxMs: 5 * p50,
			P99UncorrectedMs: 2.5 * p50, PlannedRate: planned, SentRate: sent,
			Health: &events.SeriesHealth{Shards: 2, MinCPUPercent: 10 + 5*float64(step), MaxCPUPercent: 20 + 12*float64(step) + 5*rng.Float64(),
				MinStealPercent: 0, MaxStealPercent: rng.Float64(), MinLagP99Ms: 0.2, MaxLagP99Ms: 0.5 + rng.Float64(),
				Inflight: int64(planned * p50 / 1000), MinInflight: 1, MaxInflight: int64(planned*p50/2000) + 1,
				OpenConns: 40, MinOpenConns: 20, MaxOpenConns: 20, MinTimeWait: 0, MaxTimeWait: k % 50}}
		if errs > 0 {
			p.ErrorsByClass = map[string]int64{"timeout": errs / 2, "reset": errs - errs/2}
		}
		r.TimeSeries = append(r.TimeSeries, p)
		r.Requests += p.Requests
		r.Success += p.Success
		r.Dropped += p.Dropped
		r.Errors["timeout"] += errs / 2
		r.Errors["reset"] += errs - errs/2
	}
	r.StatusCodes["200"] = r.Success
	r.SuccessRatio = float64(r.Success) / float64(r.Requests)
	r.AchievedRate, r.Throughput = float64(r.Requests)/r.DurationS, float64(r.Success)/r.DurationS
	lat := func(scale float64) events.Latency {
		return events.Latency{Min: 0.8 * scale, Mean: 7 * scale, P50: 6 * scale, P90: 11 * scale, P95: 14 * scale,
			P99: 21 * scale, P999: 48 * scale, Max: 130 * scale}
	}
	r.LatencyMs, r.LatencyUncorrectedMs, r.LagMs = lat(1), lat(0.8), events.Latency{P50: 0.1, P99: 0.9, Max: 3}
	qs := PercentileGrid(r.Requests)
	dist := func(scale float64) []float64 { // a long tail: 6 ms at p50, 130 ms near the end
		out := make([]float64, len(qs))
		for i, q := range qs {
			out[i] = scale * (0.8 + 5.2*math.Pow(1/(1-q), 0.25))
		}
		return out
	}
	r.LatencyPercentiles = &events.Percentiles{Q: qs, Ms: dist(1), UncorrectedMs: dist(0.8)}
	for i, name := range []string{"GET /", "POST /cart", "GET /search?q=a&b=<c>"} {
		r.Targets = append(r.Targets, events.TargetReport{Name: name, Requests: r.Requests / 3, Success: r.Success / 3,
			SuccessRatio: r.SuccessRatio, LatencyMs: lat(0.7 + 0.6*float64(i)), PercentilesMs: dist(0.7 + 0.6*float64(i)), StatusCodes: map[string]int64{"200": r.Success / 3},
			Errors: map[string]int64{}})
	}
	for i, id := range []string{"s0", "s1"} {
		r.Shards = append(r.Shards, events.ShardReport{ShardID: id, Kind: events.KindLocal, Status: events.StatusComplete,
			PlannedRate: 200, Requests: r.Requests / 2, AchievedRate: r.AchievedRate / 2, StartSkewMs: 0.3 * float64(i+1)})
	}
	verdicts := []string{events.VerdictPass, events.VerdictPass, events.VerdictPass, events.VerdictGenerator, events.VerdictFail}
	for s := range steps {
		rate := 100 * float64(s+1)
		r.Steps = append(r.Steps, events.StepReport{Step: s + 1, Kind: "step", FromS: float64(s * stepLen), ToS: float64((s + 1) * stepLen),
			Rate: rate, JudgedS: stepLen - 1, OfferedRate: rate, SentRate: rate - 1, OKRate: rate - 1 - 10*float64(s/4),
			Requests: int64(rate) * int64(stepLen), LatencyMs: lat(1 + float64(s)), Verdict: verdicts[s],
			Reasons: []string{fmt.Sprintf("p99 %g ms", 21*(1+float64(s)))}})
	}
	r.FindMax = &events.FindMaxReport{MaxSustainableRate: 300, FirstFailingRate: 400, StoppedBy: events.StoppedByGenerator, SettleS: 1,
		Conclusion: "The target sustained 300/s; at 400/s the generator limited the step.",
		SLO:        events.SLOReport{P99Ms: 80, ErrorRatio: 0.01}}
	r.Warnings = []string{"generator CPU reached 71% at 400/s\nsecond line of the warning"}
	r.Monitor = []events.MonitorReport{syntheticMonitor(seconds)}
	return r
}

// syntheticMonitor is a scrape of every second: a gauge, a counter with two
// label sets (one reset halfway) and a histogram bucket.
func syntheticMonitor(seconds int) events.MonitorReport {
	m := events.MonitorReport{URL: "http://kc:9000/metrics", Scrapes: int64(seconds), Failures: 1, LastError: "timeout"}
	gauge := events.MonitorSeries{Metric: "process_cpu_usage", Type: "gauge"}
	ok := events.MonitorSeries{Metric: "http_server_requests_seconds_count", Type: "counter", Labels: map[string]string{"status": "200"}}
	bad := events.MonitorSeries{Metric: "http_server_requests_seconds_count", Type: "counter", Labels: map[string]string{"status": "500"}}
	bucket := events.MonitorSeries{Metric: "http_server_requests_seconds_bucket", Type: "histogram", Labels: map[string]string{"le": "0.1"}}
	var okN, badN float64
	for k := range seconds {
		t := float64(k) + 0.05
		okN += 100 + 50*math.Sin(float64(k)/30)
		badN += float64(k % 3)
		if k == seconds/2 {
			badN = 0 // a restart
		}
		gauge.Points = append(gauge.Points, events.MonitorPoint{ElapsedS: t, Value: 0.2 + 0.3*float64(k)/float64(seconds)})
		ok.Points = append(ok.Points, events.MonitorPoint{ElapsedS: t, Value: okN})
		bad.Points = append(bad.Points, events.MonitorPoint{ElapsedS: t, Value: badN})
		bucket.Points = append(bucket.Points, events.MonitorPoint{ElapsedS: t, Value: okN})
	}
	m.Series = []events.MonitorSeries{gauge, ok, bad, bucket}
	return m
}
