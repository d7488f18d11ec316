package engine

import (
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// result merges the stripes into the shard's result.
func (e *Engine) result(send time.Duration, smp *sampler) *events.ShardResult {
	res := &events.ShardResult{Version: events.ShardResultVersion, Kind: events.KindLocal,
		Status: events.StatusComplete, StartedAt: e.start.UTC(), SendSeconds: send.Seconds(),
		EndedAt: time.Now().UTC(), Series: smp.series}
	if p := e.cfg.Pacer; p != nil {
		res.PlannedArrivals = p.Arrivals(send)
		if p.Length() > 0 {
			res.PlannedRate = float64(p.Arrivals(p.Length())) / p.Length().Seconds()
		}
	}
	var total counts
	lat, unc, lag := hist.New(), hist.New(), hist.New()
	for ti, name := range e.names {
		var c counts
		tl, tu := hist.New(), hist.New()
		for _, st := range e.stripes {
			ts := &st.targets[ti]
			c.add(&ts.counts)
			if ts.lat != nil {
				mergeOrPanic(tl, ts.lat)
				mergeOrPanic(tu, ts.unc)
			}
		}
		// The totals count HTTP requests: a journey's iterations are kept
		// out of them, but its dropped arrivals are not (see Journey).
		if e.kinds[ti] != events.TargetIteration {
			total.add(&c)
			mergeOrPanic(lat, tl)
			mergeOrPanic(unc, tu)
		}
		res.Targets = append(res.Targets, events.TargetResult{Name: name, Kind: e.kinds[ti], Group: e.groups[ti],
			Counts: c.toEvents(e.tdrops[ti].Load(), e.tlate[ti].Load(), e.msgs), Latency: encode(tl), LatencyUncorrected: encode(tu)})
	}
	for _, st := range e.stripes {
		mergeOrPanic(lag, st.lag)
	}
	res.Counts = total.toEvents(e.drops.Load(), e.late.Load(), e.msgs)
	res.Latency, res.LatencyUncorrected, res.Lag = encode(lat), encode(unc), encode(lag)
	res.Health = smp.limits
	res.Health.Dials, res.Health.DialErrors = e.dials.Load(), e.dialErrs.Load()
	res.Health.LateLimitMs = ms(max(e.cfg.LateLimit, 0)) // 0: NoLateLimit
	res.Health.Samples = smp.samples
	if e.h2 != nil {
		res.Health.GoAways = e.h2.goawayCounts()
	}
	return res
}

func encode(h *hist.Histogram) events.Histogram {
	b, err := h.MarshalBinary()
	if err != nil {
		panic("engine: encoding a histogram: " + err.Error())
	}
	return b
}
