package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/integration/awslocal"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// Options shape a simulated deployment.
type Options struct {
	// WorkerConcurrency is how many worker Lambdas may run at once: the
	// account's (or the reserved) concurrency; default 64.
	WorkerConcurrency int
	// WorkerMaxEventAge drops worker events that waited longer (the
	// stack's 60 s by default).
	WorkerMaxEventAge time.Duration
	// Lead is the planner's lead before a run starts; default 2 s.
	Lead time.Duration
	// LambdaTimeout is the worker function's timeout (default the stack's
	// 15 minutes); the planner cuts Lambda windows from it.
	LambdaTimeout time.Duration
	// Log receives the functions' log lines; nil discards them.
	Log io.Writer
	// ReducerTask makes the reducer function hand every run to a reducer
	// task (as it does a run too large for it, plan.Reducer).
	ReducerTask bool
}

// Sim is one simulated deployment.
type Sim struct {
	Cloud   *awslocal.Cloud
	Store   *Store
	Lambda  *Queue
	Fargate *Queue
	// AWS is the orchestrator the API and scheduler functions share.
	AWS *orchestrator.AWS
	// API calls the REST API through a local API Gateway.
	API *orchestrator.APIClient
	// Target is the load's URL; Hits counts the requests it received.
	Target string
	Hits   atomic.Int64

	scheduleFailed atomic.Bool
}

// Function names, as the stack's environment names them.
const (
	Worker    = "worker"
	Scheduler = "scheduler"
	Reducer   = "reducer"
	API       = "api"
)

// ServeOptions bound a simulated worker's queue loop (the Lambda's and the
// task's): short idle limits, so tests end soon.
var ServeOptions = worker.ServeOptions{MaxShards: 1, IdleExit: 3 * time.Second, Wait: 500 * time.Millisecond, Visibility: 30 * time.Second}

// New starts a simulated deployment; everything stops when t ends.
func New(t testing.TB, o Options) *Sim {
	t.Helper()
	if o.WorkerConcurrency == 0 {
		o.WorkerConcurrency = 64
	}
	if o.WorkerMaxEventAge == 0 {
		o.WorkerMaxEventAge = 60 * time.Second
	}
	if o.Lead == 0 {
		o.Lead = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.LambdaTimeout == 0 {
		o.LambdaTimeout = plan.LambdaTimeout
	}
	s := &Sim{Store: &Store{Store: store.Dir{Root: t.TempDir()}}, Lambda: NewQueue(), Fargate: NewQueue()}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { s.Hits.Add(1) }))
	t.Cleanup(srv.Close)
	s.Target = srv.URL + "/token"
	cloud, err := awslocal.New(o.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	s.Cloud = cloud
	creds := credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", "")
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(cloud.URL), Credentials: creds})
	arn := func(name string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + name }
	noProc := &health.Proc{Root: t.TempDir()} // an empty procfs: health samples cost nothing
	eng := func(c *engine.Config) { c.LateLimit = time.Second; c.Proc = noProc }
	s.AWS = &orchestrator.AWS{Store: s.Store, LambdaQueue: s.Lambda, FargateQueue: s.Fargate,
		Workers:    &launch.Lambda{Client: lc, Function: Worker},
		Dispatcher: &launch.Lambda{Client: lc, Function: arn(Scheduler), Parallel: 1, Attempts: 3},
		Reducer:    &launch.Lambda{Client: lc, Function: arn(Reducer), Parallel: 1},
		Tasks: &launch.Tasks{Client: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(cloud.URL), Credentials: creds}),
			Cluster: "local", TaskDefinition: "worker:1", Container: "worker", Subnets: []string{"subnet-1"}, SecurityGroup: "sg-1",
			Interval: time.Millisecond, Backoff: 100 * time.Millisecond},
		Schedules: &launch.Schedules{Client: scheduler.New(scheduler.Options{Region: "us-east-1", BaseEndpoint: aws.String(cloud.URL), Credentials: creds}),
			Group: "barrage", RoleArn: "arn:aws:iam::000000000000:role/scheduler"},
		ReducerArn: arn(Reducer), DispatcherArn: arn(Scheduler),
		// The targets are on this machine: loopback is allowed here, as
		// BARRAGE_ALLOW_LOOPBACK does for the end-to-end tests.
		Limits:   orchestrator.Limits{AllowedTargets: []string{"127.0.0.1"}, AllowLoopback: true, MaxRate: 100_000, MaxDuration: time.Hour},
		LeadTime: o.Lead, ClaimPoll: 250 * time.Millisecond, ReduceGrace: 5 * time.Second, LambdaTimeout: o.LambdaTimeout}
	sq := servicequotas.New(servicequotas.Options{Region: "us-east-1", BaseEndpoint: aws.String(cloud.URL), Credentials: creds})
	s.AWS.Quotas = func(ctx context.Context) (plan.Quotas, error) { return launch.ReadQuotas(ctx, lc, sq, Worker, false) }
	cloud.TaskHandler = func(ctx context.Context, env map[string]string) {
		if run := env[stack.EnvReduceRun]; run != "" { // tasks/worker's reduce mode
			if _, err := reduce.Reduce(ctx, s.Store, run); err != nil {
				fmt.Fprintf(o.Log, "reducer task: run %s: %v\n", run, err)
			}
			return
		}
		rt := &worker.Runtime{Store: s.Store, Kind: events.KindFargate, Engine: eng, Guard: s.AWS.Limits.Guard()}
		o := ServeOptions
		o.MaxShards = 0
		rt.Serve(ctx, s.Fargate, o)
	}
	w := &lambdas.Worker{Store: s.Store, Queue: s.Lambda, Serve: ServeOptions, Engine: eng, Guard: s.AWS.Limits.Guard()}
	sch := &lambdas.Scheduler{AWS: s.AWS}
	red := &lambdas.Reducer{Store: s.Store, Tasks: lambdas.ReducerTasks(s.AWS.Tasks)}
	if o.ReducerTask {
		red.Choose = func(*events.Plan, *events.RunSpec) plan.ReducerChoice {
			return plan.ReducerChoice{Kind: plan.ReducerFargate, Reason: "reducer: a Fargate task (the simulation's choice)"}
		}
	}
	api := &lambdas.API{AWS: s.AWS}
	for _, f := range []awslocal.Function{
		{Name: Worker, Handler: handler(w.Handle), Timeout: o.LambdaTimeout, Concurrency: o.WorkerConcurrency,
			MaxEventAge: o.WorkerMaxEventAge},
		{Name: Scheduler, Handler: handler(sch.Handle), Timeout: 15 * time.Minute, Concurrency: 4, Retries: 2,
			RetryDelay: 500 * time.Millisecond, MaxEventAge: 10 * time.Minute},
		{Name: Reducer, Handler: handler(red.Handle), Timeout: 5 * time.Minute, Concurrency: 2},
		{Name: API, Handler: handler(api.Handle), Timeout: 30 * time.Second, Concurrency: 4},
	} {
		if err := cloud.Start(f); err != nil {
			t.Fatal(err)
		}
	}
	gw, err := cloud.NewGateway(API)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	s.API = &orchestrator.APIClient{URL: gw.URL, Region: "us-east-1", Credentials: creds}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go cloud.WatchResults(func() ([]string, error) { return s.Store.Store.List(context.Background(), "runs/") }, Reducer, 200*time.Millisecond, stop)
	return s
}

// handler adapts a typed handler to the Cloud's bytes in, bytes out, as
// aws-lambda-go does.
func handler[In, Out any](h func(context.Context, In) (Out, error)) func(context.Context, []byte) ([]byte, error) {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var in In
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// Spec is a run of rate/s for d over workers shards against the target.
func (s *Sim) Spec(rate float64, d time.Duration, workers int) events.RunSpec {
	return events.RunSpec{Targets: []events.Target{{URL: s.Target}}, Load: events.Load{Shape: events.ShapeConstant, Rate: rate},
		Duration: events.Duration(d), Workers: workers, Timeout: events.Duration(2 * time.Second)}
}

// Outcome is how a run ended.
type Outcome struct {
	RunID  string
	Plan   *events.Plan
	Report *events.Report
	// Took is from the submit to the final status.
	Took time.Duration
}

// Run submits spec (kind "", lambda or fargate) through the API and follows
// it until it has its report, or limit passes (then it fails t).
func (s *Sim) Run(t testing.TB, spec events.RunSpec, kind string, limit time.Duration) *Outcome {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	res, err := s.API.Submit(ctx, spec, "", kind)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return s.Follow(t, res.RunID, res.Plan, start, limit)
}

// Follow polls run id's status until it is final, or fails t after limit.
func (s *Sim) Follow(t testing.TB, id string, p *events.Plan, start time.Time, limit time.Duration) *Outcome {
	t.Helper()
	ctx := context.Background()
	var last *orchestrator.Status
	for deadline := start.Add(limit); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		st, err := s.API.Status(ctx, id)
		if err != nil {
			continue
		}
		last = st
		if orchestrator.IsFinal(st.State) {
			rep, err := s.API.Report(ctx, id)
			if err != nil {
				t.Fatalf("report of %s: %v", id, err)
			}
			return &Outcome{RunID: id, Plan: p, Report: rep, Took: time.Since(start)}
		}
	}
	t.Fatalf("run %s has no final status after %v (last: %+v)", id, limit, last)
	return nil
}

// Truthful checks that a report tells what happened: every shard complete,
// or truncated, lost or missed with a reason; and the target received
// exactly what the results say was sent (no shard's traffic twice).
func (s *Sim) Truthful(t testing.TB, o *Outcome) {
	t.Helper()
	var sent int64
	var lost float64 // the most a lost shard, which ran and never reported, may have sent
	for i, sh := range o.Report.Shards {
		if sh.Status != events.StatusComplete && sh.Reason == "" {
			t.Errorf("shard %s is %s without a reason", sh.ShardID, sh.Status)
		}
		sent += sh.Requests
		if sh.Status == events.StatusLost && i < len(o.Plan.Shards) {
			p := o.Plan.Shards[i]
			lost += p.Rate*(p.WindowTo.D()-p.WindowFrom.D()).Seconds() + 1
		}
	}
	if len(o.Report.Shards) != len(o.Plan.Shards) {
		t.Errorf("the report lists %d shards; the plan has %d", len(o.Report.Shards), len(o.Plan.Shards))
	}
	// The target counts a request as its handler starts, before it
	// answers: every success has been counted. A request that failed on the
	// client's side (cut off at a shard's deadline, a reset) may or may not
	// have reached it. Requests in flight at the report may still land:
	// wait a moment before the upper bound.
	time.Sleep(100 * time.Millisecond)
	if hits := s.Hits.Load(); hits < o.Report.Success || float64(hits) > float64(sent)+lost {
		t.Errorf("the target received %d requests; the shards' results say %d were sent, %d of them successful (and lost shards at most %.0f more)",
			hits, sent, o.Report.Success, lost)
	}
}

// Count returns how many shards of r have each status.
func Count(r *events.Report) map[string]int {
	out := map[string]int{}
	for _, s := range r.Shards {
		out[s.Status]++
	}
	return out
}

// Reasons lists the distinct reasons of r's shards, with how many shards
// give each.
func Reasons(r *events.Report) string {
	n := map[string]int{}
	var order []string
	for _, s := range r.Shards {
		if s.Reason == "" {
			continue
		}
		if n[s.Reason] == 0 {
			order = append(order, s.Reason)
		}
		n[s.Reason]++
	}
	var b strings.Builder
	for _, r := range order {
		fmt.Fprintf(&b, "\n  %d× %s", n[r], r)
	}
	return b.String()
}
