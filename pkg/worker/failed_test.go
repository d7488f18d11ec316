package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestStartFailureReason: shards that cannot start for one reason (their
// flow's issuer answers discovery with 500) record the same stop reason,
// which names the scenario and the failure but not the shard (the result
// does), so that a report can say it once for all of them; a password in
// the issuer's URL is not in it.
func TestStartFailureReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	issuer := strings.Replace(srv.URL, "http://", "http://idp:hunter2-pw@", 1)
	st := store.Dir{Root: t.TempDir()}
	msgs := storedSpec(t, st, events.RunSpec{
		Scenarios: []events.Scenario{{Name: "cc", Flow: &events.Flow{Grant: events.GrantClientCredentials, Issuer: issuer, ClientID: "c"}}},
		Load:      events.Load{Shape: events.ShapeConstant, Rate: 10}, Duration: events.Duration(time.Second), Workers: 2})
	rt := &Runtime{Store: st, Kind: events.KindLocal, Engine: lenient}
	var reasons []string
	for _, m := range msgs {
		if out, err := rt.RunShard(context.Background(), m); err != nil || out != Truncated {
			t.Fatalf("RunShard %s: %v, %v; want truncated", m.ShardID, out, err)
		}
		reasons = append(reasons, result(t, st, m.ShardID).StopReason)
	}
	want := "failed: scenario cc: discovery: GET http://idp:xxxxx@" + strings.TrimPrefix(srv.URL, "http://") +
		"/.well-known/openid-configuration: 500 Internal Server Error"
	if len(reasons) != 2 || reasons[0] != want || reasons[1] != want {
		t.Errorf("stop reasons %q; want both %q", reasons, want)
	}
}
