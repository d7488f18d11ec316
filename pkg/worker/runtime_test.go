package worker

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/store"
)

// lenient lets the engine send arrivals up to a second late: these tests
// count requests exactly, and the race detector or a busy machine can stall
// the scheduler past the default 10 ms (the engine's own tests pin that).
func lenient(c *engine.Config) { c.LateLimit = time.Second }

// target counts the requests it receives.
func target(t *testing.T) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// stored plans a local run of rate/s for d against url, stores its spec and
// plan, and returns its shard messages.
func stored(t *testing.T, st store.Store, url string, rate float64, d time.Duration, workers int) []events.ShardMessage {
	t.Helper()
	return storedSpec(t, st, events.RunSpec{Targets: []events.Target{{URL: url}}, Load: events.Load{Shape: events.ShapeConstant, Rate: rate},
		Duration: events.Duration(d), Workers: workers})
}

// storedSpec plans s (defaults applied) as the local run "r", stores its
// spec and plan, and returns its shard messages.
func storedSpec(t *testing.T, st store.Store, s events.RunSpec) []events.ShardMessage {
	t.Helper()
	s = s.WithDefaults()
	p, err := plan.Make(s, plan.Options{RunID: "r", Backend: plan.BackendLocal, Now: time.Now(), Workers: s.Workers, LocalCPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range map[string]any{store.SpecKey("r"): s, store.PlanKey("r"): p} {
		b, _ := json.Marshal(v)
		if err := st.Put(context.Background(), key, b, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return plan.Messages(p, s, store.SpecKey("r"))
}

func result(t *testing.T, st store.Store, shard string) *events.ShardResult {
	t.Helper()
	b, err := st.Get(context.Background(), store.ResultKey("r", shard))
	if err != nil {
		t.Fatal(err)
	}
	var res events.ShardResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

// TestDuplicateDelivery delivers one shard three times, twice at once and
// once after it ran: one claim, one result, and the traffic once.
func TestDuplicateDelivery(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 50, time.Second, 1)[0]
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	var wg sync.WaitGroup
	outs := make([]Outcome, 2)
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i], _ = rt.RunShard(context.Background(), m) }()
	}
	wg.Wait()
	late, err := rt.RunShard(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if !(outs[0] == Complete && outs[1] == Duplicate || outs[0] == Duplicate && outs[1] == Complete) || late != Duplicate {
		t.Errorf("outcomes %v then %v; want one complete and duplicates", outs, late)
	}
	if res := result(t, st, m.ShardID); res.Counts.Requests != 50 || hits.Load() != 50 {
		t.Errorf("result has %d requests, the target saw %d; want 50 once", res.Counts.Requests, hits.Load())
	}
}

// TestDeliveredAfterNotAfter sends nothing and marks the shard missed.
func TestDeliveredAfterNotAfter(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 50, time.Second, 1)[0]
	rt := &Runtime{Store: st, Kind: events.KindLocal, Now: func() time.Time { return m.NotAfter.Add(time.Millisecond) }}
	out, err := rt.RunShard(context.Background(), m)
	if err != nil || out != Missed {
		t.Fatalf("outcome %v, %v; want missed", out, err)
	}
	time.Sleep(100 * time.Millisecond)
	if hits.Load() != 0 {
		t.Errorf("a missed shard sent %d requests", hits.Load())
	}
	if ok, _ := st.Exists(context.Background(), store.MissedKey("r", m.ShardID)); !ok {
		t.Error("no missed marker")
	}
	if ok, _ := st.Exists(context.Background(), store.ClaimKey("r", m.ShardID)); ok {
		t.Error("a missed shard was claimed")
	}
}

// TestAbort stops a long shard within 2 s of the abort marker.
func TestAbort(t *testing.T) {
	url, _ := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 20, time.Minute, 1)[0]
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	var aborted time.Time
	time.AfterFunc(time.Until(m.StartAt)+500*time.Millisecond, func() {
		aborted = time.Now()
		st.Put(context.Background(), store.AbortKey("r"), nil, store.PutOptions{})
	})
	out, err := rt.RunShard(context.Background(), m)
	stopped := time.Since(aborted)
	if err != nil || out != Truncated {
		t.Fatalf("outcome %v, %v; want truncated", out, err)
	}
	if stopped > 2*time.Second {
		t.Errorf("stopped %v after the abort marker; want within 2 s", stopped)
	}
	if res := result(t, st, m.ShardID); res.StopReason != "aborted" || res.Counts.Requests == 0 {
		t.Errorf("result: reason %q, %d requests", res.StopReason, res.Counts.Requests)
	}
}

// TestDeadline stops early enough before the worker's own deadline.
func TestDeadline(t *testing.T) {
	url, _ := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 20, time.Minute, 1)[0]
	deadline := time.Now().Add(2 * time.Second)
	rt := &Runtime{Store: st, Kind: events.KindLocal, Deadline: deadline, UploadMargin: time.Second}
	out, err := rt.RunShard(context.Background(), m)
	if err != nil || out != Truncated || time.Now().After(deadline) {
		t.Fatalf("outcome %v, %v at %v past the deadline", out, err, time.Since(deadline))
	}
	if res := result(t, st, m.ShardID); res.StopReason != "deadline" {
		t.Errorf("stop reason %q; want deadline", res.StopReason)
	}
}

// TestServe runs every shard of a 4-shard run from a queue, once each,
// and leaves the queue empty.
func TestServe(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	msgs := stored(t, st, url, 200, time.Second, 4)
	q := queue.NewMem()
	var bodies [][]byte
	for _, m := range msgs {
		b, _ := json.Marshal(m)
		bodies = append(bodies, b, b) // every shard delivered twice
	}
	q.Send(context.Background(), bodies)
	rt := &Runtime{Store: st, Kind: events.KindLocal, ProgressEvery: 100 * time.Millisecond, Engine: lenient}
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[Outcome]int{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs, err := rt.Serve(context.Background(), q, ServeOptions{IdleExit: 500 * time.Millisecond, Wait: 100 * time.Millisecond})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, o := range outs {
				count[o]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if count[Complete] != 4 || count[Duplicate] != 4 || q.Len() != 0 {
		t.Errorf("outcomes %v, %d left in the queue; want 4 complete, 4 duplicates, none left", count, q.Len())
	}
	if hits.Load() != 200 {
		t.Errorf("the target saw %d requests; want the 200 planned", hits.Load())
	}
	if ok, _ := st.Exists(context.Background(), store.ProgressKey("r", msgs[0].ShardID)); !ok {
		t.Error("no progress object was written")
	}
}

// lostAnswer is a store whose first conditional create of a claim succeeds
// but answers ErrExists, as a retried S3 create does when the first
// attempt's answer was lost.
type lostAnswer struct {
	store.Store
	once sync.Once
}

func (l *lostAnswer) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	err := l.Store.Put(ctx, key, body, opt)
	lost := false
	if err == nil && opt.IfAbsent && strings.HasSuffix(key, "/claim") {
		l.once.Do(func() { lost = true })
	}
	if lost {
		return store.ErrExists
	}
	return err
}

// TestClaimAnswerLost checks that a worker recognises its own claim by its
// nonce and runs the shard rather than calling it a duplicate.
func TestClaimAnswerLost(t *testing.T) {
	url, hits := target(t)
	st := &lostAnswer{Store: store.Dir{Root: t.TempDir()}}
	m := stored(t, st, url, 20, time.Second, 1)[0]
	out, err := (&Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}).RunShard(context.Background(), m)
	if err != nil || out != Complete || hits.Load() != 20 {
		t.Errorf("outcome %v, %v, %d requests; want complete with 20", out, err, hits.Load())
	}
}

// TestErrorMessagesRedacted: a scenario step fails on a URL holding a
// secret in its path and a code in its query (net/http's error quotes the
// URL). The shard's result keeps the error's message, with neither.
func TestErrorMessagesRedacted(t *testing.T) {
	const pw, code = "hunter2-Secret", "c0de-abc123"
	t.Setenv("BARRAGE_TEST_PW", pw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connect_refused
	st := store.Dir{Root: t.TempDir()}
	s := events.RunSpec{Scenarios: []events.Scenario{{Name: "sc", Secrets: map[string]string{"pw": "env:BARRAGE_TEST_PW"},
		Steps: []events.ScenarioStep{{Name: "cb", URL: "http://" + addr + "/u/{{pw}}/%zz?code=" + code}}}},
		Load: events.Load{Shape: events.ShapeConstant, Rate: 20}, Duration: events.Duration(250 * time.Millisecond), Workers: 1}.WithDefaults()
	m := storedSpec(t, st, s)[0]
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	if _, err := rt.RunShard(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	res := result(t, st, m.ShardID)
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), pw) || strings.Contains(string(b), code) {
		t.Errorf("the result holds the secret or the code:\n%s", b)
	}
	var msgs []events.ErrorMessage
	for _, tr := range res.Targets {
		msgs = append(msgs, tr.Counts.ErrorMessages["other"]...)
	}
	if len(msgs) == 0 {
		t.Fatalf("no message kept: %+v", res.Targets)
	}
	t.Logf("messages: %v", msgs)
}
