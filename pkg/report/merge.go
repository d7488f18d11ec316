package report

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// merger accumulates shard results.
type merger struct {
	start         time.Time
	end           time.Time // the latest end of a shard's send window
	sendS         float64
	counts        events.Counts
	lat, unc, lag *hist.Sparse // nil: no shard had one
	targets       []*targetAcc
	byName        map[string]*targetAcc
	series        map[int64]*seriesAcc
	health        map[int64]*healthAcc
	errs          errorAcc
	codec         *hist.Codec
	pending       []pendingSeries
	seriesTargets []string // the target names met in series, in turn
	warmed        byte     // what warm read, kept so that it reads
	pendingHists  int      // of pending's series, about
	second        func(events.SeriesReport, *hist.Histogram)
	targetSecond  func(events.SeriesReport, string, *hist.Histogram)
}

type targetAcc struct {
	name     string
	kind     string
	group    string
	counts   events.Counts
	errs     errorAcc
	lat, unc *hist.Sparse // nil: no shard had one
}

// seriesAcc is one second of the run: counters and histograms added up as
// shards come. The histograms are sparse (a decoded histogram takes 184
// KiB, and a 1-hour run has 3,600 seconds, each with its uncorrected
// latencies and per target); at the end each second's go in turn into one
// reused histogram.
type seriesAcc struct {
	p        events.SeriesPoint
	lat, unc *hist.Sparse   // nil: no shard had a histogram
	targets  []*hist.Sparse // by the index of their name in merger.seriesTargets
}

func newMerger() *merger {
	return &merger{codec: hist.NewCodec(),
		byName: map[string]*targetAcc{}, series: map[int64]*seriesAcc{}, health: map[int64]*healthAcc{}}
}

// mergeEncoded decodes b (empty means no samples) and merges it into
// *dst, as mergeSparse does. A shard's own histograms go into sparse ones
// too, not straight into hist.Histograms: their counts are added where
// they are read, not recorded one value at a time.
func (m *merger) mergeEncoded(dst **hist.Sparse, b events.Histogram, what string) error {
	if err := m.mergeSparse(dst, b); err != nil {
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
	if err := m.mergeEncoded(&m.lat, res.Latency, "latency"); err != nil {
		return err
	}
	if err := m.mergeEncoded(&m.unc, res.LatencyUncorrected, "uncorrected latency"); err != nil {
		return err
	}
	if err := m.mergeEncoded(&m.lag, res.Lag, "lag"); err != nil {
		return err
	}
	for _, t := range res.Targets {
		acc := m.byName[t.Name]
		if acc == nil {
			acc = &targetAcc{name: t.Name, kind: t.Kind, group: t.Group}
			m.byName[t.Name] = acc
			m.targets = append(m.targets, acc)
		}
		addCounts(&acc.counts, &t.Counts)
		acc.errs.add(&t.Counts)
		if err := m.mergeEncoded(&acc.lat, t.Latency, "target latency"); err != nil {
			return err
		}
		if err := m.mergeEncoded(&acc.unc, t.LatencyUncorrected, "target uncorrected latency"); err != nil {
			return err
		}
	}
	m.pending = append(m.pending, pendingSeries{res.ShardID, res.Series})
	if len(res.Series) > 0 { // its histograms, as many in each point as in the first
		p := &res.Series[0]
		m.pendingHists += len(res.Series) * (2 + len(p.TargetLatency) + len(p.TargetList))
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
// other for each j (the shards of a window share their seconds): first
// their counters, then each kind of histogram over all of them in turn,
// so that the merged histogram they go into stays in the processor's
// first-level cache.
func (m *merger) flush() error {
	defer func() { clear(m.pending); m.pending, m.pendingHists = m.pending[:0], 0 }()
	accs := make([]*seriesAcc, len(m.pending))
	for j := 0; ; j++ {
		more := false
		for k, ps := range m.pending {
			accs[k] = nil
			if j < len(ps.series) {
				more = true
				accs[k] = m.addCounters(&ps.series[j])
			}
		}
		if !more {
			return nil
		}
		m.warm(j)
		for k, ps := range m.pending {
			if a := accs[k]; a != nil {
				if err := m.mergeSparse(&a.lat, ps.series[j].Latency); err != nil {
					return fmt.Errorf("shard %s: second %d: series latency histogram: %w", ps.shard, a.p.T, err)
				}
			}
		}
		for k, ps := range m.pending {
			if a := accs[k]; a != nil {
				if err := m.mergeSparse(&a.unc, ps.series[j].LatencyUncorrected); err != nil {
					return fmt.Errorf("shard %s: second %d: series uncorrected latency histogram: %w", ps.shard, a.p.T, err)
				}
			}
		}
		for k, ps := range m.pending {
			if a := accs[k]; a != nil {
				if err := m.addTargets(a, &ps.series[j]); err != nil {
					return fmt.Errorf("shard %s: %w", ps.shard, err)
				}
			}
		}
	}
}

// warm reads a byte of every 64 of the shards' j-th seconds' histograms,
// which lie in as many results, read long before: the processor then
// fetches them from memory all at once, where reading each one in turn
// would wait for each in turn.
func (m *merger) warm(j int) {
	var sum byte
	for _, ps := range m.pending {
		if j < len(ps.series) {
			p := &ps.series[j]
			sum += touch(p.Latency) + touch(p.LatencyUncorrected)
			for _, t := range p.TargetList {
				sum += touch(t.Hist)
			}
		}
	}
	m.warmed += sum
}

// touch reads a byte of every 64 of b.
func touch(b []byte) (sum byte) {
	for i := 0; i < len(b); i += 64 {
		sum += b[i]
	}
	return sum
}

// addCounters adds the counters of one second of a shard's series to
// their second, which it returns.
func (m *merger) addCounters(p *events.SeriesPoint) *seriesAcc {
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
	return acc
}

// addTargets merges the per-target histograms of one second of a shard's
// series into acc, its second.
func (m *merger) addTargets(acc *seriesAcc, p *events.SeriesPoint) error {
	for name, b := range p.TargetLatency {
		if err := m.addTarget(acc, p.T, m.seriesTarget(name, 0), b); err != nil {
			return err
		}
	}
	for k, t := range p.TargetList {
		if err := m.addTarget(acc, p.T, m.seriesTarget(t.Name, k), t.Hist); err != nil {
			return err
		}
	}
	return nil
}

// addTarget merges the histogram b of second t of target k (of
// m.seriesTargets) into acc, t's.
func (m *merger) addTarget(acc *seriesAcc, t int64, k int, b events.Histogram) error {
	if len(b) == 0 {
		return nil
	}
	if k >= len(acc.targets) {
		acc.targets = append(acc.targets, make([]*hist.Sparse, k+1-len(acc.targets))...)
	}
	if err := m.mergeSparse(&acc.targets[k], b); err != nil {
		return fmt.Errorf("second %d, target %s: series target latency histogram: %w", t, m.seriesTargets[k], err)
	}
	return nil
}

// seriesTarget returns the index of name in m.seriesTargets, where it adds
// it if need be; hint is where it may well be (the names of a shard's
// seconds come in the same order, and the shards' mostly too).
func (m *merger) seriesTarget(name string, hint int) int {
	if hint < len(m.seriesTargets) && m.seriesTargets[hint] == name {
		return hint
	}
	for k, n := range m.seriesTargets {
		if n == name {
			return k
		}
	}
	m.seriesTargets = append(m.seriesTargets, name)
	return len(m.seriesTargets) - 1
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
		k := slices.Index(m.seriesTargets, t.name)
		if k < 0 || k >= len(a.targets) || a.targets[k] == nil {
			continue
		}
		sp := a.targets[k]
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
	lat, unc, lag := hist.New(), hist.New(), hist.New()
	for _, h := range [...]struct {
		dst *hist.Histogram
		s   *hist.Sparse
	}{{lat, m.lat}, {unc, m.unc}, {lag, m.lag}} {
		if err := unsparse(h.dst, h.s); err != nil {
			return err
		}
	}
	r.LatencyMs, r.LatencyUncorrectedMs, r.LagMs = Summarize(lat), Summarize(unc), Summarize(lag)
	qs := PercentileGrid(lat.Count())
	if len(qs) > 0 {
		r.LatencyPercentiles = &events.Percentiles{Q: qs, Ms: At(lat, qs), UncorrectedMs: At(unc, qs)}
	}
	for _, t := range m.targets {
		if err := unsparse(lat, t.lat); err != nil {
			return fmt.Errorf("target %s: %w", t.name, err)
		}
		tr := events.TargetReport{Name: t.name, Kind: t.kind, Group: t.group, Requests: t.counts.Requests, Success: t.counts.Success,
			SuccessRatio: ratio(t.counts.Success, t.counts.Requests), Dropped: t.counts.Dropped,
			LatencyMs: Summarize(lat), StatusCodes: addMap(map[string]int64{}, t.counts.StatusCodes),
			Errors: addMap(map[string]int64{}, t.counts.Errors), ErrorDetails: t.errs.detailCounts(), ErrorMessages: t.errs.messages()}
		if len(qs) > 0 && lat.Count() > 0 {
			tr.PercentilesMs = At(lat, qs)
		}
		r.Targets = append(r.Targets, tr)
	}
	ts := make([]int64, 0, len(m.series))
	for t := range m.series {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	steps := newSteps(load, r.DurationS)
	tl := hist.New()
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
