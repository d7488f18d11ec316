package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/store"
)

// failing is a Backend whose calls fail as told; it counts hand-overs.
type failing struct {
	submit, handed, handOver, status, abort error
	handOvers                               int
}

var _ Backend = (*failing)(nil)

func (f *failing) Submit(context.Context, events.RunSpec, string, string, time.Time) (*events.Plan, bool, error) {
	return &events.Plan{}, true, f.submit
}
func (f *failing) Handed(context.Context, string) (bool, error) { return false, f.handed }
func (f *failing) HandOver(context.Context, string) error {
	f.handOvers++
	return f.handOver
}
func (f *failing) Status(context.Context, string, time.Time) (*orchestrator.Status, error) {
	return &orchestrator.Status{}, f.status
}
func (f *failing) Abort(context.Context, string) error { return f.abort }

// TestAPIErrors: how the backend's errors are answered.
func TestAPIErrors(t *testing.T) {
	quota := &plan.QuotaError{Quota: plan.QuotaLambdaConcurrency, Value: 10, Need: 14, Source: "account", Raise: "raise it"}
	tests := []struct {
		name         string
		backend      failing
		method, path string
		code         int
		field, says  string
	}{
		// A bad field: 400 naming it, on one line.
		{"field", failing{submit: errors.Join(&events.FieldError{Field: "load.rate", Msg: "too fast"}, errors.New("and\nmore"))},
			"POST", "/runs", 400, "load.rate", "load.rate: too fast; and; more"},
		// A plan over the account's quotas: 400, field quota.
		{"quota", failing{submit: fmt.Errorf("plan: %w", quota)}, "POST", "/runs", 400, "quota", "lambda concurrency"},
		// A spec the backend refused (the local planner): 400, no field.
		{"refused", failing{submit: &orchestrator.RejectedError{Err: errors.New("the planner says no")}}, "POST", "/runs", 400, "", "the planner says no"},
		// The hand-over failing: 502, to retry with the same run id.
		{"hand-over", failing{handOver: errors.New("throttled")}, "POST", "/runs", 502, "", "retry the request with the same run_id): throttled"},
		{"handed", failing{handed: errors.New("s3 down")}, "POST", "/runs", 502, "", "s3 down"},
		// A missing run: 404.
		{"missing", failing{status: fmt.Errorf("run x: %w", store.ErrNotFound)}, "GET", "/runs/x", 404, "", "no such run"},
		{"abort missing", failing{abort: fmt.Errorf("run x: %w", store.ErrNotFound)}, "DELETE", "/runs/x", 404, "", "no such run"},
		// Anything else: 500 with the error.
		{"other", failing{status: errors.New("s3: slow down")}, "GET", "/runs/x", 500, "", "s3: slow down"},
	}
	for _, tt := range tests {
		h := &Handler{Backend: &tt.backend, Store: store.Dir{Root: t.TempDir()}}
		code, out := call(t, h, tt.method, tt.path, okSpec, nil)
		msg, _ := out["error"].(string)
		if code != tt.code || out["field"] != nil && out["field"] != tt.field || tt.field != "" && out["field"] != tt.field ||
			!strings.Contains(msg, tt.says) {
			t.Errorf("%s: %d %v; want %d, field %q, an error containing %q", tt.name, code, out, tt.code, tt.field, tt.says)
		}
		if tt.backend.submit != nil && tt.backend.handOvers != 0 {
			t.Errorf("%s: a refused run was handed over", tt.name)
		}
	}
}
