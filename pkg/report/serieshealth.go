package report

import "github.com/barrage-load/barrage/events"

// addGauges adds one shard's sample of the second to its gauges: in flight,
// open connections (summed and bounded) and TIME_WAIT (bounded only).
func (a *healthAcc) addGauges(x *events.HealthSample) {
	h := &a.h
	first := h.Shards == 0
	h.Shards++
	h.Inflight += x.Inflight
	h.OpenConns += x.OpenConns
	if first {
		h.MinInflight, h.MaxInflight = x.Inflight, x.Inflight
		h.MinOpenConns, h.MaxOpenConns = x.OpenConns, x.OpenConns
		h.MinTimeWait, h.MaxTimeWait = x.TimeWait, x.TimeWait
		return
	}
	h.MinInflight, h.MaxInflight = min(h.MinInflight, x.Inflight), max(h.MaxInflight, x.Inflight)
	h.MinOpenConns, h.MaxOpenConns = min(h.MinOpenConns, x.OpenConns), max(h.MaxOpenConns, x.OpenConns)
	h.MinTimeWait, h.MaxTimeWait = min(h.MinTimeWait, x.TimeWait), max(h.MaxTimeWait, x.TimeWait)
}

// addRates adds one shard's sample of the second, covering at least half
// of it, to the CPU, steal and lag bounds.
func (a *healthAcc) addRates(x *events.HealthSample) {
	h := &a.h
	a.rated++
	if a.rated == 1 {
		h.MinCPUPercent, h.MaxCPUPercent = x.CPUPercent, x.CPUPercent
		h.MinStealPercent, h.MaxStealPercent = x.StealPercent, x.StealPercent
		h.MinLagP99Ms, h.MaxLagP99Ms = x.LagP99Ms, x.LagP99Ms
		return
	}
	h.MinCPUPercent, h.MaxCPUPercent = min(h.MinCPUPercent, x.CPUPercent), max(h.MaxCPUPercent, x.CPUPercent)
	h.MinStealPercent, h.MaxStealPercent = min(h.MinStealPercent, x.StealPercent), max(h.MaxStealPercent, x.StealPercent)
	h.MinLagP99Ms, h.MaxLagP99Ms = min(h.MinLagP99Ms, x.LagP99Ms), max(h.MaxLagP99Ms, x.LagP99Ms)
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
