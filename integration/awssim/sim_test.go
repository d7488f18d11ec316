package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/integration/awslocal"
	"github.com/barrage-load/barrage/pkg/store"
)

// fault is one way AWS misbehaves, and what the run must then report.
type fault struct {
	name string
	// what AWS does, in words, for the log and the closing table.
	does string
	kind string // the workers' kind: lambda (default) or fargate
	opt  Options
	// arm sets the fault on a fresh deployment.
	arm func(s *Sim)
	// want is how many shards of the three end with each status.
	want map[string]int
	// reason, if set, must be in every shard's reason that is not complete.
	reason string
	// check, if set, looks further.
	check func(t *testing.T, s *Sim, o *Outcome)
}

// TestFaults runs a three-shard run through a deployment where AWS
// misbehaves one way, for each way: every run ends with a truthful report
// (every shard complete, or lost or missed with a reason; the target saw
// exactly what the results say was sent: no shard ran twice) within the
// limit, and no run is left in a state that is not final.
func TestFaults(t *testing.T) {
	all := func() bool { return true }
	for _, f := range []fault{
		{name: "sqs duplicates", does: "every shard message delivered twice at once",
			arm:  func(s *Sim) { s.Lambda.Duplicate = all },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "sqs redelivery after visibility", does: "every acknowledgement lost: each message received again a second later",
			arm:  func(s *Sim) { s.Lambda.LoseAck = all },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "sqs delay", does: "every message delayed 1 s (inside the window's tolerance)",
			arm:  func(s *Sim) { s.Lambda.Delay = func() time.Duration { return time.Second } },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "leftover messages", does: "5 shard messages of an earlier run, past their window, ahead in the queue",
			arm:  func(s *Sim) { leftovers(s, 5) },
			want: map[string]int{events.StatusComplete: 3},
			check: func(t *testing.T, s *Sim, o *Outcome) {
				if keys, _ := s.Store.List(context.Background(), store.RunPrefix("earlier")); len(keys) != 5 {
					t.Errorf("the earlier run's shards: %v; want 5 missed markers", keys)
				}
			}},
		{name: "sqs batch failure", does: "2 entries of the first send fail: the dispatch fails, Lambda retries it",
			arm:  func(s *Sim) { s.Lambda.FailSend = awslocal.FirstN(2) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "invoke throttled", does: "the first 6 Invoke calls answered TooManyRequestsException",
			arm:  func(s *Sim) { s.Cloud.Faults.InvokeThrottled = only(Worker, awslocal.FirstN(6)) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "invoke dropped", does: "one accepted async invocation never runs",
			arm:  func(s *Sim) { s.Cloud.Faults.InvokeDropped = only(Worker, awslocal.FirstN(1)) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "every invoke dropped", does: "every accepted async invocation of the worker is dropped",
			arm:    func(s *Sim) { s.Cloud.Faults.InvokeDropped = only(Worker, all) },
			want:   map[string]int{events.StatusMissed: 3},
			reason: "no worker took it before its not_after"},
		{name: "concurrency quota", does: "the worker may run 1 at a time; queued events expire after 1 s",
			opt:    Options{WorkerConcurrency: 1, WorkerMaxEventAge: time.Second},
			want:   map[string]int{events.StatusComplete: 1, events.StatusMissed: 2},
			reason: "throttled"},
		{name: "runtask throttled", does: "the first 3 RunTask calls answered ThrottlingException", kind: events.KindFargate,
			arm:  func(s *Sim) { s.Cloud.Faults.RunTaskThrottled = awslocal.FirstN(3) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "runtask failures", does: "RunTask lists one task in failures[] (RESOURCE:FARGATE)", kind: events.KindFargate,
			arm:  func(s *Sim) { s.Cloud.Faults.TaskFails = awslocal.FirstN(1) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "task stops before running", does: "one task stops before running (CannotPullContainerError)", kind: events.KindFargate,
			arm: func(s *Sim) {
				first := awslocal.FirstN(1)
				s.Cloud.Faults.TaskStopsBeforeRunning = func() string {
					if first() {
						return "CannotPullContainerError: pull access denied"
					}
					return ""
				}
			},
			want: map[string]int{events.StatusComplete: 3},
			check: func(t *testing.T, s *Sim, o *Outcome) {
				var d events.Dispatch
				b, _ := s.Store.Get(context.Background(), store.DispatchKey(o.RunID, 0))
				json.Unmarshal(b, &d)
				if len(d.Stopped) != 1 || len(d.Tasks) != 4 {
					t.Errorf("dispatch record: %d tasks, stopped %v; want the stopped one noted and started again", len(d.Tasks), d.Stopped)
				}
			}},
		{name: "result upload fails", does: "S3 fails every write of one shard's result (beyond the client's retries)",
			arm: func(s *Sim) {
				s.Store.Fail = func(op, key string) error {
					if op == "put" && strings.HasSuffix(key, "/s0001/result.json") {
						return errors.New("s3 put: 503 SlowDown")
					}
					return nil
				}
			},
			want:   map[string]int{events.StatusComplete: 2, events.StatusLost: 1},
			reason: "never reported a result"},
		{name: "spec unreadable once", does: "S3 fails the first read of the spec (beyond the client's retries)",
			arm: func(s *Sim) {
				first := awslocal.FirstN(1)
				s.Store.Fail = func(op, key string) error {
					if op == "get" && strings.HasSuffix(key, "/spec.json") && first() {
						return errors.New("s3 get: 503 SlowDown")
					}
					return nil
				}
			},
			want: map[string]int{events.StatusComplete: 3}},
		{name: "dispatch fails at schedule", does: "CreateSchedule fails once: Lambda retries the dispatch",
			arm:  func(s *Sim) { s.Cloud.Faults.CreateScheduleFails = func(string) bool { return firstSchedule(s) } },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "dispatch fails at invoke", does: "Invoke throttled past the client's retries: Lambda retries the dispatch, which invokes only the missing workers",
			arm:  func(s *Sim) { s.Cloud.Faults.InvokeThrottled = only(Worker, awslocal.FirstN(40)) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "dispatch fails at run tasks", does: "RunTask throttled past the client's rounds: Lambda retries the dispatch", kind: events.KindFargate,
			arm:  func(s *Sim) { s.Cloud.Faults.RunTaskThrottled = awslocal.FirstN(20) },
			want: map[string]int{events.StatusComplete: 3}},
		{name: "dispatch fails for good", does: "CreateSchedule always fails: nothing is dispatched, the deadline schedule never exists",
			arm:    func(s *Sim) { s.Cloud.Faults.CreateScheduleFails = func(string) bool { return true } },
			want:   map[string]int{events.StatusLost: 3},
			reason: "never sent"},
	} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, f.opt)
			if f.arm != nil {
				f.arm(s)
			}
			o := s.Run(t, s.Spec(20, 2*time.Second, 3), f.kind, 2*time.Minute)
			s.Truthful(t, o)
			got := Count(o.Report)
			for status, n := range f.want {
				if got[status] != n {
					t.Errorf("shards %v; want %v%s", got, f.want, Reasons(o.Report))
					break
				}
			}
			for _, sh := range o.Report.Shards {
				if f.reason != "" && sh.Status != events.StatusComplete && !strings.Contains(sh.Reason, f.reason) {
					t.Errorf("shard %s (%s): %q; want it to say %q", sh.ShardID, sh.Status, sh.Reason, f.reason)
				}
			}
			if f.check != nil {
				f.check(t, s, o)
			}
			t.Logf("| %s | %s | %v%s | %.1f s |", f.name, f.does, got, Reasons(o.Report), o.Took.Seconds())
		})
	}
}

// only makes a fault fire for function fn only.
func only(fn string, f func() bool) func(string) bool {
	return func(name string) bool { return name == fn && f() }
}

// firstSchedule fails the first CreateSchedule of a deployment.
func firstSchedule(s *Sim) bool {
	return s.scheduleFailed.CompareAndSwap(false, true)
}

// leftovers puts n shard messages of an earlier run, past their window,
// in the Lambda queue.
func leftovers(s *Sim, n int) {
	var bodies [][]byte
	for i := range n {
		m := events.ShardMessage{Version: events.ShardMessageVersion, RunID: "earlier", StartAt: time.Now().Add(-time.Hour),
			SpecKey: store.SpecKey("earlier"), ShardWindow: events.ShardWindow{ShardID: "s000" + string(rune('0'+i)),
				Kind: events.KindLambda, Count: n, Index: i, NotAfter: time.Now().Add(-59 * time.Minute)}}
		b, _ := json.Marshal(m)
		bodies = append(bodies, b)
	}
	s.Lambda.Queue.Send(context.Background(), bodies)
}
