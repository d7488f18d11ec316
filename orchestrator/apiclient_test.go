package orchestrator

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/barrage-load/barrage/events"
)

// recorder is an API that answers each request with the next of its
// statuses (the last one from then on) and keeps what it was sent.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	auths    []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.bodies)
	r.bodies, r.auths = append(r.bodies, string(b)), append(r.auths, req.Header.Get("Authorization"))
	status := r.statuses[min(n, len(r.statuses)-1)]
	r.mu.Unlock()
	w.WriteHeader(status)
	switch {
	case status >= 300:
		io.WriteString(w, `{"error": "try later"}`)
	case req.Method == http.MethodPost:
		var in struct {
			RunID string `json:"run_id"`
		}
		json.Unmarshal(b, &in)
		json.NewEncoder(w).Encode(events.SubmitResponse{RunID: in.RunID, New: n == 0, Plan: &events.Plan{RunID: in.RunID}})
	default:
		io.WriteString(w, `{"run_id": "r1", "state": "running"}`)
	}
}

func testClient(t *testing.T, r *recorder) *APIClient {
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &APIClient{URL: srv.URL + "/prod", Backoff: time.Millisecond}
}

// TestSubmitRetriesSameRun: a 502 answer to POST /runs is retried, with
// the run id the client chose before the first attempt.
func TestSubmitRetriesSameRun(t *testing.T) {
	r := &recorder{statuses: []int{http.StatusBadGateway, http.StatusAccepted}}
	res, err := testClient(t, r).Submit(context.Background(), events.RunSpec{Name: "x"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.bodies) != 2 || r.bodies[0] != r.bodies[1] {
		t.Fatalf("sent %d bodies %q; want the same one twice", len(r.bodies), r.bodies)
	}
	var sent struct {
		RunID string `json:"run_id"`
	}
	json.Unmarshal([]byte(r.bodies[0]), &sent)
	if sent.RunID == "" || res.RunID != sent.RunID {
		t.Errorf("run id sent %q, answered %q; want one chosen by the client", sent.RunID, res.RunID)
	}
}

// TestRetries: which failures are asked again, and how often.
func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		wantErr  bool
		wantSent int
	}{
		// Throttling and a gateway without its integration pass.
		{"503 then 200", []int{503, 200}, false, 2},
		{"429, 504 then 200", []int{429, 504, 200}, false, 3},
		// A bad request or a server error is not asked again.
		{"400", []int{400}, true, 1},
		{"500", []int{500}, true, 1},
		// The retries are bounded.
		{"502 for ever", []int{502}, true, DefaultAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{statuses: tt.statuses}
			_, err := testClient(t, r).Status(context.Background(), "r1")
			if (err != nil) != tt.wantErr || len(r.bodies) != tt.wantSent {
				t.Errorf("error %v after %d requests; want error %v after %d", err, len(r.bodies), tt.wantErr, tt.wantSent)
			}
		})
	}
}

// TestTransportErrorRetried: a connection cut before the answer is a
// transport error, asked again.
func TestTransportErrorRetried(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, `{"run_id": "r1", "state": "complete"}`)
	}))
	defer srv.Close()
	c := &APIClient{URL: srv.URL, Backoff: time.Millisecond}
	st, err := c.Status(context.Background(), "r1")
	if err != nil || st.State != events.StateComplete || n != 2 {
		t.Errorf("status %+v, %v after %d requests; want complete after 2", st, err, n)
	}
}

// TestSigningRegionFromURL: a request to an execute-api host is signed for
// that host's region, whatever the configured one.
func TestSigningRegionFromURL(t *testing.T) {
	r := &recorder{statuses: []int{200}}
	srv := httptest.NewServer(r)
	defer srv.Close()
	// Every host name dials the test server.
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	defer tr.CloseIdleConnections()
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
	})
	c := &APIClient{URL: "http://a1b2c3.execute-api.eu-west-3.amazonaws.com/prod", Region: "us-east-1",
		Credentials: creds, HTTP: &http.Client{Transport: tr, Timeout: RequestTimeout}}
	if _, err := c.Status(context.Background(), "r1"); err != nil {
		t.Fatal(err)
	}
	if want := "/eu-west-3/execute-api/aws4_request"; len(r.auths) != 1 || !strings.Contains(r.auths[0], want) {
		t.Errorf("Authorization %q; want a credential scope with %s", r.auths, want)
	}
}

// TestRegionOfAPIHost reads the region from API Gateway host names.
func TestRegionOfAPIHost(t *testing.T) {
	for host, want := range map[string]string{
		"abc123.execute-api.us-east-1.amazonaws.com":                  "us-east-1",
		"ABC123.Execute-Api.EU-West-1.amazonaws.com.":                 "eu-west-1",
		"abc123-vpce-0a1b2c.execute-api.ap-south-1.amazonaws.com":     "ap-south-1",
		"vpce-0a1b2c-xyz.execute-api.ca-central-1.vpce.amazonaws.com": "ca-central-1",
		"abc123.execute-api.cn-north-1.amazonaws.com.cn":              "cn-north-1",
		"api.example.com":         "", // a custom domain
		"execute-api.example.com": "",
		"127.0.0.1":               "",
		"abc.execute-api.us-east-1.amazonaws.com.evil.example": "",
		"abc.lambda-url.us-east-1.on.aws":                      "",
		"bucket.s3.us-east-1.amazonaws.com":                    "",
		"abc123.execute-api.us-gov-west-1.amazonaws.com":       "us-gov-west-1",
	} {
		if got := RegionOfAPIHost(host); got != want {
			t.Errorf("RegionOfAPIHost(%q) = %q, want %q", host, got, want)
		}
	}
}
