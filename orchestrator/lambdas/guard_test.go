package lambdas

import (
	"context"
	"encoding/json"
	"fmt"
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
