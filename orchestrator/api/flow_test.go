package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/orchestrator"
)

// TestAPIFlowDiscovery: POST /runs fetches each flow's discovery document
// before it accepts the run. A flow that needs an endpoint the provider
// does not list (a logout without end_session_endpoint) is refused, 400
// naming the flow's setting; what discovery changes in a flow (the scope
// offline_access, added for the refresh tokens it needs) is a reason of
// the plan.
func TestAPIFlowDiscovery(t *testing.T) {
	bare := guardtest.Issuer(t, map[string]string{"token_endpoint": "http://127.0.0.1:1/token"})
	offline := guardtest.IssuerDoc(t, map[string]any{"token_endpoint": "http://127.0.0.1:1/token",
		"end_session_endpoint": "http://127.0.0.1:1/logout", "scopes_supported": []string{"openid", "offline_access"}})
	flow := func(issuer string) string {
		return `{"scenarios": [{"name": "pw", "users": {"count": 10}, "flow": {"grant": "password", "issuer": "` + issuer +
			`", "client_id": "c", "refreshes": 2, "logout": true}}], "load": {"rate": 10}, "duration": "30s"}`
	}
	h, dispatched := newHandler(t)
	a := h.Backend.(*orchestrator.AWS)
	a.Limits.AllowedTargets, a.Limits.AllowLoopback = []string{"127.0.0.1"}, true
	code, out := call(t, h, "POST", "/runs", flow(bare), nil)
	if msg := fmt.Sprint(out["error"]); code != 400 || out["field"] != "scenarios[0].flow.logout" ||
		!strings.Contains(msg, "lists no end_session_endpoint") || strings.Contains(msg, "\n") {
		t.Errorf("POST /runs: %d %v; want 400, field scenarios[0].flow.logout, one line naming end_session_endpoint", code, out)
	}
	if dispatched.Load() != 0 {
		t.Error("the refused run was handed over for dispatch")
	}
	code, out = call(t, h, "POST", "/runs", flow(offline), nil)
	plan, _ := out["plan"].(map[string]any)
	if code != 202 || !strings.Contains(fmt.Sprint(plan["reasons"]), `scenarios[0].flow.scope: "openid offline_access": offline_access added`) {
		t.Errorf("POST /runs: %d, plan %v; want 202 and a reason saying offline_access was added", code, plan)
	}
}
