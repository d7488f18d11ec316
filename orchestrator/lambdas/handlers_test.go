package lambdas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/store"
)

// stored plans a run of two shards against a counting target.
func stored(t *testing.T) (store.Store, []events.ShardMessage, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	st, msgs := storedAt(t, srv.URL)
	return st, msgs, &hits
}

// storedAt plans a run of two shards, 20 arrivals in 1 s, against url.
func storedAt(t *testing.T, url string) (store.Store, []events.ShardMessage) {
	return storedRun(t, events.RunSpec{Targets: []events.Target{{URL: url}}, Load: events.Load{Shape: events.ShapeConstant, Rate: 20},
		Duration: events.Duration(time.Second), Workers: 2})
}

// storedRun plans s (defaults applied) as run r in a new store.
func storedRun(t *testing.T, s events.RunSpec) (store.Store, []events.ShardMessage) {
	st := store.Dir{Root: t.TempDir()}
	s = s.WithDefaults()
	p, err := plan.Make(s, plan.Options{RunID: "r", Backend: plan.BackendLocal, Now: time.Now(), Workers: s.Workers, LocalCPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{store.SpecKey("r"): s, store.PlanKey("r"): p} {
		b, _ := json.Marshal(v)
		st.Put(context.Background(), k, b, store.PutOptions{})
	}
	return st, plan.Messages(p, s, store.SpecKey("r"))
}

// TestWorkerSQSEvent runs the shard an SQS event carries (batch size 1:
// one invocation a shard, run at once), reporting no failure; a redelivery
// is a duplicate, not a failure either. The shards' live metrics go to
// the worker's EMF writer (its stdout on Lambda).
func TestWorkerSQSEvent(t *testing.T) {
	st, msgs, hits := stored(t)
	var emf lockedWriter
	w := &Worker{Store: st, EMF: &emf}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	invoke := func(m events.ShardMessage, id string) {
		b, _ := json.Marshal(m)
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": id, "eventSource": "aws:sqs", "body": string(b)}}})
		out, err := w.Handle(ctx, payload)
		if err != nil {
			t.Error(err)
		}
		if b, _ := json.Marshal(out); string(b) != `{"batchItemFailures":[]}` {
			t.Errorf("response %s; want no failures", b)
		}
	}
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Add(1)
		go func() { defer wg.Done(); invoke(m, fmt.Sprint("m", i)) }()
	}
	wg.Wait()
	invoke(msgs[0], "again")
	// Every planned arrival is accounted for once (sent, or dropped as late
	// on a slow machine), and the target saw exactly what was sent.
	var sent, planned int64
	for _, m := range msgs {
		var r events.ShardResult
		b, err := st.Get(ctx, store.ResultKey("r", m.ShardID))
		if err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("no result for %s: %v", m.ShardID, err)
		}
		sent += r.Counts.Requests
		planned += r.Counts.Requests + r.Counts.Dropped
	}
	if planned != 20 || hits.Load() != sent {
		t.Errorf("%d arrivals accounted for, %d sent, the target saw %d; want 20 planned, each sent once", planned, sent, hits.Load())
	}
	lines := strings.Split(strings.TrimSpace(emf.b.String()), "\n")
	for _, l := range lines {
		if !strings.Contains(l, `"Namespace":"barrage"`) || !strings.Contains(l, `"Kind":"lambda"`) || !strings.Contains(l, `"RunId":"r"`) {
			t.Errorf("EMF line %s; want namespace barrage, run r, kind lambda", l)
		}
	}
}

// lockedWriter is a bytes.Buffer safe for concurrent writes.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestReducerWaitsForAll reduces a run on the S3 event of its last result,
// not before; the deadline payload reduces whatever arrived.
func TestReducerWaitsForAll(t *testing.T) {
	st, msgs, _ := stored(t)
	r := &Reducer{Store: st}
	event := func(shard string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"s3": map[string]any{"object": map[string]any{
			"key": store.ResultKey("r", shard)}}}}})
		return b
	}
	put := func(shard string) {
		b, _ := json.Marshal(events.ShardResult{Version: 1, RunID: "r", ShardID: shard, Status: events.StatusComplete})
		st.Put(context.Background(), store.ResultKey("r", shard), b, store.PutOptions{})
	}
	put(msgs[0].ShardID)
	if done, err := r.Handle(context.Background(), event(msgs[0].ShardID)); err != nil || len(done) != 0 {
		t.Fatalf("after one of two results: reduced %v, %v; want nothing yet", done, err)
	}
	put(msgs[1].ShardID)
	if done, err := r.Handle(context.Background(), event(msgs[1].ShardID)); err != nil || len(done) != 1 {
		t.Fatalf("after both results: reduced %v, %v; want the run", done, err)
	}
	if rep, err := reduce.Stored(context.Background(), st, "r"); err != nil || rep.Coverage != 1 {
		t.Errorf("report %+v, %v", rep, err)
	}
	payload, _ := json.Marshal(events.ReducePayload{RunID: "r"})
	if done, err := r.Handle(context.Background(), payload); err != nil || len(done) != 1 {
		t.Errorf("deadline payload: %v, %v", done, err)
	}
}

func TestRunOfResult(t *testing.T) {
	for key, want := range map[string]string{
		"runs/r1/shards/s0000/result.json": "r1", "runs/r1/shards/s0000/claim": "", "runs/r1/plan.json": "", "other/x": ""} {
		if got := runOfResult(key); got != want {
			t.Errorf("runOfResult(%q) = %q; want %q", key, got, want)
		}
	}
}

// TestWorkerSecrets: the worker resolves a scenario's ssm: reference with
// its Secrets (FromEnv's: awssecret's sources); without them the shard
// fails to start, naming the reference.
func TestWorkerSecrets(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Pw") != "ssm-Pa55word" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hits.Add(1)
	}))
	defer srv.Close()
	ssm := secret.SourceFunc(func(_ context.Context, name string) (string, error) {
		if name != "/barrage/pw" {
			return "", secret.ErrNotFound
		}
		return "ssm-Pa55word", nil
	})
	for _, tc := range []struct {
		name    string
		secrets secret.Sources
		want    string // the result's stop reason; "" for a run
	}{
		{"with the sources", secret.Sources{secret.KindSSM: ssm}, ""},
		{"without", nil, "failed: scenario api: resolve ssm:/barrage/pw: no source reads this kind of reference here (ssm:)"},
	} {
		st, msgs := storedRun(t, events.RunSpec{Scenarios: []events.Scenario{{Name: "api", Secrets: map[string]string{"pw": "ssm:/barrage/pw"},
			Steps: []events.ScenarioStep{{Name: "get", URL: srv.URL + "/", Header: map[string]string{"X-Pw": "{{pw}}"}}}}},
			Load: events.Load{Shape: events.ShapeConstant, Rate: 10}, Duration: events.Duration(500 * time.Millisecond), Workers: 1})
		m := msgs[0]
		b, _ := json.Marshal(m)
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": "m", "eventSource": "aws:sqs", "body": string(b)}}})
		hits.Store(0)
		if _, err := (&Worker{Store: st, Secrets: tc.secrets}).Handle(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		var r events.ShardResult
		if b, err := st.Get(context.Background(), store.ResultKey("r", m.ShardID)); err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: no result: %v", tc.name, err)
		}
		if r.StopReason != tc.want || (tc.want == "") != (hits.Load() > 0) {
			t.Errorf("%s: stop reason %q, %d requests with the secret; want %q and requests only with the sources", tc.name, r.StopReason, hits.Load(), tc.want)
		}
	}
}
