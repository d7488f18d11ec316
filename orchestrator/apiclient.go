package orchestrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/barrage-load/barrage/events"
)

// APIClient calls a deployed barrage's REST API (API Gateway with IAM
// authorization), signing each request with SigV4 for execute-api. It
// retries what is safe to retry: every call on a transport error or a
// 429, 502, 503 or 504 answer, POST /runs too, since the client chooses
// the run id and the API is idempotent on it.
type APIClient struct {
	URL string // the stack's ApiUrl output, such as https://abc.execute-api.us-east-1.amazonaws.com/prod
	// Region signs requests when the URL does not name one (a custom
	// domain); an execute-api host's own region wins over it.
	Region      string
	Credentials aws.CredentialsProvider
	// HTTP sends the requests; nil: a client with RequestTimeout.
	HTTP *http.Client
	// Attempts bounds the tries of one call (0: DefaultAttempts); Backoff
	// is the wait before the second, doubled before each later one (0:
	// DefaultBackoff).
	Attempts int
	Backoff  time.Duration
}

// Defaults of an APIClient.
const (
	RequestTimeout  = 30 * time.Second // one request, answer read included
	DefaultAttempts = 4
	DefaultBackoff  = 500 * time.Millisecond
)

var defaultHTTP = &http.Client{Timeout: RequestTimeout}

// APIError is an error answer of the API.
type APIError struct {
	Status int
	Msg    string
	Field  string
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Field, e.Msg, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Msg, e.Status)
}

// transient reports whether an answer with this status may succeed when
// asked again: throttled, or the gateway lost its integration.
func transient(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// do sends one call, retrying transient failures with back-off, and
// decodes a successful answer into out.
func (c *APIClient) do(ctx context.Context, method, path string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	attempts, wait := c.Attempts, c.Backoff
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if wait <= 0 {
		wait = DefaultBackoff
	}
	for try := 1; ; try++ {
		b, retry, err := c.once(ctx, method, path, payload)
		if !retry || try == attempts || ctx.Err() != nil {
			if err != nil {
				return err
			}
			if out != nil {
				return json.Unmarshal(b, out)
			}
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// once sends one signed request and returns the body of a 2xx answer, or
// an *APIError for any other; retry tells whether the failure is one that
// asking again may cure (a transport error or a transient status).
func (c *APIClient) once(ctx context.Context, method, path string, payload []byte) (b []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Credentials != nil {
		creds, err := c.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("aws credentials: %w", err)
		}
		sum := sha256.Sum256(payload)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api",
			c.SigningRegion(), time.Now()); err != nil {
			return nil, false, err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	if b, err = io.ReadAll(resp.Body); err != nil {
		return nil, true, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			events.ErrorBody
			Message string // API Gateway's own answers
		}
		json.Unmarshal(b, &e)
		msg := e.Error
		if msg == "" {
			msg = e.Message // API Gateway's own answers (403 …)
		}
		if msg == "" {
			msg = strings.TrimSpace(string(b))
		}
		return nil, transient(resp.StatusCode), &APIError{Status: resp.StatusCode, Msg: msg, Field: e.Field}
	}
	return b, false, nil
}

// SigningRegion is the region requests are signed for: the one in the
// URL's host when it is an execute-api host, otherwise c.Region.
func (c *APIClient) SigningRegion() string {
	if u, err := url.Parse(c.URL); err == nil {
		if r := RegionOfAPIHost(u.Hostname()); r != "" {
			return r
		}
	}
	return c.Region
}

// RegionOfAPIHost returns the region named by an API Gateway host:
// {api}.execute-api.{region}.amazonaws.com, a VPC endpoint's
// {api}-{vpce}.execute-api.{region}.amazonaws.com or
// {vpce}.execute-api.{region}.vpce.amazonaws.com, and their .com.cn
// forms; "" for any other host (a custom domain).
func RegionOfAPIHost(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasSuffix(host, ".amazonaws.com") && !strings.HasSuffix(host, ".amazonaws.com.cn") {
		return ""
	}
	labels := strings.Split(host, ".")
	for i := 1; i+1 < len(labels); i++ {
		if labels[i] == "execute-api" {
			return labels[i+1]
		}
	}
	return ""
}

// Submit starts a run: POST /runs. An empty runID gets a new one
// (NewRunID), chosen before the first attempt so that every retry asks
// for the same run.
func (c *APIClient) Submit(ctx context.Context, spec events.RunSpec, runID, kind string) (*events.SubmitResponse, error) {
	if runID == "" {
		runID = NewRunID(time.Now())
	}
	body := events.SubmitRequest{RunSpec: spec, RunID: runID, Kind: kind}
	var out events.SubmitResponse
	return &out, c.do(ctx, http.MethodPost, "/runs", body, &out)
}

// Status reads a run's state: GET /runs/{id}.
func (c *APIClient) Status(ctx context.Context, id string) (*Status, error) {
	var out Status
	return &out, c.do(ctx, http.MethodGet, "/runs/"+url.PathEscape(id), nil, &out)
}

// Report reads a run's report: GET /runs/{id}/report.
func (c *APIClient) Report(ctx context.Context, id string) (*events.Report, error) {
	var out events.Report
	return &out, c.do(ctx, http.MethodGet, "/runs/"+url.PathEscape(id)+"/report", nil, &out)
}

// Abort stops a run: DELETE /runs/{id}.
func (c *APIClient) Abort(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/runs/"+url.PathEscape(id), nil, nil)
}
