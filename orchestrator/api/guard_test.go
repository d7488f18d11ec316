package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/orchestrator"
)

// TestAPIRefusesHosts: POST /runs checks every host a run may contact
// against the deployment's allow-list (and a spec's allow_hosts, which
// narrows it) before it accepts the run: each row answers 400 with the
// field and one line naming the host, and the host that is not allowed
// accepts nothing.
func TestAPIRefusesHosts(t *testing.T) {
	evil := guardtest.Listen(t, "127.0.0.2")
	issuer := guardtest.Issuer(t, map[string]string{"token_endpoint": evil.URL + "/token"})
	allowed := []string{"*.example.com", "127.0.0.1"}
	tests := []struct {
		name     string
		loopback bool     // the end-to-end tests' deployment: targets on this machine
		list     []string // the deployment's list, if not allowed
		body     string
		field    string
		msg      string
	}{
		// A scenario step on a host that is not allowed, the target being allowed.
		{"scenario step", true, nil, `{"targets": [{"url": "https://api.example.com/"}], "scenarios": [{"name": "s", "steps": [
			{"url": "https://api.example.com/login"}, {"url": "https://evil.example.net/steal"}]}]}`,
			"scenarios[0].steps[1].url", `host "evil.example.net" is not on the allow-list`},
		// An OIDC issuer on another host.
		{"issuer", true, nil, `{"scenarios": [{"name": "cc", "flow": {"grant": "client_credentials", "issuer": "https://idp.evil.net/realms/x", "client_id": "c"}}]}`,
			"scenarios[0].flow.issuer", `host "idp.evil.net" is not on the allow-list`},
		// An allowed issuer whose discovery sends the token endpoint elsewhere.
		{"discovered token endpoint", true, nil, `{"scenarios": [{"name": "cc", "flow": {"grant": "client_credentials", "issuer": "` + issuer + `", "client_id": "c"}}]}`,
			"scenarios[0].flow.issuer", `discovery lists token_endpoint ` + evil.URL + `/token: host "127.0.0.2" is not on the allow-list`},
		// A spec's allow_hosts narrows the deployment's list.
		{"narrowed by allow_hosts", true, nil, `{"allow_hosts": ["api.example.com"], "targets": [{"url": "https://other.example.com/"}]}`,
			"targets[0].url", `host "other.example.com" is not on the allow-list`},
		// Loopback is never a target on AWS, even on the list.
		{"loopback", false, nil, `{"targets": [{"url": "` + evil.URL + `"}, {"url": "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next"}]}`,
			"targets[0].url", `targets[1].url: host "127.0.0.1" is a loopback address, which workers on AWS never contact`},
		// Nor the instance metadata, whatever the list.
		{"metadata", true, []string{"*"}, `{"targets": [{"url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}]}`,
			"targets[0].url", `host "169.254.169.254" is an instance-metadata address, which is never contacted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, dispatched := newHandler(t)
			a := h.Backend.(*orchestrator.AWS)
			a.Limits.AllowedTargets, a.Limits.AllowLoopback = allowed, tt.loopback
			if tt.list != nil {
				a.Limits.AllowedTargets = tt.list
			}
			code, out := call(t, h, "POST", "/runs", tt.body, nil)
			if code != 400 || out["field"] != tt.field || !strings.Contains(fmt.Sprint(out["error"]), tt.msg) {
				t.Errorf("POST /runs: %d %v; want 400, field %s, an error containing %q", code, out, tt.field, tt.msg)
			}
			if strings.Contains(fmt.Sprint(out["error"]), "\n") {
				t.Errorf("the error is not one line: %q", out["error"])
			}
			if dispatched.Load() != 0 {
				t.Error("the run was handed over for dispatch")
			}
		})
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host that is not allowed accepted %d connections; want 0", n)
	}
}
