package orchestrator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// noProgressReads is a store that writes progress objects as any other
// but fails every read of one, counting both.
type noProgressReads struct {
	store.Store
	reads, writes atomic.Int64
}

func (s *noProgressReads) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasSuffix(key, "/progress.json") {
		s.reads.Add(1)
		return nil, errors.New("no progress read here")
	}
	return s.Store.Get(ctx, key)
}

func (s *noProgressReads) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	if strings.HasSuffix(key, "/progress.json") {
		s.writes.Add(1)
	}
	return s.Store.Put(ctx, key, body, opt)
}

// TestLocalJudgesWithoutStore: a local run's goroutines hand their live
// progress to the backend, which judges it without reading it back from
// its store. Against a target that answers 404, a 30 s run of two shards
// with error_ratio < 0.1 and an abort after 1 s is stopped by the
// threshold, on a store that fails every read of a progress object; the
// progress objects are still written, for barrage status from elsewhere.
func TestLocalJudgesWithoutStore(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	st := &noProgressReads{Store: store.Dir{Root: dir}}
	b := &LocalBackend{Options: LocalOptions{Dir: dir}, wrap: func(store.Store) store.Store { return st }}
	spec := events.RunSpec{Targets: []events.Target{{URL: srv.URL + "/"}}, Workers: 2, Duration: events.Duration(30 * time.Second),
		Load: events.Load{Shape: events.ShapeConstant, Rate: 20},
		Thresholds: []events.Threshold{{Metric: events.MetricErrorRatio, Value: events.NumberLimit(0.1),
			Abort: &events.ThresholdAbort{After: events.Duration(time.Second)}}}}.WithDefaults()
	var seen atomic.Int64 // updates whose live list had both shards
	d := &liveCount{both: &seen}
	out, err := Execute(context.Background(), b, spec, ExecOptions{Show: func(*Submitted) Display { return d }})
	if err != nil {
		t.Fatal(err)
	}
	if want := "threshold error_ratio < 0.1 broken for 1s (1 so far)"; !strings.Contains(out.Stopped, want) {
		t.Errorf("stopped: %q; want %q", out.Stopped, want)
	}
	if n := st.reads.Load(); n != 0 {
		t.Errorf("%d reads of progress objects; want none", n)
	}
	if st.writes.Load() == 0 || seen.Load() == 0 {
		t.Errorf("%d progress objects written, %d looks at both shards' progress; want some of each", st.writes.Load(), seen.Load())
	}
	for _, s := range out.Report.Shards {
		if s.Status != events.StatusTruncated {
			t.Errorf("shard %s %s; want it stopped early (truncated)", s.ShardID, s.Status)
		}
	}
}

// liveCount is a Display that counts the looks at a run whose live list
// had two shards, and whose merged totals failed every request.
type liveCount struct{ both *atomic.Int64 }

func (d *liveCount) Update(u Update) {
	if u.Status != nil && len(u.Status.Live) == 2 && u.Totals.Sending == 2 && u.Totals.Failed == u.Totals.Requests {
		d.both.Add(1)
	}
}
func (*liveCount) Note(string) {}
func (*liveCount) End()        {}

// TestHandedProgress: the progress in-process workers hand over is read
// as each shard's latest; a progress not read before the next one arrives
// adds its interval to it, so the reader still sees every request; the
// progress of another run is not this run's.
func TestHandedProgress(t *testing.T) {
	h := &handedProgress{run: "r"}
	p := func(requests, interval int64) events.ShardProgress {
		return events.ShardProgress{Requests: requests, IntervalRequests: interval, IntervalSuccess: interval}
	}
	if got := h.take(context.Background(), []string{"s0"}); got[0] != nil {
		t.Fatalf("progress %+v before any was handed over", got[0])
	}
	h.put("r", "s0", p(10, 10))
	h.put("r", "s1", p(5, 5))
	if got := h.take(context.Background(), []string{"s1", "s0"}); got[0] == nil || !reflect.DeepEqual(*got[0], p(5, 5)) || got[1] == nil || !reflect.DeepEqual(*got[1], p(10, 10)) {
		t.Fatalf("took %v; want s1's and s0's progress, in that order", got)
	}
	h.put("r", "s0", p(20, 10))
	h.put("r", "s0", p(35, 15))
	h.put("other", "s0", p(99, 99))
	got := h.take(context.Background(), []string{"s0", "s2"})
	if got[0] == nil || !reflect.DeepEqual(*got[0], p(35, 25)) || got[1] != nil {
		t.Errorf("took %v; want s0 at 35 requests with the 25 since the last read, nothing of s2", got)
	}
	if again := h.take(context.Background(), []string{"s0"}); again[0] == nil || !reflect.DeepEqual(*again[0], p(35, 25)) {
		t.Errorf("read again %v; want the same latest progress", again)
	}
}
