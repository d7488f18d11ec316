package lambdas

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
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
			api, dispatched := newAPI(t)
			api.AWS.Limits.AllowedTargets, api.AWS.Limits.AllowLoopback = allowed, tt.loopback
			if tt.list != nil {
				api.AWS.Limits.AllowedTargets = tt.list
			}
			code, out := call(t, api, "POST", "/runs", tt.body, nil)
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

// TestWorkerRefusesLoopback: a worker on AWS never contacts loopback (the
// Lambda runtime API, a task's agents), even with 127.0.0.1 on the
// deployment's allow-list: its shards' requests fail with forbidden_host
// and the listener accepts nothing.
func TestWorkerRefusesLoopback(t *testing.T) {
	lo := guardtest.Listen(t, "127.0.0.1")
	st, msgs := storedAt(t, lo.URL)
	w := &Worker{Store: st, Guard: orchestrator.Limits{AllowedTargets: []string{"127.0.0.1"}}.Guard(),
		Engine: func(c *engine.Config) { c.LateLimit = time.Second }} // a busy machine drops no arrival
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var requests, refused int64
	for i, m := range msgs {
		b, _ := json.Marshal(m)
		payload, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": fmt.Sprint(i), "eventSource": "aws:sqs", "body": string(b)}}})
		if _, err := w.Handle(ctx, payload); err != nil {
			t.Fatal(err)
		}
		var r events.ShardResult
		b, err := st.Get(ctx, store.ResultKey("r", m.ShardID))
		if err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("no result for %s: %v", m.ShardID, err)
		}
		requests += r.Counts.Requests
		refused += r.Counts.ErrorDetails["forbidden_host loopback"]
	}
	if requests == 0 || refused != requests {
		t.Errorf("%d requests, %d refused as loopback; want every one", requests, refused)
	}
	if n := lo.Accepts.Load(); n != 0 {
		t.Errorf("the loopback listener accepted %d connections; want 0", n)
	}
}

// TestFromEnvGuard: the functions' and the task's guard comes from the
// stack's environment: its allow-list, no loopback; without a list, no
// host at all (deny by default).
func TestFromEnvGuard(t *testing.T) {
	t.Setenv(stack.EnvBucket, "runs")
	t.Setenv("AWS_REGION", "us-east-1")
	for _, tt := range []struct {
		list, loopback string
		allowed        map[string]bool
	}{
		{"*.example.com, api.example.org", "", map[string]bool{"a.example.com": true, "api.example.org": true, "evil.net": false, "127.0.0.1": false}},
		{"127.0.0.1", "", map[string]bool{"127.0.0.1": false}},
		{"127.0.0.1", "true", map[string]bool{"127.0.0.1": true}}, // the end-to-end tests
		{"", "", map[string]bool{"api.example.com": false}},
	} {
		t.Setenv(stack.EnvAllowedTargets, tt.list)
		t.Setenv(stack.EnvAllowLoopback, tt.loopback)
		a, err := FromEnv(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g := a.Limits.Guard()
		for host, want := range tt.allowed {
			if err := g.Host(host); (err == nil) != want {
				t.Errorf("%s=%q %s=%q: %s: %v; want allowed %v", stack.EnvAllowedTargets, tt.list, stack.EnvAllowLoopback, tt.loopback, host, err, want)
			}
		}
	}
}

// TestFromEnvSecrets: the functions and the task get the ssm: and
// secretsmanager: sources (awsenv), for the API's check and the workers.
func TestFromEnvSecrets(t *testing.T) {
	t.Setenv(stack.EnvBucket, "runs")
	t.Setenv("AWS_REGION", "us-east-1")
	a, err := FromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []secret.Kind{secret.KindSSM, secret.KindSecretsManager} {
		if a.Secrets[k] == nil {
			t.Errorf("FromEnv: no source for %s: references", k)
		}
	}
}
