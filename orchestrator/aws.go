package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/store"
)

// Limits are a deployment's guard rails: load goes only to allowed
// targets (deny by default), at most MaxRate, for at most MaxDuration.
type Limits struct {
	// AllowedTargets are host names, or "*.suffix" for a domain and its
	// subdomains; "*" allows every host.
	AllowedTargets []string
	MaxRate        float64
	MaxDuration    time.Duration
}

// Check reports every way spec breaks the limits, as *events.FieldError.
func (l Limits) Check(spec *events.RunSpec) error {
	var errs []error
	for i, t := range spec.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || !l.allows(u.Hostname()) {
			errs = append(errs, &events.FieldError{Field: fmt.Sprintf("targets[%d].url", i),
				Msg: fmt.Sprintf("host of %q is not on this deployment's allow-list", t.URL)})
		}
	}
	peak := spec.Load.PeakRate() // a ramp's larger end, a staged load's highest step
	if l.MaxRate > 0 && peak > l.MaxRate {
		errs = append(errs, &events.FieldError{Field: "load", Msg: fmt.Sprintf("peak rate %g/s is above this deployment's limit of %g/s", peak, l.MaxRate)})
	}
	if l.MaxDuration > 0 && spec.Duration.D() > l.MaxDuration {
		errs = append(errs, &events.FieldError{Field: "duration", Msg: fmt.Sprintf("%s is longer than this deployment's limit of %s", spec.Duration, l.MaxDuration)})
	}
	return errors.Join(errs...)
}

func (l Limits) allows(host string) bool {
	host = strings.ToLower(host)
	for _, a := range l.AllowedTargets {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "*" || a == host:
			return true
		case strings.HasPrefix(a, "*.") && (host == a[2:] || strings.HasSuffix(host, a[1:])):
			return true
		}
	}
	return false
}

// AWS is the AWS backend: the store, the two shard queues, and how to start
// workers and schedules. Functions build it from their environment (the
// stack's), the command line from the stack's outputs.
type AWS struct {
	Store        store.Store
	LambdaQueue  queue.Queue
	FargateQueue queue.Queue
	Workers      *launch.Lambda
	// Dispatcher invokes the function that dispatches runs (the scheduler
	// function): the API hands a run over to it and answers at once.
	Dispatcher *launch.Lambda
	Tasks      *launch.Tasks
	Schedules  *launch.Schedules
	// ReducerArn and DispatcherArn are the targets of the deadline schedule
	// and of later windows' schedules.
	ReducerArn    string
	DispatcherArn string
	Limits        Limits
	// WorkerMemoryMB is the worker Lambda's memory, for the planner.
	WorkerMemoryMB int
	// LeadTime overrides the planner's lead before the start (0: its default).
	LeadTime time.Duration
}

// Submit validates spec (defaults applied) against the limits, plans it as
// run id and stores spec and plan. It is idempotent on id: a second submit
// of a stored run returns the stored plan and false.
func (a *AWS) Submit(ctx context.Context, spec events.RunSpec, id, kind string, now time.Time) (*events.Plan, bool, error) {
	if err := spec.Validate(); err != nil {
		return nil, false, err
	}
	if err := a.Limits.Check(&spec); err != nil {
		return nil, false, err
	}
	p, err := plan.Make(spec, plan.Options{RunID: id, Backend: plan.BackendAWS, Now: now, Workers: spec.Workers,
		Kind: kind, LambdaMemoryMB: a.WorkerMemoryMB, LeadTime: a.LeadTime})
	if err != nil {
		return nil, false, err
	}
	b, _ := json.Marshal(spec)
	err = a.Store.Put(ctx, store.SpecKey(id), b, store.PutOptions{IfAbsent: true, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		stored, err := a.Plan(ctx, id)
		return stored, false, err
	}
	if err != nil {
		return nil, false, err
	}
	b, _ = json.Marshal(p)
	if err := a.Store.Put(ctx, store.PlanKey(id), b, store.PutOptions{ContentType: "application/json"}); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// Plan reads a stored plan.
func (a *AWS) Plan(ctx context.Context, id string) (*events.Plan, error) {
	var p events.Plan
	b, err := a.Store.Get(ctx, store.PlanKey(id))
	if err != nil {
		return nil, err
	}
	return &p, json.Unmarshal(b, &p)
}

// DispatchPayload is what a dispatcher invocation (a schedule, or the API
// handing a run over) carries.
type DispatchPayload struct {
	Action string `json:"action"` // "dispatch"
	RunID  string `json:"run_id"`
	Window int    `json:"window"`
}

// ReducePayload is what the deadline schedule sends the reducer.
type ReducePayload struct {
	RunID string `json:"run_id"`
}

// Dispatch sends window w of run id: its shard messages to their queue,
// then as many workers (Lambda invocations or Fargate tasks). Window 0 also
// schedules the later windows and the reducer at the deadline. A window is
// dispatched once: a marker in the store, created conditionally, guards it.
func (a *AWS) Dispatch(ctx context.Context, id string, w int) error {
	marker := store.RunPrefix(id) + fmt.Sprintf("dispatched-w%d", w)
	err := a.Store.Put(ctx, marker, nil, store.PutOptions{IfAbsent: true})
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	if err != nil {
		return err
	}
	p, err := a.Plan(ctx, id)
	if err != nil {
		return err
	}
	var spec events.RunSpec
	b, err := a.Store.Get(ctx, store.SpecKey(id))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		return err
	}
	spec = spec.WithDefaults()
	windows := 0
	var lambdas, tasks [][]byte
	for i, m := range plan.Messages(p, spec, store.SpecKey(id)) {
		windows = max(windows, p.Shards[i].Window+1)
		if p.Shards[i].Window != w {
			continue
		}
		body, _ := json.Marshal(m)
		if m.Kind == events.KindFargate {
			tasks = append(tasks, body)
		} else {
			lambdas = append(lambdas, body)
		}
	}
	if w == 0 {
		if err := a.scheduleLater(ctx, p, windows); err != nil {
			return err
		}
	}
	if len(lambdas) > 0 {
		if err := a.LambdaQueue.Send(ctx, lambdas); err != nil {
			return fmt.Errorf("dispatch run %s: %w", id, err)
		}
		if _, err := a.Workers.InvokeAsync(ctx, len(lambdas), WorkerPayload{RunID: id}); err != nil {
			return fmt.Errorf("dispatch run %s: %w", id, err)
		}
	}
	if len(tasks) > 0 {
		if err := a.FargateQueue.Send(ctx, tasks); err != nil {
			return fmt.Errorf("dispatch run %s: %w", id, err)
		}
		if _, err := a.Tasks.Run(ctx, len(tasks), map[string]string{TaskRunEnv: id}); err != nil {
			return fmt.Errorf("dispatch run %s: %w", id, err)
		}
	}
	return nil
}

// scheduleLater schedules windows 1… at their start less the lead, and the
// reducer at the plan's deadline.
func (a *AWS) scheduleLater(ctx context.Context, p *events.Plan, windows int) error {
	if a.Schedules == nil {
		return nil
	}
	for w := 1; w < windows; w++ {
		var at time.Time
		for _, s := range p.Shards {
			if s.Window == w {
				at = s.StartAt // the window's start
				break
			}
		}
		at = at.Add(-WindowLead)
		if err := a.Schedules.At(ctx, scheduleName(p.RunID, fmt.Sprintf("w%d", w)), at, a.DispatcherArn,
			DispatchPayload{Action: "dispatch", RunID: p.RunID, Window: w}); err != nil {
			return err
		}
	}
	return a.Schedules.At(ctx, scheduleName(p.RunID, "reduce"), p.Deadline, a.ReducerArn, ReducePayload{RunID: p.RunID})
}

// WindowLead is how long before a later window starts its workers are
// dispatched: EventBridge Scheduler fires within about a minute of the
// time asked, then a Lambda cold start.
const WindowLead = 90 * time.Second

// scheduleName names a run's schedule; EventBridge allows 64 characters.
func scheduleName(id, what string) string {
	n := "barrage-" + id + "-" + what
	if len(n) > 64 {
		n = n[len(n)-64:]
	}
	return n
}

// WorkerPayload is the asynchronous invocation of a worker Lambda: take one
// shard of the Lambda queue.
type WorkerPayload struct {
	RunID string `json:"run_id"`
}

// TaskRunEnv names, in a Fargate task's environment, the run it serves.
const TaskRunEnv = "BARRAGE_RUN_ID"

// Abort writes the run's abort marker: every worker stops within 2 s.
func Abort(ctx context.Context, st store.Store, id string) error {
	if ok, err := st.Exists(ctx, store.PlanKey(id)); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("run %s: %w", id, store.ErrNotFound)
	}
	return st.Put(ctx, store.AbortKey(id), []byte(time.Now().UTC().Format(time.RFC3339)), store.PutOptions{})
}
