package lambdas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/store"
)

// API is the REST API's Lambda (API Gateway proxy integration, IAM auth):
//
//	POST   /runs              validate, plan, hand over for dispatch; 202 {run_id, plan}
//	GET    /runs/{id}         the run's state, shard counts and live rate
//	GET    /runs/{id}/report  report.json; ?format=txt or md for the rendering
//	DELETE /runs/{id}         abort the run
//
// POST is idempotent on a run_id in the body or an Idempotency-Key header.
// Bad requests get 400 with {"error": …, "field": …}; unknown fields are
// rejected.
type API struct {
	AWS *orchestrator.AWS
	Now func() time.Time
	// Log receives a line per run submitted, with who submitted it; nil
	// discards.
	Log *slog.Logger
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (a *API) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

// caller names who signed a request: the IAM user or role ARN API
// Gateway's IAM authorization verified, else the account and caller id.
func caller(id lambdaevents.APIGatewayRequestIdentity) string {
	switch {
	case id.UserArn != "":
		return id.UserArn
	case id.Caller != "":
		return id.AccountID + ":" + id.Caller
	}
	return "unknown (no IAM identity in the request)"
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Handle implements the function.
func (a *API) Handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	parts := strings.Split(strings.Trim(req.Path, "/"), "/")
	switch {
	case req.HTTPMethod == http.MethodPost && len(parts) == 1 && parts[0] == "runs":
		return a.submit(ctx, req)
	case len(parts) >= 2 && parts[0] == "runs" && runIDPattern.MatchString(parts[1]):
		id := parts[1]
		switch {
		case req.HTTPMethod == http.MethodGet && len(parts) == 2:
			s, err := a.AWS.Status(ctx, id, a.now())
			return a.answer(s, err)
		case req.HTTPMethod == http.MethodGet && len(parts) == 3 && parts[2] == "report":
			return a.report(ctx, id, req.QueryStringParameters["format"])
		case req.HTTPMethod == http.MethodDelete && len(parts) == 2:
			err := a.AWS.Abort(ctx, id)
			return a.answer(events.AbortResponse{RunID: id, State: events.StateAborted}, err)
		}
	}
	return reply(http.StatusNotFound, events.ErrorBody{Error: "no such resource: " + req.HTTPMethod + " " + req.Path})
}

func (a *API) submit(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	var sr events.SubmitRequest
	body := []byte(req.Body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		// The spec decoder names the field and the line.
		if _, serr := spec.Decode(stripRequestFields(body), "body"); serr != nil {
			return reply(http.StatusBadRequest, events.ErrorBody{Error: serr.Error(), Field: fieldOf(serr)})
		}
		return reply(http.StatusBadRequest, events.ErrorBody{Error: "invalid JSON body: " + err.Error()})
	}
	id := sr.RunID
	if key := header(req.Headers, "Idempotency-Key"); id == "" && key != "" {
		sum := sha256.Sum256([]byte(key))
		id = "idem-" + hex.EncodeToString(sum[:12])
	}
	if id == "" {
		id = orchestrator.NewRunID(a.now())
	}
	if !runIDPattern.MatchString(id) {
		return reply(http.StatusBadRequest, events.ErrorBody{Error: "run_id must be 1–64 letters, digits, '.', '_' or '-'", Field: "run_id"})
	}
	s := sr.RunSpec.WithDefaults()
	s.SubmittedBy = caller(req.RequestContext.Identity)
	p, isNew, err := a.AWS.Submit(ctx, s, id, sr.Kind, a.now())
	if err != nil {
		return a.answer(nil, err)
	}
	a.log().Info("run submitted", "run", id, "new", isNew, "caller", s.SubmittedBy,
		"source_ip", req.RequestContext.Identity.SourceIP, "request", req.RequestContext.RequestID)
	// Dispatching a thousand shards takes longer than an API answer may:
	// the dispatcher does it. A run stored by an earlier request whose
	// hand-over failed (it answered 502, and the client retries) is handed
	// over now; dispatch is idempotent, so a second hand-over is harmless.
	handed, err := a.AWS.Handed(ctx, id)
	if err == nil && !handed {
		err = a.AWS.HandOver(ctx, id)
	}
	if err != nil {
		return reply(http.StatusBadGateway, events.ErrorBody{Error: "hand over for dispatch (retry the request with the same run_id): " + err.Error()})
	}
	return reply(http.StatusAccepted, events.SubmitResponse{RunID: id, New: isNew, Plan: p})
}

// stripRequestFields removes run_id and kind, which are not RunSpec fields,
// so the spec decoder can name what else is wrong.
func stripRequestFields(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	delete(m, "run_id")
	delete(m, "kind")
	b, _ := json.Marshal(m)
	return b
}

// Presigner is a store that can hand out time-limited URLs to its objects
// (the S3 store).
type Presigner interface {
	Presign(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// report answers report.json itself, and the renderings (txt, md, written by
// the reducer) as presigned URLs where the store has them, else inline.
func (a *API) report(ctx context.Context, id, format string) (lambdaevents.APIGatewayProxyResponse, error) {
	r, err := reduce.Stored(ctx, a.AWS.Store, id)
	if err != nil {
		return a.answer(nil, err)
	}
	name := map[string]string{"txt": "report.txt", "text": "report.txt", "md": "report.md"}[format]
	switch {
	case format == "" || format == "json":
		return reply(http.StatusOK, r)
	case name == "":
		return reply(http.StatusBadRequest, events.ErrorBody{Error: "format must be json, txt or md", Field: "format"})
	}
	if ps, ok := a.AWS.Store.(Presigner); ok {
		u, err := ps.Presign(ctx, store.ReportFile(id, name), 15*time.Minute)
		if err != nil {
			return a.answer(nil, err)
		}
		return reply(http.StatusOK, events.ReportLink{RunID: id, Format: format, URL: u, ExpiresIn: "15m"})
	}
	var buf bytes.Buffer
	if name == "report.md" {
		err = report.Markdown(&buf, r)
	} else {
		err = report.Text(&buf, r)
	}
	if err != nil {
		return a.answer(nil, err)
	}
	return lambdaevents.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: buf.String(),
		Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}}, nil
}

// answer replies 200 with v, or maps err: a missing run 404, a bad field 400.
func (a *API) answer(v any, err error) (lambdaevents.APIGatewayProxyResponse, error) {
	var fe *events.FieldError
	var qe *plan.QuotaError
	switch {
	case err == nil:
		return reply(http.StatusOK, v)
	case errors.Is(err, store.ErrNotFound):
		return reply(http.StatusNotFound, events.ErrorBody{Error: "no such run"})
	case errors.As(err, &fe):
		return reply(http.StatusBadRequest, events.ErrorBody{Error: oneLine(err), Field: fe.Field})
	case errors.As(err, &qe):
		// The plan does not fit the account's quotas: one line naming the
		// quota, its value, the need and how to raise it.
		return reply(http.StatusBadRequest, events.ErrorBody{Error: oneLine(err), Field: "quota"})
	}
	return reply(http.StatusInternalServerError, events.ErrorBody{Error: err.Error()})
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// fieldOf names the field of a spec decoding error, when it says one.
func fieldOf(err error) string {
	var fe *events.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func reply(status int, v any) (lambdaevents.APIGatewayProxyResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return lambdaevents.APIGatewayProxyResponse{}, err
	}
	return lambdaevents.APIGatewayProxyResponse{StatusCode: status, Body: string(b),
		Headers: map[string]string{"Content-Type": "application/json"}}, nil
}
