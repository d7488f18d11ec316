package orchestrator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report"
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
	w := &liveWatch{seen: map[int]time.Time{}, ths: report.NewWatch([]events.Threshold{th}, 1)}
	var stop string
	for i, el := range []float64{2, 3, 5} {
		put(store.ProgressKey("r", "s0"), events.ShardProgress{T: start.Add(time.Duration(el * float64(time.Second))),
			ElapsedS: el, Requests: int64(20 * el), Failed: int64(20 * el), IntervalRequests: 20})
		s, err := RunStatus(ctx, st, "r", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Live) != 1 || s.Live[0].Failed != int64(20*el) || s.Live[0].Errors != 0 {
			t.Fatalf("status %d: live %+v; want the shard's %d failures", i, s.Live, int(20*el))
		}
		if stop, _, _ = w.see(s); stop != "" {
			break
		}
	}
	if !strings.Contains(stop, "threshold error_ratio < 0.1 broken for 2s (1 so far)") {
		t.Errorf("the watch said %q; want the error_ratio threshold to stop the run", stop)
	}
}
