package lambdas

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/spec"
)

// Scheduler is the scheduler Lambda. EventBridge Scheduler invokes it with
// an events.StoredSpecPayload to start a stored spec on a schedule; the API
// and later windows' schedules invoke it with an events.DispatchPayload to
// dispatch a run's window.
type Scheduler struct {
	AWS *orchestrator.AWS
	Now func() time.Time
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// RunIDFor derives a schedule's run id from its name and scheduled time, so
// that a duplicate delivery of one firing starts nothing twice.
func RunIDFor(schedule string, t time.Time) string {
	name := strings.Trim(unsafe.ReplaceAllString(schedule, "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return name + "-" + t.UTC().Format("20060102-150405")
}

// Handle implements the function; it returns the run id it dispatched.
func (s *Scheduler) Handle(ctx context.Context, payload json.RawMessage) (string, error) {
	var d events.DispatchPayload
	if json.Unmarshal(payload, &d) == nil && d.Action == events.ActionDispatch {
		return d.RunID, s.AWS.Dispatch(ctx, d.RunID, d.Window)
	}
	var p events.StoredSpecPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Schedule == "" || p.SpecKey == "" {
		return "", fmt.Errorf("scheduler: want a dispatch or a stored-spec payload (schedule, spec_key, time)")
	}
	at, err := time.Parse(time.RFC3339, p.Time)
	if err != nil {
		return "", fmt.Errorf("scheduler: time %q: %w", p.Time, err)
	}
	b, err := s.AWS.Store.Get(ctx, p.SpecKey)
	if err != nil {
		return "", fmt.Errorf("scheduler: read %s: %w", p.SpecKey, err)
	}
	rs, err := spec.Decode(b, p.SpecKey)
	if err != nil {
		return "", err
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	id := RunIDFor(p.Schedule, at)
	rs.SubmittedBy = "schedule " + p.Schedule
	if _, _, err := s.AWS.Submit(ctx, rs, id, p.Kind, now); err != nil {
		return "", err
	}
	// Dispatch is itself guarded, so a redelivery after a crash between the
	// two still dispatches once.
	return id, s.AWS.Dispatch(ctx, id, 0)
}
