package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/store"
)

// Limits are a deployment's guard rails: load goes only to allowed
// targets (deny by default), at most MaxRate, for at most MaxDuration.
type Limits struct {
	// AllowedTargets are host names, or "*.suffix" for a domain and its
	// subdomains; "*" allows every host (pkg/hostguard). Every host a run
	// may contact must be on it: targets, scenario steps, issuers, what
	// their discovery returns, redirects.
	AllowedTargets []string
	// AllowLoopback lets runs contact loopback addresses, which workers on
	// AWS never do: for the end-to-end tests, whose targets are on this
	// machine (stack.EnvAllowLoopback).
	AllowLoopback bool
	MaxRate       float64
	MaxDuration   time.Duration
}

// Guard is the deployment's host guard, for the API and the workers: its
// allow-list (an empty one allows no host), and no loopback.
func (l Limits) Guard() hostguard.Guard {
	return hostguard.Guard{Allow: [][]string{slices.Clone(l.AllowedTargets)}, DenyLoopback: !l.AllowLoopback}
}

// Check reports every way spec breaks the limits, as *events.FieldError:
// every host it may contact (journey.CheckHosts) against the allow-list,
// narrowed by the spec's allow_hosts, then its rate and duration.
func (l Limits) Check(spec *events.RunSpec) error {
	errs := []error{journey.CheckHosts(spec, l.Guard().With(spec.AllowHosts))}
	peak := spec.Load.PeakRate() // a ramp's larger end, a staged load's highest step
	if l.MaxRate > 0 && peak > l.MaxRate {
		errs = append(errs, &events.FieldError{Field: "load", Msg: fmt.Sprintf("peak rate %g/s is above this deployment's limit of %g/s", peak, l.MaxRate)})
	}
	if l.MaxDuration > 0 && spec.Duration.D() > l.MaxDuration {
		errs = append(errs, &events.FieldError{Field: "duration", Msg: fmt.Sprintf("%s is longer than this deployment's limit of %s", spec.Duration, l.MaxDuration)})
	}
	return errors.Join(errs...)
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
	// Reducer invokes the reducer function: a status read finds a run that
	// should have its report and has none (its deadline schedule never
	// fired), and hands it over.
	Reducer   *launch.Lambda
	Tasks     *launch.Tasks
	Schedules *launch.Schedules
	// ReducerArn and DispatcherArn are the targets of the deadline schedule
	// and of later windows' schedules.
	ReducerArn    string
	DispatcherArn string
	Limits        Limits
	// WorkerMemoryMB is the worker Lambda's memory, TaskVCPU the Fargate
	// task's vCPUs, and LambdaTimeout the worker Lambda's timeout, for the
	// planner (0: its defaults).
	WorkerMemoryMB int
	TaskVCPU       float64
	LambdaTimeout  time.Duration
	// Quotas reads the account's quotas the plan must fit (the worker's
	// concurrency, the Fargate vCPU quota); nil plans without. What it
	// could not read is unknown, and not checked.
	Quotas func(ctx context.Context) (plan.Quotas, error)
	// LeadTime overrides the planner's lead before the start (0: its default).
	LeadTime time.Duration
	// Secrets reads the scenario secrets of kinds other than env: and file:
	// (awsenv.Env.SecretSources: ssm:, secretsmanager:), to check that a
	// run's can be read before it is accepted; nil reads env: and file:
	// only.
	Secrets secret.Sources
	// ClaimPoll is how often the dispatcher looks for the shards' claims
	// while it watches a window start; default 2 s.
	ClaimPoll time.Duration
	// ReduceGrace is how long after a run's deadline its report may take
	// before a status read hands the run to the reducer; 0 means
	// DefaultReduceGrace.
	ReduceGrace time.Duration
	// Log receives the dispatcher's lines; nil discards.
	Log *slog.Logger
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

func (a *AWS) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *AWS) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Submit prepares spec (prepare.Spec: defaults, validation, its scenarios
// compiled), checks it against the limits and that its secrets can be
// read, plans it as run id and stores the prepared spec and its plan. It
// is idempotent on id: a second submit of a stored run returns the stored
// plan and false.
func (a *AWS) Submit(ctx context.Context, spec events.RunSpec, id, kind string, now time.Time) (*events.Plan, bool, error) {
	spec, err := prepare.Spec(spec)
	if err != nil {
		return nil, false, err
	}
	if err := a.Limits.Check(&spec); err != nil {
		return nil, false, err
	}
	if ok, err := a.Store.Exists(ctx, store.SpecKey(id)); err != nil {
		return nil, false, err
	} else if ok {
		stored, err := a.Plan(ctx, id)
		return stored, false, err
	}
	if err := journey.CheckSecrets(ctx, &spec, a.Secrets); err != nil {
		return nil, false, err
	}
	// The flows' discovery documents, fetched now: an endpoint off the
	// allow-list is a 400 rather than a shard failing later. The API does
	// not resolve host names: its resolver need not be the workers' (a
	// Fargate task's private zone), which refuse what they dial anyway.
	notes, err := journey.CheckDiscovery(ctx, &spec, &hostguard.Dialer{Guard: a.Limits.Guard().With(spec.AllowHosts)})
	if err != nil {
		return nil, false, err
	}
	var q plan.Quotas
	if a.Quotas != nil {
		var err error
		if q, err = a.Quotas(ctx); err != nil {
			a.log().Warn("quotas: planning with what could be read", "err", err)
		}
	}
	p, err := plan.Make(spec, plan.Options{RunID: id, Backend: plan.BackendAWS, Now: now, Workers: spec.Workers,
		Kind: kind, LambdaMemoryMB: a.WorkerMemoryMB, FargateVCPU: a.TaskVCPU, LambdaTimeout: a.LambdaTimeout,
		LeadTime: a.LeadTime, Quotas: q})
	if err != nil {
		return nil, false, err
	}
	p.Reasons = append(p.Reasons, notes...) // what the providers' discovery changed in the flows
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

// Handed reports whether run id has been handed to the dispatcher (by the
// API) or dispatched; a run stored but never handed over (the hand-over
// failed, and the client retries) must be handed again.
func (a *AWS) Handed(ctx context.Context, id string) (bool, error) {
	for _, k := range []string{handedKey(id), store.DispatchKey(id, 0)} {
		if ok, err := a.Store.Exists(ctx, k); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// HandOver invokes the dispatcher for run id, asynchronously, and records
// that it did.
func (a *AWS) HandOver(ctx context.Context, id string) error {
	if _, err := a.Dispatcher.InvokeAsync(ctx, 1, events.DispatchPayload{Action: events.ActionDispatch, RunID: id}); err != nil {
		return err
	}
	return a.Store.Put(ctx, handedKey(id), []byte(a.now().UTC().Format(time.RFC3339)), store.PutOptions{})
}

func handedKey(id string) string { return store.RunPrefix(id) + "dispatch/handed" }

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

// Abort stops run id: the abort marker (running workers stop within 2 s,
// dispatch refuses from now on), then the later windows' schedules are
// deleted and the windows not yet dispatched are recorded as refused,
// their shards missed, so that the run is reported as soon as its running
// shards have reported, not at its deadline.
func (a *AWS) Abort(ctx context.Context, id string) error {
	if err := Abort(ctx, a.Store, id); err != nil {
		return err
	}
	p, err := a.Plan(ctx, id)
	if err != nil {
		return err
	}
	var errs []error
	for w := 1; w < windows(p); w++ {
		if a.Schedules != nil {
			errs = append(errs, a.Schedules.Delete(ctx, launch.ScheduleName(id, fmt.Sprintf("w%d", w))))
		}
		errs = append(errs, a.refuse(ctx, p, w, "the run was aborted before it was dispatched"))
	}
	return errors.Join(errs...)
}

// windows counts the plan's windows.
func windows(p *events.Plan) int {
	n := 0
	for _, s := range p.Shards {
		n = max(n, s.Window+1)
	}
	return n
}

// Status reads run id's state, and hands the run to the reducer when it
// should have its report and has none: every shard reported or was missed
// (the S3 event of the last result was lost), or its deadline is past by
// ReduceGrace (its deadline schedule never fired, or was never created).
func (a *AWS) Status(ctx context.Context, id string, now time.Time) (*Status, error) {
	s, err := RunStatus(ctx, a.Store, id, now)
	if err != nil {
		return nil, err
	}
	grace := a.ReduceGrace
	if grace == 0 {
		grace = DefaultReduceGrace
	}
	if !IsFinal(s.State) && (s.covered || now.After(s.deadline.Add(grace))) {
		s.Overdue = true
		a.HandToReducer(ctx, id)
	}
	return s, nil
}

// HandToReducer invokes the reducer for run id, asynchronously, at most
// once a minute (status reads come every few seconds): for a run that
// should have its report and has none.
func (a *AWS) HandToReducer(ctx context.Context, id string) {
	key := store.RunPrefix(id) + "reduce-requested"
	if b, err := a.Store.Get(ctx, key); err == nil {
		if t, err := time.Parse(time.RFC3339, string(b)); err == nil && a.now().Sub(t) < time.Minute {
			return
		}
	}
	if a.Reducer == nil {
		return
	}
	if _, err := a.Reducer.InvokeAsync(ctx, 1, events.ReducePayload{RunID: id}); err != nil {
		a.log().Error("hand the run to the reducer", "run", id, "err", err)
		return
	}
	a.log().Info("run overdue: handed to the reducer", "run", id)
	a.Store.Put(ctx, key, []byte(a.now().UTC().Format(time.RFC3339)), store.PutOptions{})
}
