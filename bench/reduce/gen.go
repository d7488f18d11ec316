package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// shape is what one synthetic shard result holds.
type shape struct {
	seconds int // the window's length
	rate    int // requests per second
	targets int // 1: no per-target seconds; 2 to 16: a histogram per target each second
}

// errorClasses are the classes a synthetic shard's failures fall in.
var errorClasses = []string{"timeout", "reset"}

// synthetic returns one shard's result as the worker writes it (events
// encoded by encoding/json, histograms in pkg/hist's wire form), drawn
// from seed: per second, latencies log-normal around a median of 20 ms
// × (1 + target/2) with σ 0.5 and one in 500 a slow outlier ×10–40, their
// uncorrected twins (less a scheduling lag of about 100 µs), 0.5 % failed
// (timeout or reset, with details and messages), the per-target seconds
// when there are 2 to 16 targets, and a health sample.
func synthetic(sh shape, run, shard string, start time.Time, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	enc := func(h *hist.Histogram) events.Histogram {
		b, err := h.MarshalBinary()
		if err != nil {
			panic(err)
		}
		return b
	}
	names := make([]string, sh.targets)
	for i := range names {
		names[i] = fmt.Sprintf("GET /api/%d", i)
	}
	res := &events.ShardResult{Version: events.ShardResultVersion, RunID: run, ShardID: shard, Kind: events.KindFargate,
		Status: events.StatusComplete, PlannedRate: float64(sh.rate), PlannedArrivals: int64(sh.rate * sh.seconds),
		StartedAt: start, SendSeconds: float64(sh.seconds), EndedAt: start.Add(time.Duration(sh.seconds)*time.Second + 80*time.Millisecond),
		StartSkewMs: 2 + 10*rng.Float64(),
		Health: events.Health{CPUs: 1, PortRangeLow: 32768, PortRangeHigh: 60999, FDLimit: 65535, LateLimitMs: 10,
			Dials: int64(8 + rng.IntN(4))}}
	all, unc, lag := hist.New(), hist.New(), hist.New()
	tl, tu := make([]*hist.Histogram, sh.targets), make([]*hist.Histogram, sh.targets)
	sec, secU := hist.New(), hist.New()
	ts := make([]*hist.Histogram, sh.targets)
	for i := range tl {
		tl[i], tu[i], ts[i] = hist.New(), hist.New(), hist.New()
	}
	tc := make([]events.Counts, sh.targets)
	addErr := func(c *events.Counts, class string, detail, msg int) {
		if c.Errors == nil {
			c.Errors, c.ErrorDetails, c.ErrorMessages = map[string]int64{}, map[string]int64{}, map[string][]events.ErrorMessage{}
		}
		c.Errors[class]++
		c.ErrorDetails[fmt.Sprintf("%s E%d", class, detail)]++
		text := fmt.Sprintf("%s: upstream %d", class, msg)
		list := c.ErrorMessages[class]
		for i := range list {
			if list[i].Message == text {
				list[i].Count++
				return
			}
		}
		if len(list) < events.MaxErrorMessages {
			c.ErrorMessages[class] = append(list, events.ErrorMessage{Message: text, Count: 1})
		}
	}
	for s := range sh.seconds {
		sec.Reset()
		secU.Reset()
		for _, h := range ts {
			h.Reset()
		}
		p := events.SeriesPoint{T: start.Unix() + int64(s)}
		for range sh.rate {
			ti := rng.IntN(sh.targets)
			d := time.Duration(20e6 * (1 + float64(ti)/2) * math.Exp(0.5*rng.NormFloat64()))
			if rng.IntN(500) == 0 {
				d *= time.Duration(10 + rng.IntN(30))
			}
			l := time.Duration(50e3 + rng.ExpFloat64()*50e3)
			for _, h := range []*hist.Histogram{sec, all, ts[ti], tl[ti]} {
				h.Record(d)
			}
			for _, h := range []*hist.Histogram{secU, unc, tu[ti]} {
				h.Record(d - l)
			}
			lag.Record(l)
			p.Requests++
			res.Counts.Requests++
			tc[ti].Requests++
			if rng.IntN(200) == 0 {
				class := errorClasses[rng.IntN(len(errorClasses))]
				p.Errors++
				if p.ErrorsByClass == nil {
					p.ErrorsByClass = map[string]int64{}
				}
				p.ErrorsByClass[class]++
				detail, msg := rng.IntN(3), rng.IntN(4)
				addErr(&res.Counts, class, detail, msg)
				addErr(&tc[ti], class, detail, msg)
				continue
			}
			p.Success++
			res.Counts.Success++
			tc[ti].Success++
		}
		p.Latency, p.LatencyUncorrected = enc(sec), enc(secU)
		if sh.targets >= 2 && sh.targets <= 16 {
			p.TargetLatency = map[string]events.Histogram{}
			for i, h := range ts {
				if h.Count() > 0 {
					p.TargetLatency[names[i]] = enc(h)
				}
			}
		}
		res.Series = append(res.Series, p)
		res.Health.Samples = append(res.Health.Samples, events.HealthSample{T: p.T, IntervalS: 1,
			PlannedRate: float64(sh.rate), AchievedRate: float64(sh.rate), LagP99Ms: 0.3 + rng.Float64(),
			Inflight: int64(2 + rng.IntN(6)), OpenConns: int64(8 + rng.IntN(4)), CPUPercent: 20 + 20*rng.Float64(),
			RSSBytes: int64(40e6 + rng.IntN(10e6)), OpenFDs: 20 + rng.IntN(10)})
	}
	res.Counts.BytesIn, res.Counts.BytesOut = 900*res.Counts.Requests, 150*res.Counts.Requests
	res.Counts.StatusCodes = map[string]int64{"200": res.Counts.Success}
	res.Latency, res.LatencyUncorrected, res.Lag = enc(all), enc(unc), enc(lag)
	for i := range tl {
		tc[i].StatusCodes = map[string]int64{"200": tc[i].Success}
		res.Targets = append(res.Targets, events.TargetResult{Name: names[i], Counts: tc[i], Latency: enc(tl[i]), LatencyUncorrected: enc(tu[i])})
	}
	b, err := json.Marshal(res)
	if err != nil {
		panic(err)
	}
	return b
}
