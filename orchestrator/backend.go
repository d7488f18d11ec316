package orchestrator

import (
	"context"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/live"
)

// Backend runs tests somewhere, on this host (LocalBackend) or on a
// deployed stack (APIBackend), and lets the command line follow them.
// Execute, the one follow loop of `barrage run`, is written against it.
type Backend interface {
	// Submit plans spec (defaults applied and validated) as a new run and
	// starts it. A *RejectedError means the backend refused the spec and
	// nothing was sent.
	Submit(ctx context.Context, spec events.RunSpec) (*Submitted, error)
	// Follow looks at run id again and again and sends each look on the
	// returned channel. The channel is closed after an update with a final
	// state (IsFinal), when ctx ends, or when the run cannot be followed
	// any more: then the last update's Err says why.
	Follow(ctx context.Context, id string) <-chan Update
	// Abort stops run id. The local backend tells two calls apart: the
	// first stops scheduling (requests in flight finish), the second cuts
	// off the requests in flight. A deployed run stops at the first (its
	// workers within 2 s); a second call does no harm.
	Abort(ctx context.Context, id string) error
	// Report reads the report of run id, once its state is final.
	Report(ctx context.Context, id string) (*events.Report, error)
}

// ReportReplacer is a Backend that can replace a run's stored report, as
// a find-max binary search does to add its steps (the local backend; a
// deployed run keeps its staircase's report).
type ReportReplacer interface {
	ReplaceReport(ctx context.Context, id string, r *events.Report) error
}

// Submitted is a run that a backend accepted.
type Submitted struct {
	RunID string
	Plan  *events.Plan
	// Load is the load of the spec submitted, which Execute sets for its
	// display: a staged load's steps.
	Load events.Load
}

// Update is one look at a run being followed: its status, or why it could
// not be read this time.
type Update struct {
	// Status is the run's state, shard counts and live progress (each
	// running shard's latest, events.ShardProgress); nil when Err is set.
	Status *Status
	// Totals, set by Execute for its display, merge every shard's latest
	// live progress seen so far (pkg/live): what the run has done.
	Totals live.Totals
	Err    error
}

// IsFinal reports whether a run in this state has its report: it will not
// change any more.
func IsFinal(state string) bool {
	return state == events.StateComplete || state == events.StatePartial
}

// RejectedError is a spec that a backend refused before sending anything:
// bad input.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }
