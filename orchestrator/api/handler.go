package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/store"
)

// Backend is what the API does with runs: the AWS backend
// (*orchestrator.AWS) on a deployed stack, the local one
// (*orchestrator.LocalRuns) under `barrage serve`.
type Backend interface {
	// Submit prepares spec (pkg/prepare: defaults, validation, its
	// scenarios compiled), checks it against the backend's limits, plans
	// it as run id and stores the prepared spec. It is idempotent on id: a
	// run already stored answers its stored plan and false.
	Submit(ctx context.Context, spec events.RunSpec, id, kind string, now time.Time) (*events.Plan, bool, error)
	// Handed reports whether run id has been handed over to start; a run
	// stored by a request whose hand-over failed has not.
	Handed(ctx context.Context, id string) (bool, error)
	// HandOver starts run id: on AWS it invokes the dispatcher function.
	HandOver(ctx context.Context, id string) error
	// Status reads the state of run id; a missing run wraps
	// store.ErrNotFound.
	Status(ctx context.Context, id string, now time.Time) (*orchestrator.Status, error)
	// Abort stops run id: its workers stop within 2 s.
	Abort(ctx context.Context, id string) error
}

var (
	_ Backend = (*orchestrator.AWS)(nil)
	_ Backend = (*orchestrator.LocalRuns)(nil)
)

// Handler is the REST API (CONTRACT.md, "REST API"):
//
//	POST   /runs              validate, plan, hand over to start; 202 {run_id, new, plan}
//	GET    /runs/{id}         the run's state, shard counts and live rate
//	GET    /runs/{id}/report  report.json; ?format=txt or md for the rendering
//	DELETE /runs/{id}         abort the run
//
// POST is idempotent on a run_id in the body or an Idempotency-Key header.
// Bad requests get 400 with {"error": …, "field": …}; unknown fields are
// rejected. Anything else is 404 {"error": …}, a known path with another
// method too. Set the fields before the first request; a Handler is safe
// for concurrent use.
type Handler struct {
	Backend Backend
	// Store is where Backend keeps its runs: reports are read from it.
	Store store.Store
	// Identify tells who sent a request, as the server in front of the
	// handler knows it (API Gateway's IAM authorization); nil knows no
	// name, and takes the source from the request's peer address.
	Identify func(*http.Request) Caller
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
	// Log receives a line per run submitted, with who submitted it; nil
	// discards.
	Log *slog.Logger

	once sync.Once
	mux  *http.ServeMux
}

// Caller is who sent a request.
type Caller struct {
	// Name is who signed the request (on AWS, the IAM ARN), stored as the
	// spec's submitted_by; "" for nobody known.
	Name string
	// SourceIP and RequestID are for the log line of a submission.
	SourceIP, RequestID string
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /runs", h.submit)
	mux.HandleFunc("GET /runs/{id}", h.withID(h.status))
	mux.HandleFunc("GET /runs/{id}/report", h.withID(h.report))
	mux.HandleFunc("DELETE /runs/{id}", h.withID(h.abort))
	return mux
}

// ServeHTTP routes the request on its path as sent (API Gateway's REST
// API passes it still escaped: an escaped "/" or "?" is part of a
// segment). Slashes around the path do not matter; a path ServeMux would
// redirect (one with //, . or ..), a method no route has (ServeMux's 405)
// and HEAD (ServeMux serves it with GET's route) are no resource: 404, as
// the API has always answered.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() { h.mux = h.routes() })
	escaped := "/" + strings.Trim(r.URL.EscapedPath(), "/")
	unescaped, err := url.PathUnescape(escaped)
	if err != nil || path.Clean(escaped) != escaped {
		h.notFound(w, r)
		return
	}
	routed := new(http.Request)
	*routed = *r
	u := *r.URL
	u.Path, u.RawPath = unescaped, escaped
	routed.URL = &u
	if _, pattern := h.mux.Handler(routed); !strings.HasPrefix(pattern, r.Method+" ") {
		h.notFound(w, r)
		return
	}
	h.mux.ServeHTTP(w, routed)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusNotFound, events.ErrorBody{Error: "no such resource: " + r.Method + " " + r.URL.EscapedPath()})
}

// withID serves a route of one run, whose id must be a run id: another
// {id} is no resource.
func (h *Handler) withID(serve func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !runIDPattern.MatchString(id) {
			h.notFound(w, r)
			return
		}
		serve(w, r, id)
	}
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request, id string) {
	s, err := h.Backend.Status(r.Context(), id, h.now())
	answer(w, s, err)
}

func (h *Handler) abort(w http.ResponseWriter, r *http.Request, id string) {
	err := h.Backend.Abort(r.Context(), id)
	answer(w, events.AbortResponse{RunID: id, State: events.StateAborted}, err)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) identify(r *http.Request) Caller {
	if h.Identify != nil {
		return h.Identify(r)
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return Caller{SourceIP: ip}
}

// last is the last of a query parameter's or a header's values, as API
// Gateway's single-value maps keep it; "" for none.
func last(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[len(values)-1]
}
