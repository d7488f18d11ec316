package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestServeSkipsStaleDeliveries puts, ahead of a due shard, what a shared
// queue really holds: a shard of an earlier run past its window, a second
// delivery of a shard that already ran, a message that is not a shard, and
// a shard of an aborted run. A worker allowed one shard records and
// acknowledges each of them and still runs the due shard.
func TestServeSkipsStaleDeliveries(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	due := stored(t, st, url, 20, time.Second, 1)[0]
	stale := due
	stale.RunID, stale.NotAfter = "earlier", time.Now().Add(-time.Hour)
	ran := due
	ran.RunID = "ran"
	st.Put(context.Background(), store.ClaimKey("ran", ran.ShardID), []byte(`{}`), store.PutOptions{})
	aborted := due
	aborted.RunID = "aborted"
	st.Put(context.Background(), store.AbortKey("aborted"), nil, store.PutOptions{})
	q := queue.NewMem()
	var bodies [][]byte
	for _, m := range []events.ShardMessage{stale, ran, aborted} {
		b, _ := json.Marshal(m)
		bodies = append(bodies, b)
	}
	b, _ := json.Marshal(due)
	q.Send(context.Background(), append(append(bodies, []byte(`{"not": "a shard"}`)), b))

	rt := &Runtime{Store: st, Kind: events.KindLambda, Engine: lenient}
	outs, err := rt.Serve(context.Background(), q, ServeOptions{MaxShards: 1, IdleExit: 2 * time.Second, Wait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{Missed, Duplicate, Aborted, "", Complete}
	if len(outs) != len(want) {
		t.Fatalf("outcomes %v; want %v", outs, want)
	}
	for i := range want {
		if outs[i] != want[i] {
			t.Errorf("delivery %d: %q; want %q (all: %v)", i, outs[i], want[i], outs)
		}
	}
	if q.Len() != 0 || hits.Load() != 20 {
		t.Errorf("%d left in the queue, %d requests; want none left and the 20 of the due shard", q.Len(), hits.Load())
	}
	var c events.Claim
	if b, err := st.Get(context.Background(), store.MissedKey("earlier", stale.ShardID)); err != nil || json.Unmarshal(b, &c) != nil || c.Reason == "" {
		t.Errorf("the earlier run's shard has no missed marker with a reason: %s, %v", b, err)
	}
	if res := result(t, st, due.ShardID); res.Status != events.StatusComplete {
		t.Errorf("due shard: %s", res.Status)
	}
	var res events.ShardResult
	if b, err := st.Get(context.Background(), store.ResultKey("aborted", aborted.ShardID)); err != nil || json.Unmarshal(b, &res) != nil ||
		res.StopReason != "aborted" || res.Counts.Requests != 0 {
		t.Errorf("the aborted run's shard: %+v, %v; want an empty result stopped as aborted", res, err)
	}
}

// TestServeStopsNearDeadline takes no delivery once too little time is
// left before the worker's deadline to run a window.
func TestServeStopsNearDeadline(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 20, time.Second, 1)[0]
	q := queue.NewMem()
	b, _ := json.Marshal(m)
	q.Send(context.Background(), [][]byte{b})
	rt := &Runtime{Store: st, Kind: events.KindLambda, Deadline: time.Now().Add(10 * time.Second)}
	outs, err := rt.Serve(context.Background(), q, ServeOptions{MaxShards: 1, IdleExit: time.Minute, MinTimeLeft: 20 * time.Second})
	if err != nil || len(outs) != 0 || q.Len() != 1 || hits.Load() != 0 {
		t.Errorf("outcomes %v, %v, %d queued, %d requests; want nothing taken", outs, err, q.Len(), hits.Load())
	}
}

// flaky fails its first Get of a spec, as S3 may beyond its retries.
type flaky struct {
	store.Store
	failed bool
}

func (f *flaky) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasSuffix(key, "spec.json") && !f.failed {
		f.failed = true
		return nil, errors.New("s3 get: 503 SlowDown")
	}
	return f.Store.Get(ctx, key)
}

// TestServeRetriesBeforeClaim cannot read the spec at the first delivery:
// the shard is not claimed, its delivery is released at once, and the next
// delivery runs it.
func TestServeRetriesBeforeClaim(t *testing.T) {
	url, hits := target(t)
	st := &flaky{Store: store.Dir{Root: t.TempDir()}}
	m := stored(t, st, url, 20, time.Second, 1)[0]
	q := queue.NewMem()
	b, _ := json.Marshal(m)
	q.Send(context.Background(), [][]byte{b})
	rt := &Runtime{Store: st, Kind: events.KindLambda, Engine: lenient}
	outs, err := rt.Serve(context.Background(), q, ServeOptions{MaxShards: 1, IdleExit: 5 * time.Second, Wait: 100 * time.Millisecond, Visibility: time.Hour})
	if err != nil || len(outs) != 2 || outs[0] != "" || outs[1] != Complete || hits.Load() != 20 {
		t.Errorf("outcomes %v, %v, %d requests; want a retry, then the shard complete with its 20", outs, err, hits.Load())
	}
}
