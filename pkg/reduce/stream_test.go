package reduce

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// slowStore answers reads after a random pause, counting those in flight.
type slowStore struct {
	store.Store
	inflight, peak atomic.Int64
	fail           string // a key whose read fails
}

func (s *slowStore) Get(ctx context.Context, key string) ([]byte, error) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	if key == s.fail {
		return nil, errors.New("read failed")
	}
	return s.Store.Get(ctx, key)
}

// TestStream folds results in the order of their keys, whatever order the
// reads end in, with at most ReadAhead reads in flight, and stops at the
// first failure.
func TestStream(t *testing.T) {
	ctx := context.Background()
	st := &slowStore{Store: store.Dir{Root: t.TempDir()}}
	var keys []string
	for i := range 100 {
		id := fmt.Sprintf("s%04d", i)
		keys = append(keys, store.ResultKey("r", id))
		put(t, st, keys[i], events.ShardResult{ShardID: id})
	}
	var got []string
	err := Stream(ctx, st, keys, func(res *events.ShardResult) error {
		got = append(got, res.ShardID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range got {
		if want := fmt.Sprintf("s%04d", i); id != want {
			t.Fatalf("result %d is %s; want %s", i, id, want)
		}
	}
	if len(got) != len(keys) || st.peak.Load() > ReadAhead {
		t.Errorf("%d results folded of %d; %d reads at once, at most %d wanted", len(got), len(keys), st.peak.Load(), ReadAhead)
	}

	// A new store for each: the reads of a stream that stopped may still
	// be in flight.
	failing := &slowStore{Store: st.Store, fail: keys[40]}
	n := 0
	err = Stream(ctx, failing, keys, func(*events.ShardResult) error { n++; return nil })
	if err == nil || n != 40 {
		t.Errorf("a read failing at result 40: %v after %d folded", err, n)
	}
	st.Store.Put(ctx, keys[60], []byte("{"), store.PutOptions{})
	n = 0
	err = Stream(ctx, &slowStore{Store: st.Store}, keys, func(*events.ShardResult) error { n++; return nil })
	if err == nil || n != 60 {
		t.Errorf("result 60 not JSON: %v after %d folded", err, n)
	}
	stop := errors.New("stop")
	n = 0
	err = Stream(ctx, &slowStore{Store: st.Store}, keys, func(*events.ShardResult) error {
		if n++; n == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 7 {
		t.Errorf("fold failing at result 7: %v after %d", err, n)
	}
}
