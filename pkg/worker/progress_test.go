package worker

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// progressLog is a store that keeps every progress object written.
type progressLog struct {
	store.Store
	mu  sync.Mutex
	all []events.ShardProgress
}

func (p *progressLog) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	if strings.HasSuffix(key, "/progress.json") {
		var sp events.ShardProgress
		if err := json.Unmarshal(body, &sp); err == nil {
			p.mu.Lock()
			p.all = append(p.all, sp)
			p.mu.Unlock()
		}
	}
	return p.Store.Put(ctx, key, body, opt)
}

// TestProgressCarriesFailures: a shard against a target that answers 404
// writes progress whose failed count is every request so far, although no
// request failed in transport: the live figures a threshold's abort judges
// on AWS (GET /runs/{id} live) count failures as the report does.
func TestProgressCarriesFailures(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	st := &progressLog{Store: store.Dir{Root: t.TempDir()}}
	m := stored(t, st.Store, srv.URL+"/", 20, 2500*time.Millisecond, 1)[0]
	rt := &Runtime{Store: st, Kind: events.KindLocal, ProgressEvery: 100 * time.Millisecond, Engine: lenient}
	if out, err := rt.RunShard(context.Background(), m); err != nil || out != Complete {
		t.Fatalf("outcome %v, %v; want complete", out, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.all) == 0 {
		t.Fatal("no progress was written")
	}
	for i, sp := range st.all {
		if sp.Failed != sp.Requests || sp.Errors != 0 {
			t.Errorf("progress %d: %d requests, %d failed, %d errors; want every request failed, no transport error",
				i, sp.Requests, sp.Failed, sp.Errors)
		}
	}
	if last := st.all[len(st.all)-1]; last.Failed == 0 {
		t.Errorf("last progress %+v: no failure counted", last)
	}
}

// TestProgressHandedAndWritten: a shard of a run's second window (its
// window 10 s into the schedule) hands each progress to the Progress hook
// and writes it to the store; both are timed from the run's start, and
// both see every request: their intervals add up to the last progress's
// total.
func TestProgressHandedAndWritten(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	st := &progressLog{Store: store.Dir{Root: t.TempDir()}}
	m := stored(t, st.Store, srv.URL+"/", 20, 2500*time.Millisecond, 1)[0]
	const offset = 10 * time.Second
	m.StartAt = m.StartAt.Add(-offset) // the window starts when it did
	m.WindowFrom, m.WindowTo = events.Duration(m.WindowFrom.D()+offset), events.Duration(m.WindowTo.D()+offset)
	m.Duration = events.Duration(m.Duration.D() + offset)
	var mu sync.Mutex
	var handed []events.ShardProgress
	rt := &Runtime{Store: st, Kind: events.KindLocal, ProgressEvery: 100 * time.Millisecond, Engine: lenient,
		Progress: func(run, shard string, p events.ShardProgress) {
			if run != m.RunID || shard != m.ShardID {
				t.Errorf("progress of %s/%s; want %s/%s", run, shard, m.RunID, m.ShardID)
			}
			mu.Lock()
			handed = append(handed, p)
			mu.Unlock()
		}}
	if out, err := rt.RunShard(context.Background(), m); err != nil || out != Complete {
		t.Fatalf("outcome %v, %v; want complete", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	for name, ps := range map[string][]events.ShardProgress{"handed": handed, "written": st.all} {
		if len(ps) == 0 {
			t.Errorf("no progress %s", name)
			continue
		}
		var sum int64
		for i, p := range ps {
			sum += p.IntervalRequests
			if el := p.Elapsed.D(); el <= offset || el > offset+3*time.Second {
				t.Errorf("%s progress %d: %s into the run; want in the window, after %s", name, i, el, offset)
			}
		}
		if last := ps[len(ps)-1]; last.Requests == 0 || sum != last.Requests {
			t.Errorf("%s: intervals add up to %d requests, the last progress counts %d", name, sum, last.Requests)
		}
	}
}
