package lambdas

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/store"
)

// fakeLambda accepts Invoke calls and counts them.
func fakeLambda(t *testing.T) (*lambda.Client, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}), &n
}

func newAPI(t *testing.T) (*API, *atomic.Int64) {
	lc, n := fakeLambda(t)
	a := &orchestrator.AWS{Store: store.Dir{Root: t.TempDir()}, Dispatcher: &launch.Lambda{Client: lc, Function: "scheduler"},
		Limits: orchestrator.Limits{AllowedTargets: []string{"*.example.com"}, MaxRate: 1000, MaxDuration: time.Hour}}
	return &API{AWS: a, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}, n
}

func call(t *testing.T, api *API, method, path, body string, headers map[string]string) (int, map[string]any) {
	t.Helper()
	resp, err := api.Handle(context.Background(), lambdaevents.APIGatewayProxyRequest{HTTPMethod: method, Path: path,
		Body: body, Headers: headers})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

const okSpec = `{"targets": [{"url": "https://api.example.com/token", "method": "POST"}], "load": {"rate": 100}, "duration": "30s"}`

func TestAPISubmit(t *testing.T) {
	api, dispatched := newAPI(t)
	code, out := call(t, api, "POST", "/runs", okSpec, map[string]string{"Idempotency-Key": "k1"})
	if code != 202 || out["new"] != true || out["plan"] == nil {
		t.Fatalf("POST /runs: %d %v; want 202 with a new plan", code, out)
	}
	id := out["run_id"].(string)
	// The same key again: the same run, not dispatched twice.
	code, again := call(t, api, "POST", "/runs", okSpec, map[string]string{"idempotency-key": "k1"})
	if code != 202 || again["run_id"] != id || again["new"] != false || dispatched.Load() != 1 {
		t.Errorf("second POST: %d %v, %d dispatches; want the same run, dispatched once", code, again, dispatched.Load())
	}
	// A client-chosen run id works too.
	if code, out := call(t, api, "POST", "/runs", `{"run_id": "mine-1", `+okSpec[1:], nil); code != 202 || out["run_id"] != "mine-1" {
		t.Errorf("POST with run_id: %d %v", code, out)
	}
	code, st := call(t, api, "GET", "/runs/"+id, "", nil)
	if code != 200 || st["state"] != events.StatePlanned {
		t.Errorf("GET /runs/%s: %d %v; want planned", id, code, st)
	}
	if code, _ := call(t, api, "GET", "/runs/"+id+"/report", "", nil); code != 404 {
		t.Errorf("report before the run: %d; want 404", code)
	}
	if code, out := call(t, api, "DELETE", "/runs/"+id, "", nil); code != 200 || out["state"] != events.StateAborted {
		t.Errorf("DELETE: %d %v", code, out)
	}
	if ok, _ := api.AWS.Store.Exists(context.Background(), store.AbortKey(id)); !ok {
		t.Error("no abort marker")
	}
	if code, _ := call(t, api, "GET", "/runs/nope", "", nil); code != 404 {
		t.Errorf("GET an unknown run: %d; want 404", code)
	}
}

func TestAPIBadRequests(t *testing.T) {
	api, dispatched := newAPI(t)
	tests := []struct {
		name, body, field, says string
	}{
		// Unknown fields are rejected and named.
		{"unknown field", `{"targets": [{"url": "https://api.example.com/"}], "rat": 5}`, "", `"rat"`},
		// A wrong type names the field.
		{"wrong type", `{"targets": [{"url": "https://api.example.com/"}], "load": {"rate": "fast"}}`, "", "load.rate"},
		// A target off the allow-list.
		{"not allowed", `{"targets": [{"url": "https://evil.test/"}], "load": {"rate": 5}}`, "targets[0].url", "allow-list"},
		// A rate above the deployment's limit.
		{"too fast", `{"targets": [{"url": "https://api.example.com/"}], "load": {"rate": 5000}}`, "load", "limit"},
		// Validation of the spec itself.
		{"no scheme", `{"targets": [{"url": "api.example.com"}], "load": {"rate": 5}}`, "targets[0].url", "no scheme"},
		// A bad run id.
		{"bad run id", `{"run_id": "../x", "targets": [{"url": "https://api.example.com/"}]}`, "run_id", "run_id"},
		// Not JSON.
		{"not json", `{`, "", "JSON"},
	}
	for _, tt := range tests {
		code, out := call(t, api, "POST", "/runs", tt.body, nil)
		msg, _ := out["error"].(string)
		if code != 400 || !strings.Contains(msg, tt.says) || tt.field != "" && out["field"] != tt.field {
			t.Errorf("%s: %d %v; want 400 naming %q (%s)", tt.name, code, out, tt.field, tt.says)
		}
	}
	if dispatched.Load() != 0 {
		t.Errorf("bad requests dispatched %d runs", dispatched.Load())
	}
	if code, _ := call(t, api, "PUT", "/runs", okSpec, nil); code != 404 {
		t.Errorf("PUT /runs: %d; want 404", code)
	}
}

func TestRunIDFor(t *testing.T) {
	at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	if got := RunIDFor("nightly load/test", at); got != "nightly-load-test-20261123-030000" {
		t.Errorf("RunIDFor = %q", got)
	}
	if RunIDFor("x", at) != RunIDFor("x", at) || RunIDFor("x", at) == RunIDFor("x", at.Add(time.Minute)) {
		t.Error("run ids are not a function of name and time")
	}
}

func TestLimits(t *testing.T) {
	l := orchestrator.Limits{AllowedTargets: []string{"*.example.com", "127.0.0.1"}, AllowLoopback: true} // loopback: TestAPIRefusesHosts
	for host, want := range map[string]bool{"api.example.com": true, "example.com": true, "EXAMPLE.COM": true,
		"badexample.com": false, "127.0.0.1": true, "10.0.0.1": false} {
		s := events.RunSpec{Targets: []events.Target{{URL: "http://" + host + "/"}}}
		if got := l.Check(&s); (got == nil) != want {
			t.Errorf("host %s: %v; want allowed %v", host, got, want)
		}
	}
}
