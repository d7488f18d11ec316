package report

import (
	"github.com/barrage-load/barrage/events"
)

// shardReport summarises one shard's result.
func shardReport(res *events.ShardResult) events.ShardReport {
	sr := events.ShardReport{ShardID: res.ShardID, Kind: res.Kind, Status: res.Status,
		PlannedRate: res.PlannedRate, Requests: res.Counts.Requests, Dropped: res.Counts.Dropped,
		StartSkewMs: res.StartSkewMs, Health: summarize(&res.Health, res.SendSeconds), Reason: res.StopReason}
	if res.SendSeconds > 0 {
		sr.AchievedRate = float64(res.Counts.Requests) / res.SendSeconds
	}
	return sr
}

// summarize takes the worst of a shard's health samples; sendS is the
// shard's send window in seconds. A sample covering less than half a second
// (the last one, usually) counts for the peaks of gauges (in flight,
// connections, memory), not for rates and CPU shares, which are noise over
// so short an interval. The achieved ratio is of rateSeconds only.
func summarize(h *events.Health, sendS float64) events.HealthSummary {
	s := events.HealthSummary{FDLimit: h.FDLimit, Dials: h.Dials, DialErrors: h.DialErrors,
		GoAways: addMap(nil, h.GoAways), MinAchievedRatio: 1}
	if h.PortRangeHigh > 0 {
		s.PortRangeSize = h.PortRangeHigh - h.PortRangeLow + 1
	}
	var cpuSum float64
	n := 0
	for _, x := range h.Samples {
		s.MaxInflight = max(s.MaxInflight, x.Inflight)
		s.MaxOpenConns = max(s.MaxOpenConns, x.OpenConns)
		s.MaxTimeWait = max(s.MaxTimeWait, x.TimeWait)
		s.MaxOpenFDs = max(s.MaxOpenFDs, x.OpenFDs)
		s.PeakRSSBytes = max(s.PeakRSSBytes, x.RSSBytes)
		if x.IntervalS < 0.5 {
			continue
		}
		n++
		s.MaxCPUPercent = max(s.MaxCPUPercent, x.CPUPercent)
		s.MaxStealPercent = max(s.MaxStealPercent, x.StealPercent)
		cpuSum += x.CPUPercent
		s.MaxLagP99Ms = max(s.MaxLagP99Ms, x.LagP99Ms)
	}
	for _, i := range rateSeconds(h.Samples, sendS) {
		x := &h.Samples[i]
		s.MinAchievedRatio = min(s.MinAchievedRatio, x.AchievedRate/x.PlannedRate)
	}
	if n > 0 {
		s.MeanCPUPercent = cpuSum / float64(n)
	}
	return s
}

// summarizeAll combines the shards' summaries: peaks are the worst shard's,
// counts add up, the mean CPU is averaged over reporting shards.
func summarizeAll(shards []events.ShardReport) events.HealthSummary {
	var s events.HealthSummary
	s.MinAchievedRatio = 1
	n := 0
	for _, sh := range shards {
		if sh.Status == events.StatusLost {
			continue
		}
		h := sh.Health
		n++
		s.MaxCPUPercent = max(s.MaxCPUPercent, h.MaxCPUPercent)
		s.MaxStealPercent = max(s.MaxStealPercent, h.MaxStealPercent)
		s.MeanCPUPercent += h.MeanCPUPercent
		s.MaxLagP99Ms = max(s.MaxLagP99Ms, h.MaxLagP99Ms)
		s.MinAchievedRatio = min(s.MinAchievedRatio, h.MinAchievedRatio)
		s.MaxInflight = max(s.MaxInflight, h.MaxInflight)
		s.MaxOpenConns = max(s.MaxOpenConns, h.MaxOpenConns)
		s.MaxTimeWait = max(s.MaxTimeWait, h.MaxTimeWait)
		s.MaxOpenFDs = max(s.MaxOpenFDs, h.MaxOpenFDs)
		s.PeakRSSBytes = max(s.PeakRSSBytes, h.PeakRSSBytes)
		if s.FDLimit == 0 || (h.FDLimit > 0 && h.FDLimit < s.FDLimit) {
			s.FDLimit = h.FDLimit
		}
		if s.PortRangeSize == 0 || (h.PortRangeSize > 0 && h.PortRangeSize < s.PortRangeSize) {
			s.PortRangeSize = h.PortRangeSize
		}
		s.Dials += h.Dials
		s.DialErrors += h.DialErrors
		s.GoAways = addMap(s.GoAways, h.GoAways)
	}
	if n > 0 {
		s.MeanCPUPercent /= float64(n)
	}
	return s
}

// rateSeconds returns the indices of the samples that judge a worker's
// achieved rate: whole seconds (the last, partial one is not) with a planned
// rate, that ended by the end of the shard's send window, sendS seconds
// after its start (0: not known). Samples are consecutive from the start, so
// each starts where the ones before it end. After a shard stopped early
// (interrupted, aborted by a threshold or a find-max staircase that ended)
// its sampler goes on while requests in flight finish, and the schedule goes
// on planning arrivals the shard was no longer asked to send: those seconds
// are not short of anything.
func rateSeconds(samples []events.HealthSample, sendS float64) []int {
	var out []int
	end := 0.0
	for i := range samples {
		x := &samples[i]
		end += x.IntervalS
		if sendS > 0 && end > sendS+0.001 { // a millisecond for the sum's rounding
			break
		}
		if x.PlannedRate > 0 && x.IntervalS >= 0.99 {
			out = append(out, i)
		}
	}
	return out
}
