package lambdas

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/store"
)

// gatewayAnswer is a proxy integration's answer as API Gateway reads it
// (payload format 1.0).
type gatewayAnswer struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// invoke hands the API function a recorded API Gateway event, changed by
// edit if not nil, as the Lambda runtime does: JSON in, JSON out through
// aws-lambda-go's handler.
func invoke(t *testing.T, a *API, fixture string, edit func(event map[string]any)) gatewayAnswer {
	t.Helper()
	b, err := os.ReadFile("testdata/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		edit(ev)
		b, _ = json.Marshal(ev)
	}
	out, err := lambda.NewHandler(a.Handle).Invoke(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	var ans gatewayAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("%s: the answer is not an API Gateway proxy response: %v\n%s", fixture, err, out)
	}
	return ans
}

// TestAPIGatewayEvents drives the API function with recorded API Gateway
// REST API events (Lambda proxy integration, IAM authorization), through
// aws-lambda-go-api-proxy: the route, the body, the headers, the query
// and the caller's IAM identity reach the handler, and its answer is one
// API Gateway can return.
func TestAPIGatewayEvents(t *testing.T) {
	var mu sync.Mutex
	var invoked []string
	lambdaAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		invoked = append(invoked, r.URL.Path+" "+string(b))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer lambdaAPI.Close()
	lc := lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(lambdaAPI.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	st := store.Dir{Root: t.TempDir()}
	var logs bytes.Buffer
	a := &API{AWS: &orchestrator.AWS{Store: st, Dispatcher: &launch.Lambda{Client: lc, Function: "dispatcher"},
		Limits: orchestrator.Limits{AllowedTargets: []string{"*.example.com"}, MaxRate: 1000, MaxDuration: time.Hour}},
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	ctx := context.Background()

	// POST /runs: the Idempotency-Key header names the run, which is
	// stored with the IAM identity as submitted_by and handed over.
	ans := invoke(t, a, "apigw-post-runs.json", nil)
	var sub struct {
		RunID string      `json:"run_id"`
		New   bool        `json:"new"`
		Plan  events.Plan `json:"plan"`
	}
	if err := json.Unmarshal([]byte(ans.Body), &sub); err != nil || ans.StatusCode != 202 || !sub.New ||
		!strings.HasPrefix(sub.RunID, "idem-") || sub.Plan.RunID != sub.RunID || ans.IsBase64Encoded {
		t.Fatalf("POST /runs: %d %s (%v); want 202, a new run named by the Idempotency-Key", ans.StatusCode, ans.Body, err)
	}
	if ct := ans.MultiValueHeaders["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
		t.Errorf("POST /runs: Content-Type %q; want application/json", ct)
	}
	mu.Lock()
	got := slices.Clone(invoked)
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "/functions/dispatcher/invocations") ||
		!strings.Contains(got[0], `"run_id":"`+sub.RunID+`"`) {
		t.Errorf("dispatcher invocations %q; want one, of run %s", got, sub.RunID)
	}
	spec, err := st.Get(ctx, store.SpecKey(sub.RunID))
	if err != nil || !strings.Contains(string(spec), `"submitted_by":"arn:aws:iam::123456789012:user/ci"`) {
		t.Errorf("spec.json %s, %v; want the caller's ARN in submitted_by", spec, err)
	}
	for _, want := range []string{`"caller":"arn:aws:iam::123456789012:user/ci"`, `"source_ip":"203.0.113.7"`,
		`"request":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the submission's log line lacks %s:\n%s", want, logs.String())
		}
	}

	// A bad body: 400 naming the field, through the adapter too.
	ans = invoke(t, a, "apigw-post-runs.json", func(ev map[string]any) {
		ev["body"] = `{"targets": [{"url": "https://evil.test/"}], "load": {"rate": 5}}`
	})
	var e events.ErrorBody
	if err := json.Unmarshal([]byte(ans.Body), &e); err != nil || ans.StatusCode != 400 || e.Field != "targets[0].url" {
		t.Errorf("POST /runs, a host not allowed: %d %s; want 400 naming targets[0].url", ans.StatusCode, ans.Body)
	}

	// GET /runs/{id}/report?format=md: the id from the path, the format
	// from the query; the rendering inline, as text.
	rep, err := os.ReadFile("../../events/testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, store.ReportKey("nightly-20261123-030000"), rep, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	ans = invoke(t, a, "apigw-get-report.json", nil)
	if ans.StatusCode != 200 || !strings.Contains(ans.Body, "| Requests |") ||
		strings.Join(ans.MultiValueHeaders["Content-Type"], ",") != "text/plain; charset=utf-8" {
		t.Errorf("GET /runs/{id}/report?format=md: %d %v %.300s; want the Markdown report", ans.StatusCode, ans.MultiValueHeaders, ans.Body)
	}
	// The REST API passes the path escaped: an escaped "/" stays in its
	// segment, which is no run id.
	ans = invoke(t, a, "apigw-get-report.json", func(ev map[string]any) { ev["path"] = "/runs/nightly-20261123-030000%2Freport" })
	if err := json.Unmarshal([]byte(ans.Body), &e); err != nil || ans.StatusCode != 404 ||
		e.Error != "no such resource: GET /runs/nightly-20261123-030000%2Freport" {
		t.Errorf("GET with an escaped /: %d %s; want 404, no such resource", ans.StatusCode, ans.Body)
	}
}

func TestRunIDFor(t *testing.T) {
	at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	if got := RunIDFor("nightly load/test", at); got != "nightly-load-test-20261123-030000" {
		t.Errorf("RunIDFor = %q", got)
	}
	// The same name and time give the same id, whenever it is derived; a
	// minute later another.
	first, again := RunIDFor("x", at), RunIDFor("x", at)
	if first != again || first == RunIDFor("x", at.Add(time.Minute)) {
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
