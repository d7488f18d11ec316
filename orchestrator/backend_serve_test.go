package orchestrator

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

func newLocalRuns(dir string) *LocalRuns {
	return &LocalRuns{Local: &LocalBackend{Options: LocalOptions{Dir: dir}}}
}

// servedSpec is a run of rate/s for d against url, on one shard.
func servedSpec(url string, rate float64, d time.Duration) events.RunSpec {
	return events.RunSpec{Targets: []events.Target{{URL: url}}, Workers: 1, Duration: events.Duration(d),
		Load: events.Load{Shape: events.ShapeConstant, Rate: rate}}.WithDefaults()
}

// awaitReport waits until run id of r has its report (or fails t after
// two minutes: a bound, not a measure) and returns it.
func awaitReport(t *testing.T, r *LocalRuns, id string) *events.Report {
	t.Helper()
	run, err := r.Local.run(id)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-run.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("run %s has no report after 2 minutes", id)
	}
	rep, err := ReadReport(context.Background(), r.Store(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestLocalRunsOnce: a run id submitted and handed over twice, the second
// times at once, is stored and started once, and runs to its report.
func TestLocalRunsOnce(t *testing.T) {
	url, hits := countingTarget(t)
	r := newLocalRuns(t.TempDir())
	ctx := context.Background()
	spec := servedSpec(url, 10, time.Second)
	p, isNew, err := r.Submit(ctx, spec, "once", "", time.Now())
	if err != nil || !isNew || p.RunID != "once" {
		t.Fatalf("submit: %v, new %v, %v", p, isNew, err)
	}
	again, isNew, err := r.Submit(ctx, spec, "once", "", time.Now().Add(time.Minute))
	if err != nil || isNew || !again.StartAt.Equal(p.StartAt) {
		t.Errorf("second submit: new %v, %v; want the stored plan", isNew, err)
	}
	if ok, err := r.Handed(ctx, "once"); ok || err != nil {
		t.Errorf("handed before the hand-over: %v, %v", ok, err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := r.HandOver(ctx, "once"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok, err := r.Handed(ctx, "once"); !ok || err != nil {
		t.Errorf("handed after the hand-over: %v, %v", ok, err)
	}
	r.Local.mu.Lock()
	started := len(r.Local.runs)
	r.Local.mu.Unlock()
	if started != 1 {
		t.Errorf("%d runs started; want 1", started)
	}
	rep := awaitReport(t, r, "once")
	if rep.Requests+rep.Dropped != 10 || hits.Load() != rep.Requests || rep.Coverage != 1 {
		t.Errorf("report: %d requests + %d dropped, coverage %v, target saw %d; want 10 planned, all seen",
			rep.Requests, rep.Dropped, rep.Coverage, hits.Load())
	}
	if st, err := r.Status(ctx, "once", time.Now()); err != nil || st.State != events.StateComplete {
		t.Errorf("status: %+v, %v; want complete", st, err)
	}
}

// TestLocalRunsRefused: a worker kind, an invalid spec and an unknown run.
func TestLocalRunsRefused(t *testing.T) {
	r := newLocalRuns(t.TempDir())
	ctx := context.Background()
	var fe *events.FieldError
	if _, _, err := r.Submit(ctx, servedSpec("http://127.0.0.1:1/", 10, time.Second), "k", "lambda", time.Now()); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("submit with a kind: %v; want a field error naming kind", err)
	}
	if _, _, err := r.Submit(ctx, servedSpec("127.0.0.1:1", 10, time.Second), "v", "", time.Now()); !errors.As(err, &fe) || fe.Field != "targets[0].url" {
		t.Errorf("submit without a scheme: %v; want a field error naming targets[0].url", err)
	}
	if _, err := r.Status(ctx, "nope", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("status of an unknown run: %v; want not found", err)
	}
	if err := r.Abort(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("abort of an unknown run: %v; want not found", err)
	}
	if err := r.HandOver(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("hand-over of an unknown run: %v; want not found", err)
	}
}

// TestLocalRunsStop: Abort writes the abort marker and stops the run, as
// Drain stops every run; both still get their reports.
func TestLocalRunsStop(t *testing.T) {
	url, _ := countingTarget(t)
	r := newLocalRuns(t.TempDir())
	ctx := context.Background()
	for _, id := range []string{"aborted", "drained"} {
		if _, _, err := r.Submit(ctx, servedSpec(url, 5, 30*time.Second), id, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.HandOver(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Abort(ctx, "aborted"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.Store().Exists(ctx, store.AbortKey("aborted")); !ok {
		t.Error("no abort marker")
	}
	if st, err := r.Status(ctx, "aborted", time.Now()); err != nil || st.State != events.StateAborted && !IsFinal(st.State) {
		t.Errorf("status after abort: %+v, %v; want aborted", st, err)
	}
	if rep := awaitReport(t, r, "aborted"); rep.Requests+rep.Dropped >= 150 {
		t.Errorf("the aborted run sent %d + dropped %d of 150", rep.Requests, rep.Dropped)
	}
	r.Drain(ctx)
	if rep := awaitReport(t, r, "drained"); rep.Requests+rep.Dropped >= 150 {
		t.Errorf("the drained run sent %d + dropped %d of 150", rep.Requests, rep.Dropped)
	}
}

// TestLocalRunsOrphan: a run stored by an earlier process, whose workers
// are gone, is reduced by the first status read after its deadline, not
// before.
func TestLocalRunsOrphan(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p, _, err := newLocalRuns(dir).Submit(ctx, servedSpec("http://127.0.0.1:1/", 10, time.Second), "orphan", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	later := newLocalRuns(dir) // another process
	if st, err := later.Status(ctx, "orphan", p.Deadline.Add(-time.Second)); err != nil || IsFinal(st.State) {
		t.Errorf("status before the deadline: %+v, %v; want not reported", st, err)
	}
	if _, err := ReadReport(ctx, later.Store(), "orphan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a report before the deadline: %v", err)
	}
	st, err := later.Status(ctx, "orphan", p.Deadline.Add(time.Second))
	if err != nil || st.State != events.StatePartial {
		t.Errorf("status after the deadline: %+v, %v; want partial (its shard never ran)", st, err)
	}
}
