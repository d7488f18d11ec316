package report

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestSeriesHealth merges three shards' samples of one second: rates add up
// by their intervals, gauges add up and are bounded, and a shard's sliver of
// a second (its last sample) counts for the gauges but not for CPU, steal
// and lag.
func TestSeriesHealth(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	sample := func(interval, cpu, steal, lag float64, inflight, conns int64, tw int) events.HealthSample {
		return events.HealthSample{T: start.Unix(), IntervalS: interval, PlannedRate: 10, AchievedRate: 8,
			CPUPercent: cpu, StealPercent: steal, LagP99Ms: lag, Inflight: inflight, OpenConns: conns, TimeWait: tw}
	}
	var results []*events.ShardResult
	for i, x := range []events.HealthSample{
		sample(1, 20, 1, 3, 5, 7, 100),
		sample(1, 60, 4, 1, 2, 9, 40),
		sample(0.2, 99, 50, 900, 11, 1, 300), // a sliver: gauges only
	} {
		res := shard(t, string(rune('a'+i)), start, []time.Duration{time.Millisecond})
		res.Health.Samples = []events.HealthSample{x}
		results = append(results, res)
	}
	r, err := Build(Input{RunID: "r", Results: results})
	if err != nil {
		t.Fatal(err)
	}
	p := r.TimeSeries[0]
	if p.PlannedRate != 22 || p.SentRate != 17.6 {
		t.Errorf("planned %v, sent %v; want 22 (10+10+2), 17.6 (8+8+1.6)", p.PlannedRate, p.SentRate)
	}
	want := events.SeriesHealth{Shards: 3, MinCPUPercent: 20, MaxCPUPercent: 60, MinStealPercent: 1, MaxStealPercent: 4,
		MinLagP99Ms: 1, MaxLagP99Ms: 3, Inflight: 18, MinInflight: 2, MaxInflight: 11,
		OpenConns: 17, MinOpenConns: 1, MaxOpenConns: 9, MinTimeWait: 40, MaxTimeWait: 300}
	if p.Health == nil || *p.Health != want {
		t.Errorf("health %+v\nwant   %+v", p.Health, want)
	}
	if q := r.TimeSeries[1]; q.Health != nil || q.PlannedRate != 0 {
		t.Errorf("second 1 has no sample but health %+v, planned %v", q.Health, q.PlannedRate)
	}
}
