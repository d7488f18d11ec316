package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// newHandler is the API over the AWS backend on a directory store, its
// dispatcher a fake Lambda whose invocations it counts.
func newHandler(t *testing.T) (*Handler, *atomic.Int64) {
	lc, n := fakeLambda(t)
	a := &orchestrator.AWS{Store: store.Dir{Root: t.TempDir()}, Dispatcher: &launch.Lambda{Client: lc, Function: "scheduler"},
		Limits: orchestrator.Limits{AllowedTargets: []string{"*.example.com"}, MaxRate: 1000, MaxDuration: time.Hour}}
	return &Handler{Backend: a, Store: a.Store, Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}, n
}

// serve sends h one request and returns the recorded answer.
func serve(h http.Handler, method, path, body string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// call sends h one request and decodes its JSON answer.
func call(t *testing.T, h http.Handler, method, path, body string, headers map[string]string) (int, map[string]any) {
	t.Helper()
	rec := serve(h, method, path, body, headers)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Errorf("%s %s: the answer is not a JSON object: %v\n%s", method, path, err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q; want application/json", method, path, ct)
	}
	return rec.Code, out
}

const okSpec = `{"targets": [{"url": "https://api.example.com/token", "method": "POST"}], "load": {"rate": 100}, "duration": "30s"}`

func TestAPISubmit(t *testing.T) {
	h, dispatched := newHandler(t)
	code, out := call(t, h, "POST", "/runs", okSpec, map[string]string{"Idempotency-Key": "k1"})
	if code != 202 || out["new"] != true || out["plan"] == nil {
		t.Fatalf("POST /runs: %d %v; want 202 with a new plan", code, out)
	}
	id := out["run_id"].(string)
	// The same key again: the same run, not dispatched twice.
	code, again := call(t, h, "POST", "/runs", okSpec, map[string]string{"idempotency-key": "k1"})
	if code != 202 || again["run_id"] != id || again["new"] != false || dispatched.Load() != 1 {
		t.Errorf("second POST: %d %v, %d dispatches; want the same run, dispatched once", code, again, dispatched.Load())
	}
	// A client-chosen run id works too.
	if code, out := call(t, h, "POST", "/runs", `{"run_id": "mine-1", `+okSpec[1:], nil); code != 202 || out["run_id"] != "mine-1" {
		t.Errorf("POST with run_id: %d %v", code, out)
	}
	code, st := call(t, h, "GET", "/runs/"+id, "", nil)
	if code != 200 || st["state"] != events.StatePlanned {
		t.Errorf("GET /runs/%s: %d %v; want planned", id, code, st)
	}
	if code, _ := call(t, h, "GET", "/runs/"+id+"/report", "", nil); code != 404 {
		t.Errorf("report before the run: %d; want 404", code)
	}
	if code, out := call(t, h, "DELETE", "/runs/"+id, "", nil); code != 200 || out["state"] != events.StateAborted {
		t.Errorf("DELETE: %d %v", code, out)
	}
	if ok, _ := h.Store.Exists(context.Background(), store.AbortKey(id)); !ok {
		t.Error("no abort marker")
	}
	if code, _ := call(t, h, "GET", "/runs/nope", "", nil); code != 404 {
		t.Errorf("GET an unknown run: %d; want 404", code)
	}
}

// TestAPISubmittedBy: the spec stored names the caller Identify finds,
// whatever the body says.
func TestAPISubmittedBy(t *testing.T) {
	h, _ := newHandler(t)
	h.Identify = func(r *http.Request) Caller { return Caller{Name: "arn:aws:iam::1:user/" + r.Header.Get("X-Who")} }
	body := `{"run_id": "by-1", "submitted_by": "someone-else", ` + okSpec[1:]
	if code, out := call(t, h, "POST", "/runs", body, map[string]string{"X-Who": "ann"}); code != 202 {
		t.Fatalf("POST: %d %v", code, out)
	}
	b, err := h.Store.Get(context.Background(), store.SpecKey("by-1"))
	if err != nil || !strings.Contains(string(b), `"submitted_by":"arn:aws:iam::1:user/ann"`) {
		t.Errorf("spec.json %s, %v; want the caller in submitted_by", b, err)
	}
}

func TestAPIBadRequests(t *testing.T) {
	h, dispatched := newHandler(t)
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
		code, out := call(t, h, "POST", "/runs", tt.body, nil)
		msg, _ := out["error"].(string)
		if code != 400 || !strings.Contains(msg, tt.says) || tt.field != "" && out["field"] != tt.field {
			t.Errorf("%s: %d %v; want 400 naming %q (%s)", tt.name, code, out, tt.field, tt.says)
		}
	}
	if dispatched.Load() != 0 {
		t.Errorf("bad requests dispatched %d runs", dispatched.Load())
	}
	if code, _ := call(t, h, "PUT", "/runs", okSpec, nil); code != 404 {
		t.Errorf("PUT /runs: %d; want 404", code)
	}
}

// TestAPIRoutes: the routes answer as the hand-written router over API
// Gateway events did, not as ServeMux would by itself (405 for another
// method, HEAD served as GET, redirects of unclean paths).
func TestAPIRoutes(t *testing.T) {
	h, _ := newHandler(t)
	if code, out := call(t, h, "POST", "/runs", `{"run_id": "r-1", `+okSpec[1:], nil); code != 202 {
		t.Fatalf("POST: %d %v", code, out)
	}
	tests := []struct {
		method, path string
		code         int
		says         string // in the error
	}{
		// The four routes.
		{"GET", "/runs/r-1", 200, ""},
		{"GET", "/runs/r-1/report", 404, "no such run"},
		{"DELETE", "/runs/r-1", 200, ""},
		// Slashes around the path do not matter.
		{"GET", "/runs/r-1/", 200, ""},
		{"GET", "runs/r-1", 200, ""},
		// Another method of a known path: 404, not ServeMux's 405.
		{"PUT", "/runs", 404, "no such resource: PUT /runs"},
		{"GET", "/runs", 404, "no such resource: GET /runs"},
		{"POST", "/runs/r-1", 404, "no such resource: POST /runs/r-1"},
		{"PATCH", "/runs/r-1/report", 404, "no such resource"},
		// HEAD is no route (ServeMux would serve GET's).
		{"HEAD", "/runs/r-1", 404, ""},
		// A path ServeMux would redirect is no resource.
		{"GET", "/runs//r-1", 404, "no such resource"},
		{"GET", "/runs/x/../r-1", 404, "no such resource"},
		// An id that is not a run id, and paths of no route.
		{"GET", "/runs/-x", 404, "no such resource: GET /runs/-x"},
		{"GET", "/runs/" + strings.Repeat("a", 65), 404, "no such resource"},
		{"GET", "/runs/a%20b", 404, "no such resource: GET /runs/a%20b"},
		// An escaped / or ? is part of its segment, as API Gateway routed it.
		{"GET", "/runs/r-1%2Freport", 404, "no such resource: GET /runs/r-1%2Freport"},
		{"GET", "/runs/r-1%3Fformat=md", 404, "no such resource"},
		{"GET", "/runs%2Fr-1", 404, "no such resource"},
		{"GET", "/runs/r-1/shards", 404, "no such resource"},
		{"GET", "/", 404, "no such resource: GET /"},
	}
	for _, tt := range tests {
		// The path as API Gateway's REST API passes it, escaped.
		req := httptest.NewRequest(tt.method, "/", nil)
		if err := req.URL.UnmarshalBinary([]byte(tt.path)); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out events.ErrorBody
		if tt.method != "HEAD" {
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Errorf("%s %s: %v\n%s", tt.method, tt.path, err, rec.Body)
			}
		}
		if rec.Code != tt.code || !strings.Contains(out.Error, tt.says) || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %+v (%s); want %d saying %q", tt.method, tt.path, rec.Code, out, rec.Header().Get("Content-Type"), tt.code, tt.says)
		}
	}
}

// presigning is a directory store that presigns, as the S3 store does.
type presigning struct{ store.Dir }

func (p presigning) Presign(_ context.Context, key string, ttl time.Duration) (string, error) {
	return "https://bucket.example/" + key + "?ttl=" + ttl.String(), nil
}

// TestAPIReport: report.json as JSON, its renderings inline, or presigned
// where the store can.
func TestAPIReport(t *testing.T) {
	h, _ := newHandler(t)
	b, err := os.ReadFile("../../events/testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.Store.Put(ctx, store.ReportKey("r-1"), b, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query       string
		code        int
		contentType string
		says        string // in the body
	}{
		// report.json by default, and when asked for.
		{"", 200, "application/json", `"run_id":`},
		{"?format=json", 200, "application/json", `"run_id":`},
		// The renderings inline: the directory store does not presign.
		{"?format=txt", 200, "text/plain; charset=utf-8", "Latency (ms)"},
		{"?format=text", 200, "text/plain; charset=utf-8", "Latency (ms)"},
		{"?format=md", 200, "text/plain; charset=utf-8", "| Requests |"},
		// The last of repeated parameters counts, as in API Gateway's map.
		{"?format=html&format=md", 200, "text/plain; charset=utf-8", "| Requests |"},
		// Another format is a bad request naming the parameter.
		{"?format=html", 400, "application/json", `"field":"format"`},
	}
	for _, tt := range tests {
		rec := serve(h, "GET", "/runs/r-1/report"+tt.query, "", nil)
		if rec.Code != tt.code || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("report%s: %d %s %.200s; want %d %s with %q", tt.query, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.code, tt.contentType, tt.says)
		}
	}
	h.Store = presigning{h.Store.(store.Dir)}
	code, out := call(t, h, "GET", "/runs/r-1/report?format=md", "", nil)
	if code != 200 || out["url"] != "https://bucket.example/runs/r-1/report.md?ttl=15m0s" || out["expires_in"] != "15m" || out["format"] != "md" {
		t.Errorf("presigned md: %d %v", code, out)
	}
}
