//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/integration/awslocal"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/store/s3store"
)

// deployment is the whole stack on this host: MinIO, fauxqs, the function
// binaries under a local Lambda runtime, tasks as processes, the gateway.
type deployment struct {
	m     *MinIO
	cloud *awslocal.Cloud
	gw    *awslocal.Gateway
	bin   string // the barrage command
	env   []string
	st    *s3store.Store
	hits  *atomic.Int64
	url   string // the load target
}

func buildAll(t *testing.T) (dir string) {
	dir = t.TempDir()
	for _, b := range []struct{ out, pkg string }{
		{"worker/bootstrap", "functions/worker"}, {"reducer/bootstrap", "functions/reducer"},
		{"api/bootstrap", "functions/api"}, {"scheduler/bootstrap", "functions/scheduler"},
		{"task", "tasks/worker"}, {"barrage", "orchestrator/cmd/barrage"},
	} {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, b.out), "./"+b.pkg)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return dir
}

func deploy(t *testing.T) *deployment {
	d := &deployment{m: StartMinIO(t), hits: new(atomic.Int64)}
	f := StartFauxqs(t)
	lq, fq := f.CreateQueue(t, "lambda-shards"), f.CreateQueue(t, "fargate-shards")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { d.hits.Add(1) }))
	t.Cleanup(srv.Close)
	d.url = srv.URL + "/token"
	bin := buildAll(t)
	d.bin = filepath.Join(bin, "barrage")
	var err error
	if d.cloud, err = awslocal.New(io.Discard); err != nil {
		t.Fatal(err)
	}
	d.cloud.RIE = RIE(t) // the functions' bootstraps run under AWS's own runtime emulator
	t.Cleanup(d.cloud.Close)
	arn := func(name string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + name }
	d.env = append(Env(d.m.Endpoint, f.Endpoint),
		stack.EnvBucket+"="+d.m.Bucket, stack.EnvLambdaQueueURL+"="+lq, stack.EnvFargateQueueURL+"="+fq,
		stack.EnvWorkerFunction+"=worker", stack.EnvDispatcher+"="+arn("scheduler"), stack.EnvReducerArn+"="+arn("reducer"),
		stack.EnvScheduleGroup+"=barrage", stack.EnvSchedulerRole+"=arn:aws:iam::000000000000:role/scheduler",
		stack.EnvCluster+"=local", stack.EnvTaskDefinition+"=worker:1", stack.EnvTaskContainer+"=worker",
		stack.EnvSubnets+"=subnet-1,subnet-2", stack.EnvSecurityGroup+"=sg-1",
		stack.EnvAllowedTargets+"=127.0.0.1", stack.EnvAllowLoopback+"=true", stack.EnvMaxRate+"=5000", stack.EnvMaxDuration+"=10m",
		stack.EnvWorkerMemoryMB+"=1769", stack.EnvLeadTime+"=4s", stack.EnvTaskVCPU+"=1",
		stack.EnvLambdaEndpoint+"="+d.cloud.URL, stack.EnvECSEndpoint+"="+d.cloud.URL, stack.EnvSchedulerEndpoint+"="+d.cloud.URL, stack.EnvQuotasEndpoint+"="+d.cloud.URL)
	d.cloud.TaskBin, d.cloud.TaskEnv = filepath.Join(bin, "task"), d.env
	for _, fn := range []awslocal.Function{
		{Name: "worker", Concurrency: 4, Timeout: 15 * time.Minute},
		{Name: "reducer", Concurrency: 1, Timeout: 5 * time.Minute},
		{Name: "api", Concurrency: 2, Timeout: 30 * time.Second},
		{Name: "scheduler", Concurrency: 2, Timeout: 15 * time.Minute, Retries: 2},
	} {
		fn.Bin, fn.Env = filepath.Join(bin, fn.Name, "bootstrap"), d.env
		if err := d.cloud.Start(fn); err != nil {
			t.Fatal(err)
		}
	}
	if d.gw, err = d.cloud.NewGateway("api"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.gw.Close)
	d.st = s3store.New(d.m.Client, d.m.Bucket, "")
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go d.cloud.WatchResults(func() ([]string, error) { return d.st.List(context.Background(), "runs/") }, "reducer", 300*time.Millisecond, stop)
	return d
}

// cli runs the barrage command against the deployment.
func (d *deployment) cli(t *testing.T, limit time.Duration, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(d.env, "BARRAGE_API_URL="+d.gw.URL)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestAWSEndToEnd drives the deployables as a user would: runs on Lambda
// and on Fargate through the API (barrage run --backend aws), bad requests,
// idempotency, abort, and a stored spec on a schedule delivered twice. The
// subtests share one deployment and run in order.
func TestAWSEndToEnd(t *testing.T) {
	d := deploy(t)
	t.Run("lambda", d.testLambda)
	t.Run("fargate", d.testFargate)
	t.Run("scenario on lambda", d.testScenario)
	t.Run("threshold abort", d.testThresholdAbort)
	t.Run("bad requests", d.testBadRequests)
	t.Run("idempotent", d.testIdempotent)
	t.Run("abort", d.testAbort)
	t.Run("spot interruption", d.testSpotInterruption)
	t.Run("stored spec on a schedule", d.testSchedule)
}

// testLambda: barrage run --backend aws runs 2 Lambda shards to a report
// of every arrival.
func (d *deployment) testLambda(t *testing.T) {
	r, _ := d.runReport(t, "run", "--backend", "aws", "--target", d.url, "--rate", "40",
		"--duration", "3s", "--workers", "2", "--json", "--quiet")
	if r.Requests+r.Dropped != 120 || r.Coverage != 1 || len(r.Shards) != 2 || r.Shards[0].Kind != events.KindLambda {
		t.Errorf("report: %d requests + %d dropped, coverage %v, shards %+v", r.Requests, r.Dropped, r.Coverage, r.Shards)
	}
}

// testFargate: --kind fargate runs the shards as tasks.
func (d *deployment) testFargate(t *testing.T) {
	r, _ := d.runReport(t, "run", "--backend", "aws", "--kind", "fargate", "--target", d.url,
		"--rate", "30", "--duration", "2s", "--workers", "2", "--json", "--quiet")
	if r.Requests+r.Dropped != 60 || len(r.Shards) != 2 || r.Shards[0].Kind != events.KindFargate {
		t.Errorf("report: %d requests + %d dropped, shards %+v", r.Requests, r.Dropped, r.Shards)
	}
}

// testScenario: a scenario through the whole pipeline: the API validates
// it (the deep check is linked in), the Lambda workers resolve its secret
// (a file: reference) and run its steps, the reducer reports its
// iterations and steps.
func (d *deployment) testScenario(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeFile(t, dir, "key", "k-integration-secret\n")
	spec := writeFile(t, dir, "spec.yaml", `
name: journey
duration: 2s
load: {rate: 20}
workers: 2
scenarios:
  - name: api
    secrets: {key: "file:`+secretFile+`"}
    steps:
      - {name: first, url: "`+d.url+`", headers: {X-Key: "{{key}}"}}
      - {name: second, url: "`+d.url+`?n={{iteration}}"}
`)
	r, out := d.runReport(t, "run", spec, "--backend", "aws", "--json", "--quiet")
	by := map[string]events.TargetReport{}
	for _, tr := range r.Targets {
		by[tr.Name] = tr
	}
	it := by["api"]
	if it.Kind != events.TargetIteration || it.Requests+it.Dropped != 40 || it.Success != it.Requests ||
		by["api/first"].Success != it.Requests || by["api/second"].Success != it.Requests || r.Requests != 2*it.Requests {
		t.Errorf("targets %+v, requests %d", r.Targets, r.Requests)
	}
	if strings.Contains(out, "k-integration-secret") {
		t.Error("the report holds the secret")
	}
}

// testThresholdAbort: a 300 ms target against p99 < 50 ms with abort after
// 2 s: the command line, following the deployed run's live figures,
// aborts it long before its 30 s and exits 1.
func (d *deployment) testThresholdAbort(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer slow.Close()
	spec := writeFile(t, t.TempDir(), "spec.yaml", `
duration: 30s
load: {rate: 20}
workers: 2
targets: [{url: "`+slow.URL+`/"}]
thresholds: [{metric: p99, value: 50ms, abort: {after: 2s}}]
`)
	start := time.Now()
	out, errs, err := d.cli(t, 2*time.Minute, "run", spec, "--backend", "aws", "--json", "--quiet")
	if ee, ok := errors.AsType[*exec.ExitError](err); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, errs)
	}
	r := decodeReport(t, out, errs)
	if took := time.Since(start); took > 25*time.Second || r.DurationS > 15 {
		t.Errorf("took %s, sent for %.1f s: not aborted early", took, r.DurationS)
	}
	if !strings.Contains(errs, "p99 < 50") || r.Passed {
		t.Errorf("stderr does not name the threshold, or the report passed:\n%s", errs)
	}
}

// testBadRequests: POST /runs answers 400 naming the field for an unknown
// field, a target not allowed, and a rate above the deployment's limit.
func (d *deployment) testBadRequests(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"targets": [{"url": "` + d.url + `"}], "rat": 5}`, ""},                                 // an unknown field
		{`{"targets": [{"url": "https://example.com/"}], "load": {"rate": 5}}`, "targets[0].url"}, // not allowed
		{`{"targets": [{"url": "` + d.url + `"}], "load": {"rate": 1e6}}`, "load"},                // above the limit
	} {
		resp, err := http.Post(d.gw.URL+"/runs", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var e lambdas.ErrorBody
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Error == "" || tc.field != "" && e.Field != tc.field {
			t.Errorf("POST %s: %d %+v; want 400 naming %q", tc.body, resp.StatusCode, e, tc.field)
		}
	}
}

// testIdempotent: the same run_id submitted twice starts one run.
func (d *deployment) testIdempotent(t *testing.T) {
	api, ctx := d.api(), context.Background()
	s := d.constant(10, time.Second, 0)
	a, err := api.Submit(ctx, s, "same-run-1", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := api.Submit(ctx, s, "same-run-1", "")
	if err != nil || !a.New || b.New || a.RunID != b.RunID {
		t.Errorf("submits: %+v then %+v (%v); want one new run", a, b, err)
	}
}

// testAbort: barrage abort stops both running Lambda shards within 2 s.
func (d *deployment) testAbort(t *testing.T) {
	api, ctx := d.api(), context.Background()
	res, err := api.Submit(ctx, d.constant(20, time.Minute, 2), "", "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool {
		st, err := api.Status(ctx, res.RunID)
		return err == nil && st.State == orchestrator.StateRunning && st.Shards.Claimed == 2
	})
	time.Sleep(time.Until(res.Plan.StartAt) + time.Second)
	if _, errs, err := d.cli(t, 30*time.Second, "abort", res.RunID); err != nil {
		t.Fatalf("barrage abort: %v\n%s", err, errs)
	}
	aborted := time.Now()
	waitFor(t, 30*time.Second, func() bool {
		st, err := api.Status(ctx, res.RunID)
		return err == nil && st.Shards.Reported == 2
	})
	for _, r := range d.shardResults(t, res) {
		if r.StopReason != "aborted" || r.EndedAt.Sub(aborted) > 2*time.Second {
			t.Errorf("shard %s: stopped %q, %v after the abort; want aborted within 2 s", r.ShardID, r.StopReason, r.EndedAt.Sub(aborted))
		}
	}
}

// testSpotInterruption: Fargate tasks that get SIGTERM (a Spot
// interruption) upload a truncated result with what they sent.
func (d *deployment) testSpotInterruption(t *testing.T) {
	api, ctx := d.api(), context.Background()
	// Earlier subtests' tasks have exited (idle); this run's tasks get SIGTERM.
	d.cloud.WaitTasks(time.Minute)
	res, err := api.Submit(ctx, d.constant(20, time.Minute, 2), "", events.KindFargate)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool {
		st, err := api.Status(ctx, res.RunID)
		return err == nil && st.Shards.Claimed == 2
	})
	time.Sleep(time.Until(res.Plan.StartAt) + time.Second)
	if n := d.cloud.SignalTasks(syscall.SIGTERM); n == 0 {
		t.Fatal("no task to interrupt")
	}
	if !d.cloud.WaitTasks(30 * time.Second) {
		t.Fatal("tasks did not exit within 30 s of SIGTERM")
	}
	for _, r := range d.shardResults(t, res) {
		if r.Status != events.StatusTruncated || r.StopReason != "interrupted" || r.Counts.Requests == 0 || r.Kind != events.KindFargate {
			t.Errorf("shard %s: %s (%s), %d requests, kind %s; want a truncated fargate result with what it sent",
				r.ShardID, r.Status, r.StopReason, r.Counts.Requests, r.Kind)
		}
	}
}

// testSchedule: a stored spec run by the scheduler function; EventBridge
// may deliver a firing twice, and one run starts.
func (d *deployment) testSchedule(t *testing.T) {
	api, ctx := d.api(), context.Background()
	spec := `{"targets": [{"url": "` + d.url + `"}], "load": {"rate": 20}, "duration": "1s"}`
	if err := d.st.Put(ctx, "specs/nightly.json", []byte(spec), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	when := time.Now().UTC().Truncate(time.Second)
	payload, _ := json.Marshal(lambdas.StoredSpecPayload{Schedule: "nightly", SpecKey: "specs/nightly.json", Time: when.Format(time.RFC3339)})
	for range 2 {
		if _, failed, err := d.cloud.Invoke("scheduler", payload, false); err != nil || failed {
			t.Fatalf("scheduler invocation failed: %v", err)
		}
	}
	id := lambdas.RunIDFor("nightly", when)
	waitFor(t, time.Minute, func() bool {
		st, err := api.Status(ctx, id)
		return err == nil && (st.State == orchestrator.StateComplete || st.State == orchestrator.StatePartial)
	})
	r, err := api.Report(ctx, id)
	if err != nil || r.Requests+r.Dropped != 20 {
		t.Errorf("scheduled run %s: %+v, %v; want 20 arrivals once", id, r, err)
	}
}

// api is a client of the deployment's API.
func (d *deployment) api() *orchestrator.APIClient { return &orchestrator.APIClient{URL: d.gw.URL} }

// constant is a spec loading the deployment's target at rate arrivals a
// second for duration, on workers shards (0: the planner's choice).
func (d *deployment) constant(rate float64, duration time.Duration, workers int) events.RunSpec {
	return events.RunSpec{Targets: []events.Target{{URL: d.url}}, Load: events.Load{Shape: events.ShapeConstant, Rate: rate},
		Duration: events.Duration(duration), Workers: workers}
}

// runReport runs the barrage command, which must succeed within 2
// minutes, and returns the report it printed (--json) and its output.
func (d *deployment) runReport(t *testing.T, args ...string) (events.Report, string) {
	t.Helper()
	out, errs, err := d.cli(t, 2*time.Minute, args...)
	if err != nil {
		t.Fatalf("barrage %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	return decodeReport(t, out, errs), out
}

// decodeReport decodes the report.json the command printed.
func decodeReport(t *testing.T, out, errs string) events.Report {
	t.Helper()
	var r events.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("no report: %v\n%s\n%s", err, out, errs)
	}
	return r
}

// shardResults returns the stored result of every shard of a run.
func (d *deployment) shardResults(t *testing.T, res *orchestrator.SubmitResult) []events.ShardResult {
	t.Helper()
	var out []events.ShardResult
	for _, sh := range res.Plan.Shards {
		var r events.ShardResult
		b, err := d.st.Get(context.Background(), store.ResultKey(res.RunID, sh.ShardID))
		if err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("no result for %s: %v", sh.ShardID, err)
		}
		out = append(out, r)
	}
	return out
}

// writeFile writes text to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
