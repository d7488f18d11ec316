package reduce

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

// realistic builds the result of one shard of a 1-minute window at rate/s
// over two targets: latencies log-normal around 20 ms, one series point a
// second, a health sample a second.
// realisticTargets are realistic's targets: the first one's name has a
// comma and a space, which an interval log's tag cannot hold.
var realisticTargets = []string{"GET /a, b", "target-1"}

func realistic(rng *rand.Rand, run, shard string, start time.Time, rate int) *events.ShardResult {
	enc := func(h *hist.Histogram) events.Histogram { b, _ := h.MarshalBinary(); return b }
	all, unc, lag := hist.New(), hist.New(), hist.New()
	tl := []*hist.Histogram{hist.New(), hist.New()}
	res := &events.ShardResult{Version: 1, RunID: run, ShardID: shard, Kind: events.KindLambda,
		Status: events.StatusComplete, PlannedRate: float64(rate), StartedAt: start, SendSeconds: 60}
	for sec := range 60 {
		h := hist.New()
		ts := []*hist.Histogram{hist.New(), hist.New()}
		for range rate {
			d := time.Duration(20e6 * (0.3 + rng.ExpFloat64()))
			h.Record(d)
			all.Record(d)
			unc.Record(d - 50*time.Microsecond)
			lag.Record(time.Duration(rng.IntN(200)) * time.Microsecond)
			i := rng.IntN(2)
			tl[i].Record(d)
			ts[i].Record(d)
		}
		tsec := map[string]events.Histogram{}
		for i, t := range ts {
			if t.Count() > 0 {
				tsec[realisticTargets[i]] = enc(t)
			}
		}
		res.Series = append(res.Series, events.SeriesPoint{T: start.Unix() + int64(sec), Requests: int64(rate),
			Success: int64(rate), Latency: enc(h), TargetLatency: tsec})
		res.Health.Samples = append(res.Health.Samples, events.HealthSample{T: start.Unix() + int64(sec), IntervalS: 1,
			PlannedRate: float64(rate), AchievedRate: float64(rate), CPUPercent: 30, RSSBytes: 30e6})
	}
	n := int64(60 * rate)
	res.Counts = events.Counts{Requests: n, Success: n, StatusCodes: map[string]int64{"200": n}}
	res.Latency, res.LatencyUncorrected, res.Lag = enc(all), enc(unc), enc(lag)
	for i, h := range tl {
		res.Targets = append(res.Targets, events.TargetResult{Name: realisticTargets[i],
			Counts: events.Counts{Requests: h.Count(), Success: h.Count()}, Latency: enc(h), LatencyUncorrected: enc(h)})
	}
	return res
}

// BenchmarkReduce1000 merges 1,000 shard results (1-minute windows at 50/s
// each, 60 per-second histograms apiece) from a directory store into one
// report. The goal: at most 2 s on one core (go test -bench Reduce1000 -cpu 1).
func BenchmarkReduce1000(b *testing.B) {
	dir := b.TempDir()
	st := store.Dir{Root: dir}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Unix(1_800_000_000, 0).UTC()
	p := events.Plan{RunID: "r", Backend: "aws", StartAt: start, Deadline: start.Add(2 * time.Minute)}
	proto := make([][]byte, 8) // a few distinct shards, stored under every id
	for i := range proto {
		proto[i], _ = json.Marshal(realistic(rng, "r", "", start, 50))
	}
	var size int
	for k := range 1000 {
		id := fmt.Sprintf("s%04d", k)
		p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: id, Kind: events.KindLambda}, Rate: 50})
		var res events.ShardResult
		json.Unmarshal(proto[k%len(proto)], &res)
		res.ShardID = id
		body, _ := json.Marshal(res)
		size += len(body)
		st.Put(ctx, store.ResultKey("r", id), body, store.PutOptions{})
	}
	planBody, _ := json.Marshal(p)
	specBody, _ := json.Marshal(events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}})
	b.ReportMetric(float64(size)/1000, "result-bytes")
	for b.Loop() {
		b.StopTimer()
		st := store.Dir{Root: b.TempDir()}
		for k := range 1000 { // the same results, in a fresh run folder
			id := fmt.Sprintf("s%04d", k)
			body, _ := store.Dir{Root: dir}.Get(ctx, store.ResultKey("r", id))
			st.Put(ctx, store.ResultKey("r", id), body, store.PutOptions{})
		}
		st.Put(ctx, store.PlanKey("r"), planBody, store.PutOptions{})
		st.Put(ctx, store.SpecKey("r"), specBody, store.PutOptions{})
		b.StartTimer()
		r, err := Reduce(ctx, st, "r")
		if err != nil || r.Requests != 1000*60*50 || len(r.TimeSeries) != 60 {
			b.Fatalf("report: %v, %d requests, %d seconds", err, r.Requests, len(r.TimeSeries))
		}
	}
}
