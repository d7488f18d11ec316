package report

import (
	"cmp"

	"github.com/barrage-load/barrage/events"
)

// addGauges adds one shard's sample of the second to its gauges: in flight,
// open connections (summed and bounded) and TIME_WAIT (bounded only).
func (a *healthAcc) addGauges(x *events.HealthSample) {
	h := &a.h
	first := h.Shards == 0
	h.Shards++
	h.Inflight += x.Inflight
	h.OpenConns += x.OpenConns
	bound(&h.MinInflight, &h.MaxInflight, x.Inflight, first)
	bound(&h.MinOpenConns, &h.MaxOpenConns, x.OpenConns, first)
	bound(&h.MinTimeWait, &h.MaxTimeWait, x.TimeWait, first)
}

// addRates adds one shard's sample of the second, covering at least half
// of it, to the CPU, steal and lag bounds.
func (a *healthAcc) addRates(x *events.HealthSample) {
	h := &a.h
	first := a.rated == 0
	a.rated++
	bound(&h.MinCPUPercent, &h.MaxCPUPercent, x.CPUPercent, first)
	bound(&h.MinStealPercent, &h.MaxStealPercent, x.StealPercent, first)
	bound(&h.MinLagP99Ms, &h.MaxLagP99Ms, x.LagP99Ms, first)
}

// bound widens [*lo, *hi] to hold v; the first value sets both.
func bound[T cmp.Ordered](lo, hi *T, v T, first bool) {
	if first {
		*lo, *hi = v, v
		return
	}
	*lo, *hi = min(*lo, v), max(*hi, v)
}

// seriesHealth fills the generator's figures of second t into p: planned
// and sent rates, and its health when a shard sampled it.
func (m *merger) seriesHealth(p *events.SeriesReport, t int64) {
	a := m.health[t]
	if a == nil {
		return
	}
	p.PlannedRate, p.SentRate = a.planned, a.sent
	h := a.h
	p.Health = &h
}
