package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// Shard is a planned shard: what the reducer expects a result for.
type Shard struct {
	ShardID     string
	Kind        string
	PlannedRate float64
}

// Input is what a report is built from.
type Input struct {
	RunID, Name string
	// Mode is the connection mode (see events.Report.Mode).
	Mode string
	// Planned lists every shard of the plan; nil means the shards of Results.
	Planned []Shard
	// Results are the shard results, at most one per shard.
	Results []*events.ShardResult
	// Missed names planned shards without a result whose delivery came
	// after their window (reported as missed rather than lost).
	Missed map[string]bool
	// Reasons say why planned shards without a result have none (missed
	// or lost), by shard id.
	Reasons map[string]string
	// Load is the run's load: the steps of a stages or find-max load are
	// reported from the merged series, and a find-max judged (steps.go).
	Load events.Load
	// Thresholds are judged on the report once built (threshold.go).
	Thresholds []events.Threshold
	// ExpectFailures is the spec's expect_failures: a run in which nothing
	// succeeded still passes (verdict.go).
	ExpectFailures bool
	// Second, if set, is called for each point of the time series in turn
	// with its latencies merged over the shards (the reducer writes
	// report.hlog with it); lat is reused once Second returns.
	Second func(p events.SeriesReport, lat *hist.Histogram)
	// TargetSecond, if set, is called after Second for each target with
	// latencies in the second, in the report's order of targets, with
	// them merged over the shards (the shards keep them for 2 to 16
	// targets: events.SeriesPoint.TargetLatency); lat is reused once
	// TargetSecond returns.
	TargetSecond func(p events.SeriesReport, target string, lat *hist.Histogram)
}

// Build merges the results into a report: a Builder fed the planned
// shards' results in the order of the plan.
func Build(in Input) (*events.Report, error) {
	byID := map[string]*events.ShardResult{}
	for _, res := range in.Results {
		if _, dup := byID[res.ShardID]; dup {
			return nil, fmt.Errorf("two results for shard %q", res.ShardID)
		}
		byID[res.ShardID] = res
	}
	b := NewBuilder(in)
	if in.Planned == nil {
		for _, res := range in.Results {
			if err := b.Add(res); err != nil {
				return nil, err
			}
		}
		return b.Finish()
	}
	for _, p := range in.Planned {
		if res := byID[p.ShardID]; res != nil {
			if err := b.Add(res); err != nil {
				return nil, err
			}
		}
	}
	return b.Finish()
}

// Builder merges shard results into a report one at a time and keeps none
// of them: what the report needs of each is folded into running sums (the
// run's and each target's histograms and counters, one merged histogram per
// second of the series, kept sparse, hist.Sparse) or into small per-shard
// rows, so a reducer can stream thousands of results through it. Results
// are added in the order of the plan: targets are reported in the order
// they first appear, and warnings name shards in the order they came.
type Builder struct {
	in     Input
	m      *merger
	rows   map[string]events.ShardReport // by shard id
	order  []Shard                       // the added shards, when in.Planned is nil
	skews  []float64
	late   lateAcc
	short  shortAcc
	stops  []stopped
	failed error
}

// stopped is a shard that stopped early, for the warnings.
type stopped struct {
	id, reason string
	sendS      float64
}

// NewBuilder starts the report of in; in.Results is not read.
func NewBuilder(in Input) *Builder {
	m := newMerger()
	m.second, m.targetSecond = in.Second, in.TargetSecond
	return &Builder{in: in, m: m, rows: map[string]events.ShardReport{}, late: lateAcc{limit: -1}, short: shortAcc{worst: 1}}
}

// Add merges res, at most one result per shard. After an error the
// Builder is done: Finish returns that error.
func (b *Builder) Add(res *events.ShardResult) error {
	if b.failed != nil {
		return b.failed
	}
	if _, dup := b.rows[res.ShardID]; dup {
		b.failed = fmt.Errorf("two results for shard %q", res.ShardID)
		return b.failed
	}
	if err := b.m.add(res); err != nil {
		b.failed = fmt.Errorf("shard %s: %w", res.ShardID, err)
		return b.failed
	}
	b.rows[res.ShardID] = shardReport(res)
	if b.in.Planned == nil {
		b.order = append(b.order, Shard{ShardID: res.ShardID, Kind: res.Kind, PlannedRate: res.PlannedRate})
	}
	b.skews = append(b.skews, res.StartSkewMs)
	b.late.add(res)
	b.short.add(res)
	if res.StopReason != "" {
		b.stops = append(b.stops, stopped{res.ShardID, res.StopReason, res.SendSeconds})
	}
	return nil
}

// Finish builds the report of the results added.
func (b *Builder) Finish() (*events.Report, error) {
	if b.failed != nil {
		return nil, b.failed
	}
	in := b.in
	r := &events.Report{Version: events.ReportVersion, RunID: in.RunID, Name: in.Name, Mode: in.Mode,
		StatusCodes: map[string]int64{}, Errors: map[string]int64{}, ExpectFailures: in.ExpectFailures}
	planned := in.Planned
	if planned == nil {
		planned = b.order
	}
	var plannedSum, coveredSum float64
	var reported int
	for _, p := range planned {
		plannedSum += p.PlannedRate
		row, ok := b.rows[p.ShardID]
		if !ok {
			status := events.StatusLost
			if in.Missed[p.ShardID] {
				status = events.StatusMissed
			}
			r.Shards = append(r.Shards, events.ShardReport{ShardID: p.ShardID, Kind: p.Kind,
				Status: status, PlannedRate: p.PlannedRate, Reason: in.Reasons[p.ShardID]})
			continue
		}
		reported++
		coveredSum += p.PlannedRate
		r.Shards = append(r.Shards, row)
	}
	switch {
	case plannedSum > 0:
		r.Coverage = coveredSum / plannedSum
	case len(planned) > 0:
		r.Coverage = float64(reported) / float64(len(planned))
	}
	r.TargetRate = plannedSum
	r.StartSkewMs = skew(b.skews)
	r.LateLimitMs = b.late.limitMs()
	if err := b.m.fill(r, in.Load); err != nil {
		return nil, err
	}
	r.Health = summarizeAll(r.Shards)
	r.Warnings = warnings(r, b.short.msg, b.stops)
	r.Thresholds, r.Passed = Judge(r, in.Thresholds)
	nothing, why := nothingSucceeded(r)
	if nothing { // the first thing to know
		r.NothingSucceeded, r.Warnings = true, append([]string{why}, r.Warnings...)
		r.Passed = r.Passed && r.ExpectFailures
	}
	return r, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Summarize turns a histogram into the report's latency figures.
func Summarize(h *hist.Histogram) events.Latency {
	if h.Count() == 0 {
		return events.Latency{}
	}
	return events.Latency{Min: ms(h.Min()), Mean: ms(h.Mean()), P50: ms(h.Quantile(0.5)),
		P90: ms(h.Quantile(0.9)), P95: ms(h.Quantile(0.95)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max())}
}

// PercentileGrid returns the quantiles of a percentile distribution of n
// latencies: q = 1 − 10^(−k/10) for k = 0, 1, … while 1/(1−q) ≤ n, at most
// up to 99.9999% (k = 60); none for no latency.
func PercentileGrid(n int64) []float64 {
	var qs []float64
	for k := 0; k <= 60 && math.Pow(10, float64(k)/10) <= float64(n); k++ {
		qs = append(qs, 1-math.Pow(10, -float64(k)/10))
	}
	return qs
}

// At returns h's values at the quantiles qs, in milliseconds.
func At(h *hist.Histogram, qs []float64) []float64 {
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = ms(h.Quantile(q))
	}
	return out
}

// lateAcc is the late limit of the shards that ran (that have health
// samples): the largest, where 0, no limit, is the largest of all. The
// shards of a run share their spec's limit; this only matters if they
// did not.
type lateAcc struct {
	limit float64 // -1: no shard ran
	none  bool    // a shard that ran had no limit
}

func (a *lateAcc) add(res *events.ShardResult) {
	switch l := res.Health.LateLimitMs; {
	case len(res.Health.Samples) == 0:
	case l == 0:
		a.none = true
	default:
		a.limit = max(a.limit, l)
	}
}

func (a *lateAcc) limitMs() float64 {
	if a.none {
		return 0
	}
	return max(a.limit, 0)
}

// skew summarises the shards' start skews: p50, p99 (nearest rank) and max.
func skew(xs []float64) events.Latency {
	if len(xs) == 0 {
		return events.Latency{}
	}
	sort.Float64s(xs)
	rank := func(q float64) float64 { return xs[max(0, int(math.Ceil(q*float64(len(xs))))-1)] }
	return events.Latency{P50: rank(0.5), P99: rank(0.99), Max: xs[len(xs)-1]}
}
