package lambdas

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
)

// fakeTasks records the tasks it is asked to start.
type fakeTasks struct {
	mu   sync.Mutex
	envs []map[string]string
}

func (f *fakeTasks) Run(_ context.Context, n int, env map[string]string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envs = append(f.envs, env)
	return []string{fmt.Sprintf("arn:task/%d", len(f.envs))}, nil
}

// storedPlan stores spec and a plan of n one-window shards of d on the aws
// backend as run r.
func storedPlan(t *testing.T, n int, d time.Duration) store.Store {
	st := store.Dir{Root: t.TempDir()}
	spec := events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}, Duration: events.Duration(d)}
	start := time.Unix(1_800_000_000, 0).UTC()
	p := events.Plan{RunID: "r", Backend: plan.BackendAWS, StartAt: start, Deadline: start.Add(d + time.Minute)}
	for k := range n {
		p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: fmt.Sprintf("s%05d", k),
			Kind: events.KindFargate, Index: k, Count: n, WindowTo: events.Duration(d)}})
	}
	for k, v := range map[string]any{store.SpecKey("r"): spec, store.PlanKey("r"): p} {
		b, _ := json.Marshal(v)
		st.Put(context.Background(), k, b, store.PutOptions{})
	}
	return st
}

// TestReducerHandsLargeRunToTask: the deadline payload of a run too large
// for the function (1,000 shards × 1 h: plan.Reducer) starts one reducer
// task with the run in its environment, and writes no report; the same
// payload again, or a result's event, starts no second task until
// ReducerTaskRetry has passed without a report. A small run is reduced by
// the function itself.
func TestReducerHandsLargeRunToTask(t *testing.T) {
	ctx := context.Background()
	st := storedPlan(t, 1000, time.Hour)
	tasks := &fakeTasks{}
	now := time.Unix(1_800_004_000, 0)
	r := &Reducer{Store: st, Tasks: tasks, Now: func() time.Time { return now }}
	payload, _ := json.Marshal(events.ReducePayload{RunID: "r"})
	for range 2 {
		if _, err := r.Handle(ctx, payload); err != nil {
			t.Fatal(err)
		}
	}
	if len(tasks.envs) != 1 || tasks.envs[0][stack.EnvReduceRun] != "r" {
		t.Fatalf("tasks started: %v; want one, reducing run r", tasks.envs)
	}
	if ok, _ := st.Exists(ctx, store.ReportKey("r")); ok {
		t.Error("the function reduced the run itself")
	}
	var rec reducerTask
	if err := store.GetJSON(ctx, st, store.ReducerTaskKey("r"), &rec); err != nil || len(rec.Tasks) != 1 || rec.Reason == "" {
		t.Errorf("task record %+v, %v", rec, err)
	}
	now = now.Add(ReducerTaskRetry + time.Second)
	if _, err := r.Handle(ctx, payload); err != nil || len(tasks.envs) != 2 {
		t.Errorf("past the retry time: %v, %d tasks; want a second", err, len(tasks.envs))
	}

	small := storedPlan(t, 2, time.Minute)
	r = &Reducer{Store: small, Tasks: tasks}
	if _, err := r.Handle(ctx, payload); err != nil {
		t.Fatal(err)
	}
	if ok, _ := small.Exists(ctx, store.ReportKey("r")); !ok || len(tasks.envs) != 2 {
		t.Errorf("a small run: report %v, %d tasks; want the report and no task", ok, len(tasks.envs))
	}
}

// TestReducerTasks: the reducer's tasks are the stack's, on demand, sized
// for the reducer; no tasks, no runner.
func TestReducerTasks(t *testing.T) {
	if ReducerTasks(nil) != nil {
		t.Error("a runner without tasks")
	}
	rt := ReducerTasks(&launch.Tasks{Cluster: "c", Spot: true}).(*launch.Tasks)
	if rt.Spot || rt.Cluster != "c" || rt.CPU != "2048" || rt.Memory != "8192" {
		t.Errorf("reducer tasks %+v", rt)
	}
}
