package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestShardRefusesDiscoveredHosts: a shard whose flow's discovery lists a
// token endpoint off the spec's allow_hosts fails the flow before its first
// request, and says why; the other host accepts nothing. (The spec came
// past the submit path's check: the document changed since, or could not
// be fetched then.)
func TestShardRefusesDiscoveredHosts(t *testing.T) {
	evil := guardtest.Listen(t, "127.0.0.2")
	issuer := guardtest.Issuer(t, map[string]string{"token_endpoint": evil.URL + "/token"})
	st := store.Dir{Root: t.TempDir()}
	msgs := storedSpec(t, st, events.RunSpec{AllowHosts: []string{"127.0.0.1"},
		Scenarios: []events.Scenario{{Name: "cc", Flow: &events.Flow{Grant: events.GrantClientCredentials, Issuer: issuer, ClientID: "c"}}},
		Load:      events.Load{Shape: events.ShapeConstant, Rate: 10}, Duration: events.Duration(time.Second), Workers: 1})
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	if out, err := rt.RunShard(context.Background(), msgs[0]); err != nil || out != Truncated {
		t.Fatalf("RunShard: %v, %v; want truncated", out, err)
	}
	res := result(t, st, msgs[0].ShardID)
	want := `token_endpoint ` + evil.URL + `/token: host "127.0.0.2" is not on the allow-list`
	if !strings.HasPrefix(res.StopReason, "failed: ") || !strings.Contains(res.StopReason, want) || res.Counts.Requests != 0 {
		t.Errorf("stop reason %q, %d requests; want failed, naming %q, and none sent", res.StopReason, res.Counts.Requests, want)
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host off the allow-list accepted %d connections; want 0", n)
	}
}
