package awssim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestHostsRefused: through the deployment's API (API Gateway, the api
// function), a run whose scenario step goes to a host off the
// deployment's allow-list (127.0.0.1) is refused with 400, the field and
// one line naming the host; nothing is stored or sent, and that host
// accepts nothing.
func TestHostsRefused(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	evil := guardtest.Listen(t, "127.0.0.2")
	spec := s.Spec(20, 2*time.Second, 1)
	spec.Scenarios = []events.Scenario{{Name: "s", Steps: []events.ScenarioStep{{URL: s.Target}, {URL: evil.URL + "/steal"}}}}
	ctx := context.Background()
	_, err := s.API.Submit(ctx, spec, "r-evil", events.KindLambda)
	var ae *orchestrator.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "scenarios[0].steps[1].url" ||
		!strings.Contains(ae.Msg, `host "127.0.0.2" is not on the allow-list`) || strings.Contains(ae.Msg, "\n") {
		t.Fatalf("a step off the allow-list: %v; want 400 naming the field and the host in one line", err)
	}
	time.Sleep(time.Second) // anything wrongly dispatched would have started by now
	if ok, _ := s.Store.Exists(ctx, store.SpecKey("r-evil")); ok || s.Lambda.Sent.Load() != 0 || s.Hits.Load() != 0 {
		t.Error("a refused run was stored, sent or run")
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host off the allow-list accepted %d connections; want 0", n)
	}
}
