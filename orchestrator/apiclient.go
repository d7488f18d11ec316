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
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/barrage-load/barrage/events"
)

// APIClient calls a deployed barrage's REST API (API Gateway with IAM
// authorization), signing each request with SigV4 for execute-api.
type APIClient struct {
	URL         string // the stack's ApiUrl output, such as https://abc.execute-api.us-east-1.amazonaws.com/prod
	Region      string
	Credentials aws.CredentialsProvider
	HTTP        *http.Client
}

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

func (c *APIClient) do(ctx context.Context, method, path string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Credentials != nil {
		creds, err := c.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("aws credentials: %w", err)
		}
		sum := sha256.Sum256(payload)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", c.Region, time.Now()); err != nil {
			return err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error, Field, Message string }
		json.Unmarshal(b, &e)
		msg := e.Error
		if msg == "" {
			msg = e.Message // API Gateway's own answers (403 …)
		}
		if msg == "" {
			msg = strings.TrimSpace(string(b))
		}
		return &APIError{Status: resp.StatusCode, Msg: msg, Field: e.Field}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// SubmitResult is the API's answer to a new run.
type SubmitResult struct {
	RunID string       `json:"run_id"`
	New   bool         `json:"new"`
	Plan  *events.Plan `json:"plan"`
}

// Submit starts a run: POST /runs.
func (c *APIClient) Submit(ctx context.Context, spec events.RunSpec, runID, kind string) (*SubmitResult, error) {
	body := struct {
		events.RunSpec
		RunID string `json:"run_id,omitempty"`
		Kind  string `json:"kind,omitempty"`
	}{spec, runID, kind}
	var out SubmitResult
	return &out, c.do(ctx, http.MethodPost, "/runs", body, &out)
}

// Status reads a run's state: GET /runs/{id}.
func (c *APIClient) Status(ctx context.Context, id string) (*Status, error) {
	var out Status
	return &out, c.do(ctx, http.MethodGet, "/runs/"+id, nil, &out)
}

// Report reads a run's report: GET /runs/{id}/report.
func (c *APIClient) Report(ctx context.Context, id string) (*events.Report, error) {
	var out events.Report
	return &out, c.do(ctx, http.MethodGet, "/runs/"+id+"/report", nil, &out)
}

// Abort stops a run: DELETE /runs/{id}.
func (c *APIClient) Abort(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/runs/"+id, nil, nil)
}
