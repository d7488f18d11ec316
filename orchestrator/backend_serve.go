package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// LocalRuns is the local backend behind the REST API (orchestrator/api,
// served by `barrage serve`): runs with the caller's ids, stored by Submit
// and started by HandOver, as the deployed API stores a run and hands it
// to the dispatcher. Its shards run in goroutines of this process; their
// runs reduce themselves. It is safe for concurrent use.
type LocalRuns struct {
	Local *LocalBackend

	mu sync.Mutex // serialises Submit and HandOver, which are idempotent on the run id
}

// Submit prepares spec (prepare.Spec) and checks it as a local `barrage
// run` does (hosts, secrets, the flows' discovery), plans it for this host
// as run id and stores the prepared spec and its plan. It is idempotent on id: a stored run returns
// its plan and false. A worker kind is a *events.FieldError, a plan the
// planner refuses a *RejectedError.
func (r *LocalRuns) Submit(ctx context.Context, spec events.RunSpec, id, kind string, now time.Time) (*events.Plan, bool, error) {
	if kind != "" {
		return nil, false, &events.FieldError{Field: "kind", Msg: fmt.Sprintf("%q: worker kinds are for a deployed stack; this backend runs shards on this host", kind)}
	}
	spec, err := prepare.Spec(spec)
	if err != nil {
		return nil, false, err
	}
	guard := hostguard.Guard{}.With(spec.AllowHosts)
	if err := journey.CheckHosts(&spec, guard); err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.Local.store()
	if p, err := readPlan(ctx, st, id); err == nil || !errors.Is(err, store.ErrNotFound) {
		return p, false, err
	}
	if err := journey.CheckSecrets(ctx, &spec, nil); err != nil {
		return nil, false, err
	}
	d := &hostguard.Dialer{Guard: guard}
	notes, err := journey.CheckDiscovery(ctx, &spec, d)
	if err = errors.Join(err, journey.CheckAddresses(ctx, &spec, d)); err != nil {
		return nil, false, err
	}
	p, err := PlanLocal(spec, id, now)
	if err != nil {
		return nil, false, &RejectedError{err}
	}
	p.Reasons = append(p.Reasons, notes...) // what the providers' discovery changed in the flows
	// The plan last: a run is stored once its plan is.
	if err := putJSON(ctx, st, store.SpecKey(id), spec); err != nil {
		return nil, false, err
	}
	if err := putJSON(ctx, st, store.PlanKey(id), p); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// Handed reports whether run id was started, by this process or an
// earlier one.
func (r *LocalRuns) Handed(ctx context.Context, id string) (bool, error) {
	return r.Local.store().Exists(ctx, handedKey(id))
}

// HandOver starts stored run id on this host, unless it was started.
func (r *LocalRuns) HandOver(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.Local.store()
	if ok, err := st.Exists(ctx, handedKey(id)); err != nil || ok {
		return err
	}
	p, err := readPlan(ctx, st, id)
	if err != nil {
		return err
	}
	var spec events.RunSpec
	b, err := st.Get(ctx, store.SpecKey(id))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("read %s: %w", store.SpecKey(id), err)
	}
	if err := r.Local.start(ctx, spec, p); err != nil {
		return err
	}
	return st.Put(ctx, handedKey(id), []byte(time.Now().UTC().Format(time.RFC3339)), store.PutOptions{})
}

// Status reads run id's state. A run that no goroutine of this process
// runs (started by an earlier `barrage serve`) and that should have its
// report (every shard reported or missed, or its deadline past) is
// reduced first: nobody else will.
func (r *LocalRuns) Status(ctx context.Context, id string, now time.Time) (*Status, error) {
	st := r.Local.store()
	s, err := RunStatus(ctx, st, id, now)
	if err != nil || IsFinal(s.State) || r.Local.running(id) || !s.covered && !now.After(s.deadline) {
		return s, err
	}
	if _, err := reduce.Reduce(ctx, st, id); err != nil {
		return nil, fmt.Errorf("reduce run %s: %w", id, err)
	}
	return RunStatus(ctx, st, id, now)
}

// Abort writes run id's abort marker (its workers stop within 2 s) and
// stops scheduling its arrivals at once.
func (r *LocalRuns) Abort(ctx context.Context, id string) error {
	if err := Abort(ctx, r.Local.store(), id); err != nil {
		return err
	}
	if run, err := r.Local.run(id); err == nil {
		run.stopSched()
	}
	return nil
}

// Drain stops scheduling every run this process started, as a first
// interrupt of `barrage run` does, and waits until each has its report.
// When ctx ends first it cuts off the requests in flight too, and still
// waits for the reports.
func (r *LocalRuns) Drain(ctx context.Context) {
	l := r.Local
	l.mu.Lock()
	runs := make([]*localRun, 0, len(l.runs))
	for _, run := range l.runs {
		runs = append(runs, run)
	}
	l.mu.Unlock()
	for _, run := range runs {
		run.stopSched()
	}
	for _, run := range runs {
		select {
		case <-run.done:
		case <-ctx.Done():
			for _, run := range runs {
				run.cutOff()
			}
			<-run.done
		}
	}
}

// running reports whether run id was started by this process and has no
// report yet.
func (l *LocalBackend) running(id string) bool {
	run, err := l.run(id)
	if err != nil {
		return false
	}
	select {
	case <-run.done:
		return false
	default:
		return true
	}
}

// readPlan reads the stored plan of run id.
func readPlan(ctx context.Context, st store.Store, id string) (*events.Plan, error) {
	b, err := st.Get(ctx, store.PlanKey(id))
	if err != nil {
		return nil, err
	}
	var p events.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read %s: %w", store.PlanKey(id), err)
	}
	return &p, nil
}

// Store is where the runs are kept: Local's run folders.
func (r *LocalRuns) Store() store.Store { return r.Local.store() }
