package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/store"
)

// MaxBody is the largest request body read: API Gateway's own limit.
const MaxBody = 10 << 20

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	switch {
	case err != nil:
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: "read the body: " + err.Error()})
		return
	case len(body) > MaxBody:
		reply(w, http.StatusRequestEntityTooLarge, events.ErrorBody{Error: "the body is larger than 10 MB"})
		return
	}
	var sr events.SubmitRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		// The spec decoder names the field and the line.
		if _, serr := spec.Decode(stripRequestFields(body), "body"); serr != nil {
			reply(w, http.StatusBadRequest, events.ErrorBody{Error: serr.Error(), Field: fieldOf(serr)})
			return
		}
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: "invalid JSON body: " + err.Error()})
		return
	}
	id := sr.RunID
	if key := last(r.Header.Values("Idempotency-Key")); id == "" && key != "" {
		sum := sha256.Sum256([]byte(key))
		id = "idem-" + hex.EncodeToString(sum[:12])
	}
	if id == "" {
		id = orchestrator.NewRunID(h.now())
	}
	if !runIDPattern.MatchString(id) {
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: "run_id must be 1–64 letters, digits, '.', '_' or '-'", Field: "run_id"})
		return
	}
	ctx := r.Context()
	caller := h.identify(r)
	s := sr.RunSpec // the backend's Submit prepares it (pkg/prepare)
	s.SubmittedBy = caller.Name
	p, isNew, err := h.Backend.Submit(ctx, s, id, sr.Kind, h.now())
	if err != nil {
		answer(w, nil, err)
		return
	}
	h.log().Info("run submitted", "run", id, "new", isNew, "caller", s.SubmittedBy,
		"source_ip", caller.SourceIP, "request", caller.RequestID)
	// Dispatching a thousand shards takes longer than an API answer may:
	// the dispatcher does it. A run stored by an earlier request whose
	// hand-over failed (it answered 502, and the client retries) is handed
	// over now; dispatch is idempotent, so a second hand-over is harmless.
	handed, err := h.Backend.Handed(ctx, id)
	if err == nil && !handed {
		err = h.Backend.HandOver(ctx, id)
	}
	if err != nil {
		reply(w, http.StatusBadGateway, events.ErrorBody{Error: "hand over for dispatch (retry the request with the same run_id): " + err.Error()})
		return
	}
	reply(w, http.StatusAccepted, events.SubmitResponse{RunID: id, New: isNew, Plan: p})
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
func (h *Handler) report(w http.ResponseWriter, r *http.Request, id string) {
	ctx := r.Context()
	rep, err := reduce.Stored(ctx, h.Store, id)
	if err != nil {
		answer(w, nil, err)
		return
	}
	format := last(r.URL.Query()["format"])
	name := map[string]string{"txt": "report.txt", "text": "report.txt", "md": "report.md"}[format]
	switch {
	case format == "" || format == "json":
		reply(w, http.StatusOK, rep)
		return
	case name == "":
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: "format must be json, txt or md", Field: "format"})
		return
	}
	if ps, ok := h.Store.(Presigner); ok {
		u, err := ps.Presign(ctx, store.ReportFile(id, name), 15*time.Minute)
		if err != nil {
			answer(w, nil, err)
			return
		}
		reply(w, http.StatusOK, events.ReportLink{RunID: id, Format: format, URL: u, ExpiresIn: "15m"})
		return
	}
	var buf bytes.Buffer
	if name == "report.md" {
		err = report.Markdown(&buf, rep)
	} else {
		err = report.Text(&buf, rep)
	}
	if err != nil {
		answer(w, nil, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// answer replies 200 with v, or maps err: a missing run 404; a bad field,
// a plan over the quotas or a spec the backend refused 400.
func answer(w http.ResponseWriter, v any, err error) {
	var fe *events.FieldError
	var qe *plan.QuotaError
	var re *orchestrator.RejectedError
	switch {
	case err == nil:
		reply(w, http.StatusOK, v)
	case errors.Is(err, store.ErrNotFound):
		reply(w, http.StatusNotFound, events.ErrorBody{Error: "no such run"})
	case errors.As(err, &fe):
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: oneLine(err), Field: fe.Field})
	case errors.As(err, &qe):
		// The plan does not fit the account's quotas: one line naming the
		// quota, its value, the need and how to raise it.
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: oneLine(err), Field: "quota"})
	case errors.As(err, &re):
		reply(w, http.StatusBadRequest, events.ErrorBody{Error: oneLine(err)})
	default:
		reply(w, http.StatusInternalServerError, events.ErrorBody{Error: err.Error()})
	}
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

// reply writes v as a JSON answer with status (a 500 if v cannot be
// encoded).
func reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(events.ErrorBody{Error: "encode the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
