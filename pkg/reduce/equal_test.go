package reduce

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

var update = flag.Bool("update", false, "rewrite testdata/equal.golden")

// equalClasses are the error classes a random run's shards report.
var equalClasses = []string{"timeout", "reset", "refused"}

// randomRun stores a run of 3 windows of 20 s, shards shards each (a
// stages load, 3 targets, so per-target seconds), with errors by class,
// detail and message, truncated shards, and shards lost or missed, all
// drawn from seed.
func randomRun(t *testing.T, st store.Store, run string, shards int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	start := time.Unix(1_800_000_000, 0).UTC()
	targets := []string{"GET /a, b", "t1", "t2"}
	spec := events.RunSpec{Name: "random", Targets: []events.Target{{URL: "http://a/"}, {URL: "http://b/"}, {URL: "http://c/"}},
		Load: events.Load{Shape: events.ShapeStages, Stages: []events.Stage{
			{Duration: events.Duration(20 * time.Second), Rate: 100}, {Duration: events.Duration(40 * time.Second), Rate: 200}}}}
	put(t, st, store.SpecKey(run), spec)
	p := events.Plan{RunID: run, Backend: "aws", StartAt: start, Deadline: start.Add(2 * time.Minute)}
	enc := func(h *hist.Histogram) events.Histogram { b, _ := h.MarshalBinary(); return b }
	scratch := []*hist.Histogram{hist.New(), hist.New(), hist.New(), hist.New(), hist.New()} // a second's, reused
	totals := []*hist.Histogram{hist.New(), hist.New(), hist.New(), hist.New(), hist.New(), hist.New()}
	for w := range 3 {
		for k := range shards {
			id := fmt.Sprintf("s%04d", k)
			if w > 0 {
				id += fmt.Sprintf("-w%d", w)
			}
			rate := 2 + rng.Float64()*8
			p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: id, Kind: events.KindLambda}, Window: w, Rate: rate})
			switch rng.IntN(40) {
			case 0: // lost
				continue
			case 1:
				put(t, st, store.MissedKey(run, id), events.Claim{Worker: "w"})
				continue
			}
			ws := start.Add(time.Duration(w*20) * time.Second)
			res := &events.ShardResult{Version: 1, RunID: run, ShardID: id, Kind: events.KindLambda, Status: events.StatusComplete,
				PlannedRate: rate, StartedAt: ws, SendSeconds: 20, StartSkewMs: rng.Float64() * 50,
				Health: events.Health{CPUs: 1, PortRangeLow: 32768, PortRangeHigh: 60999, FDLimit: 1024, LateLimitMs: 10,
					Dials: rng.Int64N(100), GoAways: map[string]int64{}}}
			secs := 20
			if rng.IntN(15) == 0 {
				res.Status, res.StopReason, secs = events.StatusTruncated, "aborted", 5+rng.IntN(10)
				res.SendSeconds = float64(secs) - 0.4
			}
			if rng.IntN(20) == 0 {
				res.Health.GoAways["ENHANCE_YOUR_CALM"] = rng.Int64N(3) + 1
			}
			all, unc, lag := totals[0], totals[1], totals[2]
			tl := totals[3:]
			for _, x := range totals {
				x.Reset()
			}
			tc := make([]events.Counts, 3)
			for sec := range secs {
				n := int(rate) + rng.IntN(3) - 1
				h, u := scratch[0], scratch[1]
				ts := scratch[2:]
				for _, x := range scratch {
					x.Reset()
				}
				pt := events.SeriesPoint{T: ws.Unix() + int64(sec)}
				for range n {
					d := time.Duration(20e6 * math.Exp(0.6*rng.NormFloat64()))
					if rng.IntN(500) == 0 {
						d *= 40 // a slow outlier
					}
					i := rng.IntN(3)
					pt.Requests++
					tc[i].Requests++
					if rng.IntN(30) == 0 {
						cl := equalClasses[rng.IntN(len(equalClasses))]
						pt.Errors++
						pt.ErrorsByClass = addMapT(pt.ErrorsByClass, cl, 1)
						for _, c := range []*events.Counts{&res.Counts, &tc[i]} {
							c.Errors = addMapT(c.Errors, cl, 1)
							c.ErrorDetails = addMapT(c.ErrorDetails, cl+" E"+fmt.Sprint(rng.IntN(3)), 1)
							msg := fmt.Sprintf("%s: message %d", cl, rng.IntN(8))
							if c.ErrorMessages == nil {
								c.ErrorMessages = map[string][]events.ErrorMessage{}
							}
							list, found := c.ErrorMessages[cl], false
							for j := range list {
								if list[j].Message == msg {
									list[j].Count++
									found = true
								}
							}
							if !found && len(list) < events.MaxErrorMessages {
								list = append(list, events.ErrorMessage{Message: msg, Count: 1})
							}
							c.ErrorMessages[cl] = list
						}
					} else {
						pt.Success++
						tc[i].Success++
						res.Counts.StatusCodes = addMapT(res.Counts.StatusCodes, "200", 1)
						tc[i].StatusCodes = addMapT(tc[i].StatusCodes, "200", 1)
					}
					res.Counts.Requests++
					h.Record(d)
					all.Record(d)
					ts[i].Record(d)
					tl[i].Record(d)
					du := d - time.Duration(rng.IntN(300))*time.Microsecond
					u.Record(du)
					unc.Record(du)
					lag.Record(time.Duration(rng.IntN(400)) * time.Microsecond)
				}
				if rng.IntN(50) == 0 {
					pt.Dropped = rng.Int64N(4) + 1
					res.Counts.Dropped += pt.Dropped
				}
				pt.Latency, pt.LatencyUncorrected = enc(h), enc(u)
				for i, th := range ts {
					if th.Count() > 0 {
						if pt.TargetLatency == nil {
							pt.TargetLatency = map[string]events.Histogram{}
						}
						pt.TargetLatency[targets[i]] = enc(th)
					}
				}
				res.Series = append(res.Series, pt)
				res.Health.Samples = append(res.Health.Samples, events.HealthSample{T: pt.T, IntervalS: 1,
					PlannedRate: rate, AchievedRate: float64(n) - float64(rng.IntN(2))*rng.Float64()*3, LagP99Ms: rng.Float64() * 12,
					Inflight: rng.Int64N(20), OpenConns: rng.Int64N(20), TimeWait: rng.IntN(100), CPUPercent: 20 + rng.Float64()*75,
					StealPercent: rng.Float64() * 11, RSSBytes: 30e6 + rng.Int64N(1e6), OpenFDs: 10 + rng.IntN(40)})
			}
			res.Counts.Success = res.Counts.Requests - sumMap(res.Counts.Errors)
			res.Latency, res.LatencyUncorrected, res.Lag = enc(all), enc(unc), enc(lag)
			for i, h := range tl {
				res.Targets = append(res.Targets, events.TargetResult{Name: targets[i], Counts: tc[i], Latency: enc(h), LatencyUncorrected: enc(h)})
			}
			put(t, st, store.ResultKey(run, id), res)
		}
	}
	put(t, st, store.PlanKey(run), p)
}

func addMapT(m map[string]int64, k string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k] += n
	return m
}

func sumMap(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// TestReduceGolden reduces random runs of a few hundred shard results and
// holds every file the reducer writes to the digests the reducer that read
// every result into memory first wrote (testdata/equal.golden, -update
// rewrites it): the streaming merge must leave them byte for byte.
func TestReduceGolden(t *testing.T) {
	var got strings.Builder
	for _, c := range []struct {
		shards int
		seed   uint64
	}{{100, 1}, {300, 2}} {
		st := store.Dir{Root: t.TempDir()}
		run := fmt.Sprintf("golden-%d", c.seed)
		randomRun(t, st, run, c.shards, c.seed)
		if _, err := Reduce(context.Background(), st, run); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"report.json", "report.txt", "report.md", "report.html", HlogFile} {
			b, err := st.Get(context.Background(), store.ReportFile(run, name))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&got, "%s %s %x\n", run, name, sha256.Sum256(b))
		}
	}
	path := filepath.Join("testdata", "equal.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("the reducer's files differ from the golden digests:\n got %s\nwant %s", got.String(), want)
	}
}
