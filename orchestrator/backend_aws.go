package orchestrator

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/barrage-load/barrage/events"
)

// APIBackend is the AWS backend as the command line sees it: a deployed
// stack's REST API.
type APIBackend struct {
	Client *APIClient
	// Kind asks for lambda or fargate workers; "" lets the planner decide.
	Kind string
	// Poll is how often Follow reads the run's status (0: 2 s).
	Poll time.Duration
}

var _ Backend = (*APIBackend)(nil)

// Submit posts spec as a new run (its id chosen by the client, so that
// retries ask for the same run); a 400 answer is a *RejectedError.
func (a *APIBackend) Submit(ctx context.Context, spec events.RunSpec) (*Submitted, error) {
	res, err := a.Client.Submit(ctx, spec, "", a.Kind)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return nil, &RejectedError{err}
	}
	if err != nil {
		return nil, err
	}
	return &Submitted{RunID: res.RunID, Plan: res.Plan}, nil
}

// Follow reads GET /runs/{id} every Poll. A failed read is sent as an
// update and following goes on: the caller's deadline bounds it.
func (a *APIBackend) Follow(ctx context.Context, id string) <-chan Update {
	poll := a.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	return pollStatus(ctx, poll, func(ctx context.Context) (*Status, bool, error) {
		st, err := a.Client.Status(ctx, id)
		return st, false, err
	})
}

// Abort asks the API to stop run id: DELETE /runs/{id}.
func (a *APIBackend) Abort(ctx context.Context, id string) error { return a.Client.Abort(ctx, id) }

// Report reads the report: GET /runs/{id}/report.
func (a *APIBackend) Report(ctx context.Context, id string) (*events.Report, error) {
	return a.Client.Report(ctx, id)
}

// pollStatus calls look every poll, the first time at once, and sends what
// it finds until a final state, a look that says it was the last (gone),
// or the end of ctx.
func pollStatus(ctx context.Context, poll time.Duration, look func(context.Context) (st *Status, gone bool, err error)) <-chan Update {
	ch := make(chan Update)
	go func() {
		defer close(ch)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			st, gone, err := look(ctx)
			u := Update{Status: st, Err: err}
			if err != nil {
				u.Status = nil
			}
			select {
			case ch <- u:
			case <-ctx.Done():
				return
			}
			if gone || err == nil && IsFinal(st.State) {
				return
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
