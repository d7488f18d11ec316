package worker

import (
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
)

// shardResult is the wire form of what the engine measured for shard m on a
// worker of kind: the one place an engine.Result becomes an
// events.ShardResult, its histograms encoded (the per-second ones the engine
// keeps encoded already), with what the shard scraped of the spec's
// monitor endpoints beside it (nil when it does not scrape). A stopped
// engine makes a truncated shard, its stop reason the engine's; the caller
// may say more precisely why.
func shardResult(m *events.ShardMessage, kind string, r *engine.Result, scraped []events.MonitorReport) *events.ShardResult {
	res := &events.ShardResult{Version: events.ShardResultVersion, RunID: m.RunID, ShardID: m.ShardID, Kind: kind,
		Status: events.StatusComplete, StopReason: r.Stopped, PlannedRate: r.PlannedRate, PlannedArrivals: r.PlannedArrivals,
		StartedAt: r.Start.UTC(), SendSeconds: r.Send.Seconds(), EndedAt: r.End.UTC(),
		StartSkewMs: float64(r.StartSkew) / float64(time.Millisecond), Counts: r.Counts,
		Latency: encode(r.Latency), LatencyUncorrected: encode(r.LatencyUncorrected), Lag: encode(r.Lag),
		Health: r.Health, Monitor: scraped}
	if r.Stopped != "" {
		res.Status = events.StatusTruncated
	}
	for _, t := range r.Targets {
		res.Targets = append(res.Targets, events.TargetResult{Name: t.Name, Kind: t.Kind, Group: t.Group, Counts: t.Counts,
			Latency: encode(t.Latency), LatencyUncorrected: encode(t.LatencyUncorrected)})
	}
	for _, s := range r.Series {
		res.Series = append(res.Series, events.SeriesPoint{T: s.Start.Unix(), Requests: s.Requests, Success: s.Success,
			Errors: s.Errors, ErrorsByClass: classCounts(&s.ErrorClasses), Dropped: s.Dropped, Latency: s.Latency,
			LatencyUncorrected: s.LatencyUncorrected, TargetLatency: targetSeconds(r.Targets, s.Targets)})
	}
	return res
}

// targetSeconds is the wire form of a second's per-target latencies, by
// target name: nil when there are none.
func targetSeconds(targets []engine.TargetResult, lat [][]byte) map[string]events.Histogram {
	var m map[string]events.Histogram
	for i, b := range lat {
		if len(b) > 0 && i < len(targets) {
			if m == nil {
				m = map[string]events.Histogram{}
			}
			m[targets[i].Name] = b
		}
	}
	return m
}

// classCounts is the wire form of a second's errors by class: nil when
// there are none.
func classCounts(c *[errclass.NumClasses]int64) map[string]int64 {
	var m map[string]int64
	for cl, n := range c {
		if n > 0 {
			if m == nil {
				m = map[string]int64{}
			}
			m[errclass.Class(cl).String()] = n
		}
	}
	return m
}

// encode is h in the wire encoding. The engine's histograms share the one
// geometry, which always encodes: a failure is a bug.
func encode(h *hist.Histogram) events.Histogram {
	b, err := h.MarshalBinary()
	if err != nil {
		panic("worker: encoding a histogram: " + err.Error())
	}
	return b
}
