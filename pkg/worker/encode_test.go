package worker

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
)

// TestEncodeResult pins encodeResult to json.Marshal: the same bytes for
// every kind of result, within the buffer it sized up front.
func TestEncodeResult(t *testing.T) {
	m := &events.ShardMessage{RunID: "r1", ShardWindow: events.ShardWindow{ShardID: "s0001-w1"}}
	full := func(stopped string, scraped []events.MonitorReport) *events.ShardResult {
		return shardResult(m, events.KindLambda, measured(t, stopped), scraped)
	}
	tests := []struct {
		name string
		res  *events.ShardResult
	}{
		// Every field set: targets, errors by class, per-target seconds, monitor, truncated.
		{"truncated with monitor", full(engine.StopAborted, []events.MonitorReport{{URL: "http://kc:9000/metrics", Scrapes: 3}})},
		// Complete: no stop reason, no monitor (both omitted).
		{"complete", full("", nil)},
		// Claimed but never started: no series at all (null).
		{"empty", (&Runtime{Kind: events.KindLocal}).empty(events.ShardMessage{RunID: "r1"}, "failed: no secret")},
		// A series that is there but empty ([] rather than null).
		{"empty series", func() *events.ShardResult { r := full("", nil); r.Series = []events.SeriesPoint{}; return r }()},
		// No targets, points without errors or histograms (null, omitted).
		{"bare points", func() *events.ShardResult {
			r := full("", nil)
			r.Targets = nil
			r.Series = []events.SeriesPoint{{T: 1}, {T: 2, Requests: -1, Dropped: 1 << 62}}
			return r
		}()},
		// Names that json.Marshal escapes, one of them spelling the series member.
		{"escaped names", func() *events.ShardResult {
			r := full("", nil)
			name := `"series":null,"health":<&>` + "\u2028\x01é"
			r.Targets[0].Name = name
			r.StopReason = name
			p := &r.Series[0]
			p.TargetLatency = map[string]events.Histogram{name: p.Latency, "b": nil, "a": {1, 2}}
			p.ErrorsByClass = map[string]int64{"x<y": 1, errclass.Timeout.String(): 2}
			return r
		}()},
		// A long run of three targets.
		{"ten minutes, three targets", longResult(600, 3)},
	}
	for _, tt := range tests {
		want, err := json.Marshal(tt.res)
		if err != nil {
			t.Fatal(err)
		}
		got := encodeResult(tt.res)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encodeResult differs from json.Marshal:\n got %.400s\nwant %.400s", tt.name, got, want)
		}
		rest := *tt.res
		rest.Series = nil
		if bound := len(marshal(&rest)) - len("null") + seriesBound(tt.res.Series); len(tt.res.Series) > 0 && len(got) > bound {
			t.Errorf("%s: %d bytes, more than the %d bounded", tt.name, len(got), bound)
		}
	}
}

// TestEncodeResultMemory counts the bytes encodeResult allocates for the
// result of a 10-minute run of three targets: little more than the JSON
// itself, where json.Marshal allocates over three times it.
func TestEncodeResultMemory(t *testing.T) {
	if raceOn {
		t.Skip("the race detector's own allocations (and its sync.Pool, which drops what it is given) are counted too")
	}
	res := longResult(600, 3)
	allocated := func(f func() []byte) (uint64, int) {
		var before, after runtime.MemStats
		f() // encoding/json's caches of our types
		runtime.GC()
		runtime.GC() // and its pool of buffers emptied, as in a worker that has encoded only small things
		runtime.ReadMemStats(&before)
		b := f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, len(b)
	}
	ours, size := allocated(func() []byte { return encodeResult(res) })
	theirs, _ := allocated(func() []byte { return marshal(res) })
	t.Logf("%d bytes of JSON: encodeResult allocates %d (%.2f×), json.Marshal %d (%.2f×)",
		size, ours, float64(ours)/float64(size), theirs, float64(theirs)/float64(size))
	if ours > uint64(size)*5/4 {
		t.Errorf("encodeResult allocates %d bytes for %d of JSON, want at most 1.25×", ours, size)
	}
}

// longResult is the result of a run of the given seconds and targets, its
// series of histograms as varied as those of a real run.
func longResult(seconds, targets int) *events.ShardResult {
	rng := rand.New(rand.NewPCG(1, 2))
	second := func(n int) []byte {
		lat := make([]time.Duration, n)
		for i := range lat {
			lat[i] = time.Duration(200+rng.ExpFloat64()*300) * time.Microsecond
		}
		b, err := histOf(lat...).MarshalBinary()
		if err != nil {
			panic(err)
		}
		return b
	}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := &engine.Result{Start: start, Send: time.Duration(seconds) * time.Second, End: start.Add(time.Duration(seconds) * time.Second),
		PlannedRate: 5000, PlannedArrivals: int64(5000 * seconds), Latency: histOf(time.Millisecond),
		LatencyUncorrected: histOf(time.Millisecond), Lag: histOf(time.Microsecond)}
	for i := range targets {
		r.Targets = append(r.Targets, engine.TargetResult{Name: "/t" + strconv.Itoa(i), Latency: histOf(time.Millisecond),
			LatencyUncorrected: histOf(time.Millisecond)})
	}
	for s := range seconds {
		p := engine.Second{Start: start.Add(time.Duration(s) * time.Second), Requests: 5000, Success: 5000,
			Latency: second(5000), LatencyUncorrected: second(5000)}
		for range targets {
			p.Targets = append(p.Targets, second(5000/targets))
		}
		r.Series = append(r.Series, p)
		r.Health.Samples = append(r.Health.Samples, events.HealthSample{T: p.Start.Unix(), IntervalS: 1, PlannedRate: 5000,
			AchievedRate: 5000, LagP99Ms: 0.125, Inflight: 12, OpenConns: 12, CPUPercent: 41.5, RSSBytes: 40 << 20, OpenFDs: 20})
	}
	m := &events.ShardMessage{RunID: "r1", ShardWindow: events.ShardWindow{ShardID: "s0001-w1"}}
	return shardResult(m, events.KindLocal, r, nil)
}
