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

// merger accumulates shard results.
type merger struct {
	start         time.Time
	end           time.Time // the latest end of a shard's send window
	sendS         float64
	counts        events.Counts
	lat, unc, lag *hist.Histogram
	targets       []*targetAcc
	byName        map[string]*targetAcc
	series        map[int64]*seriesAcc
	health        map[int64]*healthAcc
	errs          errorAcc
	codec         *hist.Codec
	pending       []pendingSeries
	pendingHists  int // of pending's series, about
	second        func(events.SeriesReport, *hist.Histogram)
	targetSecond  func(events.SeriesReport, string, *hist.Histogram)
}

type targetAcc struct {
	name     string
	kind     string
	group    string
	counts   events.Counts
	errs     errorAcc
	lat, unc *hist.Histogram
}

// seriesAcc is one second of the run: counters and histograms added up as
// shards come. The histograms are sparse (a decoded histogram takes 184
// KiB, and a 1-hour run has 3,600 seconds, each with its uncorrected
// latencies and per target); at the end each second's go in turn into one
// reused histogram.
type seriesAcc struct {
	p        events.SeriesPoint
	lat, unc *hist.Sparse            // nil: no shard had a histogram
	targets  map[string]*hist.Sparse // by target name
}

func newMerger() *merger {
	return &merger{lat: hist.New(), unc: hist.New(), lag: hist.New(), codec: hist.NewCodec(),
		byName: map[string]*targetAcc{}, series: map[int64]*seriesAcc{}, health: map[int64]*healthAcc{}}
}

// mergeEncoded decodes b (empty means no samples) and merges it into dst.
func mergeEncoded(dst *hist.Histogram, b events.Histogram, what string) error {
	if len(b) == 0 {
		return nil
	}
	if err := hist.MergeEncoded(dst, b); err != nil {
		return fmt.Errorf("%s histogram: %w", what, err)
	}
	return nil
}

func (m *merger) add(res *events.ShardResult) error {
	if m.start.IsZero() || res.StartedAt.Before(m.start) {
		m.start = res.StartedAt
	}
	m.sendS = max(m.sendS, res.SendSeconds)
	if end := res.StartedAt.Add(time.Duration(res.SendSeconds * float64(time.Second))); end.After(m.end) {
		m.end = end
	}
	m.addHealth(&res.Health)
	addCounts(&m.counts, &res.Counts)
	m.errs.add(&res.Counts)
	if err := mergeEncoded(m.lat, res.Latency, "latency"); err != nil {
		return err
	}
	if err := mergeEncoded(m.unc, res.LatencyUncorrected, "uncorrected latency"); err != nil {
		return err
	}
	if err := mergeEncoded(m.lag, res.Lag, "lag"); err != nil {
		return err
	}
	for _, t := range res.Targets {
		acc := m.byName[t.Name]
		if acc == nil {
			acc = &targetAcc{name: t.Name, kind: t.Kind, group: t.Group, lat: hist.New(), unc: hist.New()}
			m.byName[t.Name] = acc
			m.targets = append(m.targets, acc)
		}
		addCounts(&acc.counts, &t.Counts)
		acc.errs.add(&t.Counts)
		if err := mergeEncoded(acc.lat, t.Latency, "target latency"); err != nil {
			return err
		}
		if err := mergeEncoded(acc.unc, t.LatencyUncorrected, "target uncorrected latency"); err != nil {
			return err
		}
	}
	m.pending = append(m.pending, pendingSeries{res.ShardID, res.Series})
	if len(res.Series) > 0 { // its histograms, as many in each point as in the first
		m.pendingHists += len(res.Series) * (2 + len(res.Series[0].TargetLatency))
	}
	if m.pendingHists >= seriesBatch {
		return m.flush()
	}
	return nil
}

// seriesBatch is how many per-second histograms of shards' series the
// merger holds before it merges them second by second: each second's
// sparse histograms (tens of KiB) then take the histograms of many shards
// while they are in the processor's cache, where one shard at a time
// would find them evicted by the other seconds' (a 1-hour run holds
// hundreds of MiB of them). The more shards, the fewer misses; the bound
// is on histograms, so that a batch takes as much memory whatever the
// run's length and targets (about 350 bytes a histogram decoded, 160 MiB):
// with 2 targets, 32 shards of an hour, 137 of 14 minutes.
const seriesBatch = 32 * 3600 * 4

// pendingSeries is a shard's series not yet merged.
type pendingSeries struct {
	shard  string
	series []events.SeriesPoint
}

// flush merges the pending series, the shards' j-th seconds one after the
// other for each j (the shards of a window share their seconds).
func (m *merger) flush() error {
	defer func() { clear(m.pending); m.pending, m.pendingHists = m.pending[:0], 0 }()
	for j := 0; ; j++ {
		more := false
		for _, ps := range m.pending {
			if j >= len(ps.series) {
				continue
			}
			more = true
			if err := m.addPoint(&ps.series[j]); err != nil {
				return fmt.Errorf("shard %s: %w", ps.shard, err)
			}
		}
		if !more {
			return nil
		}
	}
}

// addPoint merges one second of a shard's series.
func (m *merger) addPoint(p *events.SeriesPoint) error {
	acc := m.series[p.T]
	if acc == nil {
		acc = &seriesAcc{p: events.SeriesPoint{T: p.T}}
		m.series[p.T] = acc
	}
	acc.p.Requests += p.Requests
	acc.p.Success += p.Success
	acc.p.Errors += p.Errors
	acc.p.ErrorsByClass = addMap(acc.p.ErrorsByClass, p.ErrorsByClass)
	acc.p.Dropped += p.Dropped
	if err := m.mergeSparse(&acc.lat, p.Latency); err != nil {
		return fmt.Errorf("second %d: series latency histogram: %w", p.T, err)
	}
	if err := m.mergeSparse(&acc.unc, p.LatencyUncorrected); err != nil {
		return fmt.Errorf("second %d: series uncorrected latency histogram: %w", p.T, err)
	}
	for name, b := range p.TargetLatency {
		if len(b) == 0 {
			continue
		}
		if acc.targets == nil {
			acc.targets = map[string]*hist.Sparse{}
		}
		sp := acc.targets[name]
		if err := m.mergeSparse(&sp, b); err != nil {
			return fmt.Errorf("second %d, target %s: series target latency histogram: %w", p.T, name, err)
		}
		acc.targets[name] = sp
	}
	return nil
}

// mergeSparse adds the histogram encoded in b (empty: none) to *dst,
// which it creates on the first.
func (m *merger) mergeSparse(dst **hist.Sparse, b events.Histogram) error {
	if len(b) == 0 {
		return nil
	}
	if *dst == nil {
		*dst = &hist.Sparse{}
	}
	return m.codec.MergeIntoSparse(*dst, b)
}

// unsparse resets h and adds s (nil: nothing) to it.
func unsparse(h *hist.Histogram, s *hist.Sparse) error {
	h.Reset()
	if s == nil {
		return nil
	}
	return s.AddTo(h)
}

// targetSeconds hands each target's latencies of the second p, merged
// over the shards into the reused tl, to m.targetSecond.
func (m *merger) targetSeconds(p events.SeriesReport, a *seriesAcc, tl *hist.Histogram) error {
	if m.targetSecond == nil || len(a.targets) == 0 {
		return nil
	}
	for _, t := range m.targets {
		sp := a.targets[t.name]
		if sp == nil {
			continue
		}
		if err := unsparse(tl, sp); err != nil {
			return fmt.Errorf("second %d, target %s: %w", p.T, t.name, err)
		}
		m.targetSecond(p, t.name, tl)
	}
	return nil
}

func addCounts(dst, src *events.Counts) {
	dst.Requests += src.Requests
	dst.Success += src.Success
	dst.Dropped += src.Dropped
	dst.DroppedLate += src.DroppedLate
	dst.BytesIn += src.BytesIn
	dst.BytesOut += src.BytesOut
	dst.StatusCodes = addMap(dst.StatusCodes, src.StatusCodes)
	dst.Errors = addMap(dst.Errors, src.Errors)
}

func addMap(dst, src map[string]int64) map[string]int64 {
	for k, v := range src {
		if dst == nil {
			dst = map[string]int64{}
		}
		dst[k] += v
	}
	return dst
}

// fill writes the merged figures into r, with the steps of load.
func (m *merger) fill(r *events.Report, load events.Load) error {
	if err := m.flush(); err != nil {
		return err
	}
	c := &m.counts
	r.StartedAt = m.start
	// The send window runs from the first shard's start to the last one's
	// end: consecutive windows of a long run add up.
	r.DurationS = max(m.sendS, m.end.Sub(m.start).Seconds())
	r.Requests, r.Success, r.Dropped, r.DroppedLate = c.Requests, c.Success, c.Dropped, c.DroppedLate
	r.BytesIn, r.BytesOut = c.BytesIn, c.BytesOut
	r.SuccessRatio = ratio(c.Success, c.Requests)
	if m.sendS > 0 {
		r.AchievedRate = float64(c.Requests) / m.sendS
		r.Throughput = float64(c.Success) / m.sendS
	}
	r.StatusCodes = addMap(r.StatusCodes, c.StatusCodes)
	r.Errors = addMap(r.Errors, c.Errors)
	r.ErrorDetails, r.ErrorMessages = m.errs.detailCounts(), m.errs.messages()
	r.LatencyMs, r.LatencyUncorrectedMs, r.LagMs = Summarize(m.lat), Summarize(m.unc), Summarize(m.lag)
	qs := PercentileGrid(m.lat.Count())
	if len(qs) > 0 {
		r.LatencyPercentiles = &events.Percentiles{Q: qs, Ms: At(m.lat, qs), UncorrectedMs: At(m.unc, qs)}
	}
	for _, t := range m.targets {
		tr := events.TargetReport{Name: t.name, Kind: t.kind, Group: t.group, Requests: t.counts.Requests, Success: t.counts.Success,
			SuccessRatio: ratio(t.counts.Success, t.counts.Requests), Dropped: t.counts.Dropped,
			LatencyMs: Summarize(t.lat), StatusCodes: addMap(map[string]int64{}, t.counts.StatusCodes),
			Errors: addMap(map[string]int64{}, t.counts.Errors), ErrorDetails: t.errs.detailCounts(), ErrorMessages: t.errs.messages()}
		if len(qs) > 0 && t.lat.Count() > 0 {
			tr.PercentilesMs = At(t.lat, qs)
		}
		r.Targets = append(r.Targets, tr)
	}
	ts := make([]int64, 0, len(m.series))
	for t := range m.series {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	steps := newSteps(load, r.DurationS)
	lat, unc, tl := hist.New(), hist.New(), hist.New()
	for _, t := range ts {
		a := m.series[t]
		if err := unsparse(lat, a.lat); err != nil {
			return fmt.Errorf("second %d: %w", t, err)
		}
		if err := unsparse(unc, a.unc); err != nil {
			return fmt.Errorf("second %d: %w", t, err)
		}
		p := events.SeriesReport{T: t, ElapsedS: t - m.start.Unix(),
			Requests: a.p.Requests, Success: a.p.Success, Errors: a.p.Errors, ErrorsByClass: a.p.ErrorsByClass, Dropped: a.p.Dropped,
			P50Ms: ms(lat.Quantile(0.5)), P90Ms: ms(lat.Quantile(0.9)), P99Ms: ms(lat.Quantile(0.99))}
		if lat.Count() > 0 {
			p.MaxMs = ms(lat.Max())
		}
		if unc.Count() > 0 {
			p.P99UncorrectedMs = ms(unc.Quantile(0.99))
		}
		m.seriesHealth(&p, t)
		r.TimeSeries = append(r.TimeSeries, p)
		if m.second != nil {
			m.second(p, lat)
		}
		if err := m.targetSeconds(p, a, tl); err != nil {
			return err
		}
		if s := stepOf(steps, t-m.start.Unix()); s != nil {
			if err := s.addSecond(&a.p, lat); err != nil {
				return fmt.Errorf("step %d, second %d: %w", s.step.Index, t, err)
			}
		}
		delete(m.series, t) // done with: its memory may go
	}
	for _, s := range steps {
		r.Steps = append(r.Steps, s.finish(m))
	}
	if load.Shape == events.ShapeFindMax && load.FindMax != nil {
		r.FindMax = findMax(r.Steps, load.FindMax)
	}
	return nil
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
