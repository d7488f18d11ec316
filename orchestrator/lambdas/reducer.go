package lambdas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
)

// Reducer is the reducer Lambda. An S3 event for a shard's result.json
// reduces its run once every planned shard has reported (or was missed);
// the deadline schedule's payload reduces the run whatever has arrived.
// A run too large for the function (plan.Reducer) is handed to a Fargate
// task that runs the same reducer (tasks/worker with stack.EnvReduceRun),
// started once: the task's record (store.ReducerTaskKey) is written with a
// conditional create, and only a record older than ReducerTaskRetry, with
// no report since, starts another.
type Reducer struct {
	Store store.Store
	// Tasks starts the reducer's task; nil: the function reduces every run.
	Tasks TaskRunner
	// Choose says where a run is reduced (plan.Reducer when nil).
	Choose func(p *events.Plan, spec *events.RunSpec) plan.ReducerChoice
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// TaskRunner starts Fargate tasks: *launch.Tasks.
type TaskRunner interface {
	Run(ctx context.Context, n int, env map[string]string) ([]string, error)
}

// ReducerTaskRetry is how long after starting a reducer task without a
// report since the function starts another: a task that has not reported
// by then failed to start or died.
const ReducerTaskRetry = 30 * time.Minute

// reducerTask is the record of a started reducer task.
type reducerTask struct {
	StartedAt time.Time `json:"started_at"`
	Tasks     []string  `json:"tasks"`
	Reason    string    `json:"reason"`
}

// reduce reduces run here, or hands it to a task when the plan says so;
// it reports whether it handed it over.
func (r *Reducer) reduce(ctx context.Context, run string) (handed bool, err error) {
	if r.Tasks != nil {
		var p events.Plan
		var spec events.RunSpec
		if err := store.GetJSON(ctx, r.Store, store.PlanKey(run), &p); err != nil {
			return false, err
		}
		if err := store.GetJSON(ctx, r.Store, store.SpecKey(run), &spec); err != nil {
			return false, err
		}
		choose := r.Choose
		if choose == nil {
			choose = plan.Reducer
		}
		if c := choose(&p, &spec); c.Kind == plan.ReducerFargate {
			return true, r.handToTask(ctx, run, c)
		}
	}
	_, err = reduce.Reduce(ctx, r.Store, run)
	return false, err
}

// handToTask starts the task that reduces run, unless one was started
// less than ReducerTaskRetry ago or the report is there.
func (r *Reducer) handToTask(ctx context.Context, run string, c plan.ReducerChoice) error {
	if ok, err := r.Store.Exists(ctx, store.ReportKey(run)); err != nil || ok {
		return err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	rec := reducerTask{StartedAt: now().UTC(), Reason: c.Reason}
	body, _ := json.Marshal(rec)
	err := r.Store.Put(ctx, store.ReducerTaskKey(run), body, store.PutOptions{IfAbsent: true, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		var old reducerTask
		if gerr := store.GetJSON(ctx, r.Store, store.ReducerTaskKey(run), &old); gerr != nil || now().Sub(old.StartedAt) < ReducerTaskRetry {
			return gerr // started, and not yet overdue
		}
		err = r.Store.Put(ctx, store.ReducerTaskKey(run), body, store.PutOptions{ContentType: "application/json"})
	}
	if err != nil {
		return fmt.Errorf("record the reducer task of run %s: %w", run, err)
	}
	arns, err := r.Tasks.Run(ctx, 1, map[string]string{stack.EnvReduceRun: run})
	if err != nil {
		return fmt.Errorf("start the reducer task of run %s: %w", run, err)
	}
	rec.Tasks = arns
	body, _ = json.Marshal(rec)
	r.Store.Put(ctx, store.ReducerTaskKey(run), body, store.PutOptions{ContentType: "application/json"}) // the ARNs, for whoever looks
	return nil
}

// Handle implements the function; it returns the runs it reported.
func (r *Reducer) Handle(ctx context.Context, payload json.RawMessage) ([]string, error) {
	var s3e lambdaevents.S3Event
	if json.Unmarshal(payload, &s3e) == nil && len(s3e.Records) > 0 && s3e.Records[0].S3.Object.Key != "" {
		runs := map[string]bool{}
		for _, rec := range s3e.Records {
			key, err := url.QueryUnescape(rec.S3.Object.Key) // S3 events URL-encode keys
			if err != nil {
				continue
			}
			if run := runOfResult(key); run != "" {
				runs[run] = true
			}
		}
		var done []string
		for run := range runs {
			ok, err := r.reduceIfComplete(ctx, run)
			if err != nil {
				return done, err
			}
			if ok {
				done = append(done, run)
			}
		}
		return done, nil
	}
	var p events.ReducePayload
	if err := json.Unmarshal(payload, &p); err != nil || p.RunID == "" {
		return nil, fmt.Errorf("reducer: unknown event")
	}
	if _, err := r.reduce(ctx, p.RunID); err != nil {
		return nil, err
	}
	return []string{p.RunID}, nil
}

// runOfResult returns the run of a key runs/{run}/shards/{shard}/result.json.
func runOfResult(key string) string {
	rest, ok := strings.CutPrefix(key, "runs/")
	run, _, _ := strings.Cut(rest, "/")
	if !ok || run == "" {
		return ""
	}
	if _, name, ok := store.ShardOf(run, key); !ok || name != "result.json" {
		return ""
	}
	return run
}

// reduceIfComplete reduces run when every planned shard has a result or
// was missed.
func (r *Reducer) reduceIfComplete(ctx context.Context, run string) (bool, error) {
	var p events.Plan
	b, err := r.Store.Get(ctx, store.PlanKey(run))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return false, err
	}
	state, err := reduce.Scan(ctx, r.Store, run)
	if err != nil {
		return false, err
	}
	for _, s := range p.Shards {
		if ss := state[s.ShardID]; !ss.Result && !ss.Missed {
			return false, nil
		}
	}
	_, err = r.reduce(ctx, run)
	return err == nil, err
}

// ReducerTasks is the reducer's TaskRunner from the stack's tasks (nil:
// none): the worker's task definition, on demand rather than Spot (an
// interrupted reduce starts over), sized stack.ReducerTaskCPU and
// stack.ReducerTaskMemoryMiB.
func ReducerTasks(t *launch.Tasks) TaskRunner {
	if t == nil {
		return nil
	}
	rt := *t
	rt.Spot = false
	rt.CPU, rt.Memory = strconv.Itoa(stack.ReducerTaskCPU), strconv.Itoa(stack.ReducerTaskMemoryMiB)
	return &rt
}
