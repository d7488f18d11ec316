package orchestrator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/live"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestLiveFailuresStopTheRun: a running shard's progress says 40 requests,
// all failed, none in transport (a target answering 404). The status's live
// figures carry the failures (GET /runs/{id} live[].failed), and the
// follow loop's watch stops the run on an error_ratio threshold with an
// abort, as it judges live on both backends.
func TestLiveFailuresStopTheRun(t *testing.T) {
	ctx := context.Background()
	st := store.Dir{Root: t.TempDir()}
	start := time.Now().Add(-10 * time.Second)
	p := events.Plan{Version: events.PlanVersion, RunID: "r", StartAt: start, Deadline: start.Add(time.Minute),
		Shards: []events.PlanShard{{Rate: 20, ShardWindow: events.ShardWindow{ShardID: "s0", Kind: events.KindLocal,
			Count: 1, WindowTo: events.Duration(30 * time.Second)}}}}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, key, b, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put(store.PlanKey("r"), p)
	put(store.ClaimKey("r", "s0"), events.Claim{Worker: "test", At: start})
	th := events.Threshold{Metric: events.MetricErrorRatio, Value: events.NumberLimit(0.1),
		Abort: &events.ThresholdAbort{After: events.Duration(2 * time.Second)}}
	w := live.New(1, []events.Threshold{th}, events.Load{})
	var stop string
	for i, el := range []time.Duration{2 * time.Second, 3 * time.Second, 5 * time.Second} {
		put(store.ProgressKey("r", "s0"), events.ShardProgress{T: start.Add(el), Elapsed: events.Seconds(el),
			Requests: int64(20 * el.Seconds()), Failed: int64(20 * el.Seconds()), IntervalRequests: 20})
		s, err := RunStatus(ctx, st, "r", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Live) != 1 || s.Live[0].Failed != int64(20*el.Seconds()) || s.Live[0].Errors != 0 || s.Live[0].Elapsed.D() != el {
			t.Fatalf("status %d: live %+v; want the shard's %d failures at %s", i, s.Live, int(20*el.Seconds()), el)
		}
		if stop = w.See(s.Live).Stop; stop != "" {
			break
		}
	}
	if !strings.Contains(stop, "threshold error_ratio < 0.1 broken for 2s (1 so far)") {
		t.Errorf("the watch said %q; want the error_ratio threshold to stop the run", stop)
	}
}
