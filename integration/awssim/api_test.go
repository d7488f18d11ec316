package awssim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/integration/awslocal"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestQuotaPreflight: the API reads the worker's concurrency from the
// account before it plans. A run that fits is planned into it; one forced
// above it (--workers) is refused with one line naming the quota, its
// value, the need and how to raise it; nothing is stored or sent.
func TestQuotaPreflight(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.Cloud.UnreservedConcurrency = 10 // a new account
	ctx := context.Background()
	_, err := s.API.Submit(ctx, s.Spec(20, 2*time.Second, 25), "r-forced", events.KindLambda)
	var ae *orchestrator.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "quota" || !strings.Contains(ae.Msg, "lambda concurrency") ||
		!strings.Contains(ae.Msg, "L-B99A9384") || strings.Contains(ae.Msg, "\n") {
		t.Fatalf("25 forced workers against a concurrency of 10: %v; want 400 naming the quota in one line", err)
	}
	if ok, _ := s.Store.Exists(ctx, store.SpecKey("r-forced")); ok || s.Lambda.Sent.Load() != 0 {
		t.Error("a refused run was stored or sent")
	}
	res, err := s.API.Submit(ctx, s.Spec(20, 2*time.Second, 0), "", events.KindLambda)
	if err != nil || len(res.Plan.Shards) > 10 || !strings.Contains(strings.Join(res.Plan.Reasons, "\n"), "lambda concurrency 10") {
		t.Fatalf("a run left to the planner: %v, %+v; want it planned within the 10", err, res)
	}
	o := s.Follow(t, res.RunID, res.Plan, time.Now(), time.Minute)
	s.Truthful(t, o)
}

// TestPostRetriedAfter502: the API stored the run, then could not hand it
// to the dispatcher (Invoke throttled past its retries) and answered 502.
// The client's retry with the same run id hands it over: the run is
// dispatched, once.
func TestPostRetriedAfter502(t *testing.T) {
	t.Parallel()
	// A lead long enough for a client's retries before the start.
	s := New(t, Options{Lead: 15 * time.Second})
	// The API tries 3 times, its client 3 times each: 9 throttles fail it.
	s.Cloud.Faults.InvokeThrottled = only(Scheduler, awslocal.FirstN(9))
	ctx := context.Background()
	spec := s.Spec(20, 2*time.Second, 2)
	start := time.Now()
	var res *events.SubmitResponse
	var err error
	for attempt := range 5 {
		if res, err = s.API.Submit(ctx, spec, "retried-1", ""); err == nil {
			break
		}
		var ae *orchestrator.APIError
		if !errors.As(err, &ae) || ae.Status != 502 {
			t.Fatalf("attempt %d: %v; want 502 or success", attempt, err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.New {
		t.Error("the retry says the run is new: the first attempt stored it")
	}
	o := s.Follow(t, res.RunID, res.Plan, start, time.Minute)
	s.Truthful(t, o)
	if c := Count(o.Report); c[events.StatusComplete] != 2 {
		t.Errorf("shards %v; want both complete%s", c, Reasons(o.Report))
	}
}

// TestDispatchTwice: EventBridge and Lambda may deliver a dispatch twice,
// at once. Both dispatchers run; the shards run once.
func TestDispatchTwice(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	ctx := context.Background()
	start := time.Now()
	res, err := s.API.Submit(ctx, s.Spec(20, 2*time.Second, 3), "twice-1", "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.AWS.Dispatcher.InvokeAsync(ctx, 1, events.DispatchPayload{Action: events.ActionDispatch, RunID: res.RunID}); err != nil {
			t.Fatal(err)
		}
	}
	o := s.Follow(t, res.RunID, res.Plan, start, time.Minute)
	s.Truthful(t, o)
	if c := Count(o.Report); c[events.StatusComplete] != 3 {
		t.Errorf("shards %v; want 3 complete%s", c, Reasons(o.Report))
	}
}

// TestAbortCancelsLaterWindows aborts a three-window run in its first
// window: the later windows' schedules are deleted and the windows refused,
// so the run is reported as soon as the first window's shards stop, not at
// its deadline minutes later; a late dispatch of the second window (a
// schedule that fired anyway) sends nothing.
func TestAbortCancelsLaterWindows(t *testing.T) {
	t.Parallel()
	// A 4-minute worker timeout cuts a 5-minute run into three windows of
	// 2 minutes at most; the second is dispatched 30 s after the start.
	s := New(t, Options{LambdaTimeout: 4 * time.Minute})
	ctx := context.Background()
	start := time.Now()
	res, err := s.API.Submit(ctx, s.Spec(4, 5*time.Minute, 2), "", events.KindLambda)
	if err != nil {
		t.Fatal(err)
	}
	second := launch.ScheduleName(res.RunID, "w1")
	waitFor(t, 30*time.Second, func() bool {
		st, err := s.API.Status(ctx, res.RunID)
		return err == nil && st.State == events.StateRunning && st.Shards.Claimed == 2
	})
	if w := windows(res.Plan); w != 3 {
		t.Fatalf("%d windows; want 3", w)
	}
	if !contains(s.Cloud.Schedules(), second) {
		t.Fatalf("no schedule %s for the second window: %v", second, s.Cloud.Schedules())
	}
	time.Sleep(time.Second)
	if err := s.API.Abort(ctx, res.RunID); err != nil {
		t.Fatal(err)
	}
	if contains(s.Cloud.Schedules(), second) {
		t.Errorf("the second window's schedule %s survived the abort", second)
	}
	// A dispatch of the second window that comes anyway is refused.
	sent := s.Lambda.Sent.Load()
	if _, failed, err := s.Cloud.Invoke(Scheduler, []byte(`{"action": "dispatch", "run_id": "`+res.RunID+`", "window": 1}`), false); err != nil || failed {
		t.Fatalf("late dispatch: %v, failed %v", err, failed)
	}
	if s.Lambda.Sent.Load() != sent {
		t.Error("a window of an aborted run was dispatched")
	}
	o := s.Follow(t, res.RunID, res.Plan, start, time.Minute)
	s.Truthful(t, o)
	c := Count(o.Report)
	if c[events.StatusTruncated] != 2 || c[events.StatusMissed] != 4 || o.Took > 45*time.Second {
		t.Errorf("shards %v after %v; want the first window's 2 truncated, the later windows' 4 missed as aborted, reported at once%s", c, o.Took, Reasons(o.Report))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
	}
}

func windows(p *events.Plan) int {
	n := 0
	for _, s := range p.Shards {
		n = max(n, s.Window+1)
	}
	return n
}

// TestSubmitChecks: the API stores who submitted a run (the caller's IAM
// identity, whatever the request says) and refuses, before anything is
// stored, a scenario whose secret it cannot read, naming the field.
func TestSubmitChecks(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	ctx := context.Background()
	spec := s.Spec(10, time.Second, 1)
	spec.SubmittedBy = "someone-else"
	res, err := s.API.Submit(ctx, spec, "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Store.Get(ctx, store.SpecKey(res.RunID))
	if err != nil || !strings.Contains(string(b), `"submitted_by":"arn:aws:iam::000000000000:user/AKIDSIM"`) {
		t.Errorf("spec.json %s, %v; want the caller's ARN in submitted_by", b, err)
	}
	bad := s.Spec(10, time.Second, 1)
	bad.Targets = nil
	bad.Scenarios = []events.Scenario{{Name: "login", Secrets: map[string]string{"pw": "env:BARRAGE_TEST_UNSET_SECRET"},
		Steps: []events.ScenarioStep{{Name: "token", URL: s.Target}}}}
	_, err = s.API.Submit(ctx, bad, "unreadable-1", "")
	var ae *orchestrator.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "scenarios[0].secrets.pw" {
		t.Errorf("a scenario with an unreadable secret: %v; want 400 naming scenarios[0].secrets.pw", err)
	}
	if ok, _ := s.Store.Exists(ctx, store.SpecKey("unreadable-1")); ok {
		t.Error("a refused run was stored")
	}
	// The accepted run goes on in the background (dispatch, workers, the
	// reducer) and writes to the store: follow it to its report, so that
	// nothing writes into the test's folder while it is removed.
	s.Follow(t, res.RunID, res.Plan, time.Now(), time.Minute)
}
