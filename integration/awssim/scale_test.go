package awssim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/integration/awslocal"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestThousandShards runs 1,000 Lambda shards through a deployment whose
// account says 1,000 concurrent executions are free while only 500 are
// (another workload holds the rest), where SQS delivers 1 % of the
// messages twice and Lambda drops 1 % of the accepted invocations. About
// 500 shards run; the rest wait for an execution environment past their
// not_after. Every shard is accounted for: complete, or missed with the
// reason; none is lost, none runs twice.
func TestThousandShards(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 shards for 35 s: not with -short")
	}
	t.Parallel()
	s := New(t, Options{WorkerConcurrency: 500, Lead: 5 * time.Second})
	s.Lambda.Duplicate = awslocal.EveryNth(100)
	s.Cloud.Faults.InvokeDropped = only(Worker, awslocal.EveryNth(100))
	o := s.Run(t, s.Spec(1000, 35*time.Second, 1000), events.KindLambda, 3*time.Minute)
	s.Truthful(t, o)
	c := Count(o.Report)
	st := s.Cloud.Stats(Worker)
	t.Logf("1,000 shards, concurrency 500: %v in %.1f s; %d requests, coverage %.3f", c, o.Took.Seconds(), o.Report.Requests, o.Report.Coverage)
	t.Logf("SQS: %d sent, %d delivered twice; Lambda: %d invocations accepted, %d dropped, %d expired, %d ran%s",
		s.Lambda.Sent.Load(), s.Lambda.Duplicated.Load(), st.Accepted, st.Dropped, st.Expired, st.Ran, Reasons(o.Report))
	if c[events.StatusComplete]+c[events.StatusTruncated]+c[events.StatusMissed] != 1000 || c[events.StatusLost] != 0 {
		t.Errorf("shards %v; want each of the 1,000 complete, truncated or missed, none lost", c)
	}
	if c[events.StatusComplete]+c[events.StatusTruncated] > 500 || c[events.StatusMissed] < 400 {
		t.Errorf("shards %v; at most 500 can run at once, the rest must be missed", c)
	}
	if s.Lambda.Duplicated.Load() == 0 || st.Dropped == 0 {
		t.Errorf("%d duplicated, %d dropped: the faults did not fire", s.Lambda.Duplicated.Load(), st.Dropped)
	}
	for _, sh := range o.Report.Shards {
		if sh.Status == events.StatusMissed && !strings.Contains(sh.Reason, "not_after") {
			t.Errorf("missed shard %s: %q; want why", sh.ShardID, sh.Reason)
			break
		}
	}
}

// TestReducerTask runs a deployment whose reducer function hands the run
// to a reducer task, as it does one too large for it (plan.Reducer): the
// task, started through ECS's RunTask with the run in its environment,
// writes the report, and the function records the task it started.
func TestReducerTask(t *testing.T) {
	t.Parallel()
	s := New(t, Options{ReducerTask: true})
	o := s.Run(t, s.Spec(50, 2*time.Second, 2), events.KindLambda, time.Minute)
	s.Truthful(t, o)
	b, err := s.Store.Get(context.Background(), store.ReducerTaskKey(o.RunID))
	if err != nil || !strings.Contains(string(b), `"tasks":["arn:aws:ecs:`) {
		t.Errorf("reducer task record %s, %v; want the started task", b, err)
	}
	if o.Report.Requests == 0 || o.Report.Coverage != 1 {
		t.Errorf("report: %d requests, coverage %v", o.Report.Requests, o.Report.Coverage)
	}
}
