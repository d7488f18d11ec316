package reduce

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

func put(t *testing.T, st store.Store, key string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := st.Put(context.Background(), key, b, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// fixture stores a run of three planned shards: s0000 reported, s0001 was
// claimed and never reported (its worker died), s0002 came too late.
func fixture(t *testing.T) (store.Store, string) {
	st := store.Dir{Root: t.TempDir()}
	run := "r1"
	start := time.Unix(1_800_000_000, 0).UTC()
	put(t, st, store.SpecKey(run), events.RunSpec{Name: "n", Targets: []events.Target{{URL: "http://a/"}},
		Load: events.Load{Rate: 30}})
	put(t, st, store.PlanKey(run), events.Plan{RunID: run, Backend: "local", StartAt: start,
		Deadline: start.Add(time.Minute), Shards: []events.PlanShard{
			{ShardWindow: events.ShardWindow{ShardID: "s0000", Kind: "local"}, Rate: 10},
			{ShardWindow: events.ShardWindow{ShardID: "s0001", Kind: "local"}, Rate: 10},
			{ShardWindow: events.ShardWindow{ShardID: "s0002", Kind: "local"}, Rate: 10}}})
	h := hist.New()
	h.Record(5 * time.Millisecond)
	enc, _ := h.MarshalBinary()
	put(t, st, store.ClaimKey(run, "s0000"), events.Claim{Worker: "w0"})
	put(t, st, store.ResultKey(run, "s0000"), events.ShardResult{Version: 1, RunID: run, ShardID: "s0000",
		Kind: "local", Status: events.StatusComplete, PlannedRate: 10, StartedAt: start, SendSeconds: 1,
		Counts: events.Counts{Requests: 1, Success: 1}, Latency: enc, LatencyUncorrected: enc, Lag: enc})
	put(t, st, store.ClaimKey(run, "s0001"), events.Claim{Worker: "w1"})
	put(t, st, store.MissedKey(run, "s0002"), events.Claim{Worker: "w2"})
	return st, run
}

func TestReduceLostAndMissed(t *testing.T) {
	st, run := fixture(t)
	r, err := Reduce(context.Background(), st, run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s0000": events.StatusComplete, "s0001": events.StatusLost, "s0002": events.StatusMissed}
	for _, s := range r.Shards {
		if s.Status != want[s.ShardID] {
			t.Errorf("shard %s is %s; want %s", s.ShardID, s.Status, want[s.ShardID])
		}
	}
	if r.Requests != 1 || r.Coverage < 0.33 || r.Coverage > 0.34 || r.Name != "n" {
		t.Errorf("requests %d, coverage %v, name %q; want 1, 1/3, n", r.Requests, r.Coverage, r.Name)
	}
	for _, name := range []string{"report.json", "report.txt", "report.md", "report.html"} {
		if ok, _ := st.Exists(context.Background(), store.ReportFile(run, name)); !ok {
			t.Errorf("%s not written", name)
		}
	}
}

// TestReduceOnce runs several reducers at once and again later: one
// report is written and every reducer returns it.
func TestReduceOnce(t *testing.T) {
	st, run := fixture(t)
	var wg sync.WaitGroup
	reports := make([]*events.Report, 8)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Reduce(context.Background(), st, run)
			if err != nil {
				t.Error(err)
			}
			reports[i] = r
		}()
	}
	wg.Wait()
	stored, err := Stored(context.Background(), st, run)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reports {
		if r == nil || r.RunID != stored.RunID || r.Requests != stored.Requests || len(r.Shards) != 3 {
			t.Errorf("reducer %d returned %+v", i, r)
		}
	}
	// A result that arrives after the report changes nothing.
	put(t, st, store.ResultKey(run, "s0001"), events.ShardResult{Version: 1, RunID: run, ShardID: "s0001",
		Counts: events.Counts{Requests: 99}})
	again, err := Reduce(context.Background(), st, run)
	if err != nil || again.Requests != 1 {
		t.Errorf("second reduce: %d requests, %v; want the first report's 1", again.Requests, err)
	}
}

func TestAwait(t *testing.T) {
	st, run := fixture(t)
	var p events.Plan
	b, _ := st.Get(context.Background(), store.PlanKey(run))
	json.Unmarshal(b, &p)
	// s0001 never reports: Await returns at the deadline with one left.
	p.Deadline = time.Now().Add(300 * time.Millisecond)
	t0 := time.Now()
	left, err := Await(context.Background(), st, &p, 20*time.Millisecond)
	if err != nil || left != 1 || time.Since(t0) < 250*time.Millisecond {
		t.Errorf("Await = %d, %v after %v; want 1 outstanding at the deadline", left, err, time.Since(t0))
	}
	// Once it reports, Await returns at once.
	put(t, st, store.ResultKey(run, "s0001"), events.ShardResult{Version: 1})
	p.Deadline = time.Now().Add(time.Hour)
	if left, _ := Await(context.Background(), st, &p, 20*time.Millisecond); left != 0 {
		t.Errorf("Await = %d; want 0", left)
	}
}
