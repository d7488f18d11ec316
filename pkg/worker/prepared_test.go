package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestSpecNotPrepared: a worker runs the stored spec as it is, prepared
// where it entered barrage; one stored without its defaults is not
// defaulted by the worker: the shard fails, saying why, and sends nothing.
func TestSpecNotPrepared(t *testing.T) {
	url, hits := target(t)
	st := store.Dir{Root: t.TempDir()}
	m := stored(t, st, url, 20, time.Second, 1)[0]
	// The spec as a user wrote it: no method, no timeout, no version.
	raw, _ := json.Marshal(events.RunSpec{Targets: []events.Target{{URL: url}},
		Load: events.Load{Shape: events.ShapeConstant, Rate: 20}, Duration: events.Duration(time.Second)})
	if err := st.Put(context.Background(), m.SpecKey, raw, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	out, err := rt.RunShard(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	res := result(t, st, m.ShardID)
	if out != Outcome(events.StatusTruncated) || res.StopReason != "failed: "+errNotPrepared.Error() ||
		res.Counts.Requests != 0 || hits.Load() != 0 {
		t.Errorf("outcome %s, stop reason %q, %d requests (target saw %d); want a failed shard that sent nothing, saying %q",
			out, res.StopReason, res.Counts.Requests, hits.Load(), errNotPrepared)
	}
	if !strings.Contains(res.StopReason, "not prepared") {
		t.Errorf("stop reason %q does not say the spec was not prepared", res.StopReason)
	}
}
