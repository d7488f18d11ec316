//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/store/s3store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// rig is a run on the real protocol servers: a plan and spec in MinIO, its
// shard messages in a fauxqs queue, a counting target.
type rig struct {
	m    *MinIO
	f    *Fauxqs
	st   *s3store.Store
	q    *sqsqueue.Queue
	qurl string
	p    *events.Plan
	msgs []events.ShardMessage
	hits *atomic.Int64
}

func newRig(t *testing.T, rate float64, d time.Duration, workers int, now time.Time) *rig {
	return newRigLead(t, rate, d, workers, now, 4*time.Second) // setup, queue polls and store retries fit in the lead
}

func newRigLead(t *testing.T, rate float64, d time.Duration, workers int, now time.Time, lead time.Duration) *rig {
	t.Helper()
	r := &rig{m: StartMinIO(t), f: StartFauxqs(t), hits: new(atomic.Int64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { r.hits.Add(1) }))
	t.Cleanup(srv.Close)
	r.st = s3store.New(r.m.Client, r.m.Bucket, "")
	r.qurl = r.f.CreateQueue(t, "shards")
	r.q = sqsqueue.New(r.f.Client, r.qurl)
	spec := events.RunSpec{Targets: []events.Target{{URL: srv.URL}}, Workers: workers, Duration: events.Duration(d),
		Load: events.Load{Shape: events.ShapeConstant, Rate: rate}}.WithDefaults()
	var err error
	r.p, err = plan.Make(spec, plan.Options{RunID: "run1", Backend: plan.BackendLocal, Now: now, Workers: workers,
		LocalCPUs: 2, LeadTime: lead})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for key, v := range map[string]any{store.SpecKey("run1"): spec, store.PlanKey("run1"): r.p} {
		b, _ := json.Marshal(v)
		if err := r.st.Put(ctx, key, b, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r.msgs = plan.Messages(r.p, spec, store.SpecKey("run1"))
	return r
}

// send enqueues every shard message times times.
func (r *rig) send(t *testing.T, times int) {
	var bodies [][]byte
	for range times {
		for _, m := range r.msgs {
			b, _ := json.Marshal(m)
			bodies = append(bodies, b)
		}
	}
	if err := r.q.Send(context.Background(), bodies); err != nil {
		t.Fatal(err)
	}
}

// serve runs n in-process workers until the queue stays empty.
func (r *rig) serve(t *testing.T, st store.Store, n int) map[worker.Outcome]int {
	var mu sync.Mutex
	count := map[worker.Outcome]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := &worker.Runtime{Store: st, Kind: events.KindLocal, ProgressEvery: time.Second}
			outs, err := rt.Serve(context.Background(), r.q, worker.ServeOptions{IdleExit: 3 * time.Second, Wait: time.Second})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, o := range outs {
				count[o]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return count
}

func (r *rig) keys(t *testing.T, name string) int {
	keys, err := r.st.List(context.Background(), store.RunPrefix("run1")+"shards/")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		if _, got, ok := store.ShardOf("run1", k); ok && got == name {
			n++
		}
	}
	return n
}

// TestDuplicateDeliveries delivers every shard twice at once and once more
// after the run: one claim and one result per shard, the traffic once.
func TestDuplicateDeliveries(t *testing.T) {
	r := newRig(t, 200, 2*time.Second, 4, time.Now())
	r.send(t, 2)
	count := r.serve(t, r.st, 4)
	r.send(t, 1)
	late := r.serve(t, r.st, 2)
	if count[worker.Complete] != 4 || count[worker.Duplicate] != 4 || late[worker.Duplicate] != 4 {
		t.Errorf("outcomes %v then %v; want 4 complete and 4 duplicates, then 4 duplicates", count, late)
	}
	rep, err := reduce.Reduce(context.Background(), r.st, "run1")
	if err != nil || rep.Requests+rep.Dropped != 400 || rep.Coverage != 1 {
		t.Errorf("report: %d requests + %d dropped, coverage %v, %v; want 400 planned", rep.Requests, rep.Dropped, rep.Coverage, err)
	}
	if r.keys(t, "claim") != 4 || r.keys(t, "result.json") != 4 || r.hits.Load() != rep.Requests {
		t.Errorf("%d claims, %d results, %d requests seen; want 4, 4, %d: the traffic once", r.keys(t, "claim"),
			r.keys(t, "result.json"), r.hits.Load(), rep.Requests)
	}
}

// TestDeliveredTooLate delivers shards after their not_after: nothing sent,
// every shard missed.
func TestDeliveredTooLate(t *testing.T) {
	r := newRig(t, 100, time.Second, 2, time.Now().Add(-time.Minute))
	r.send(t, 1)
	count := r.serve(t, r.st, 2)
	if count[worker.Missed] != 2 || r.hits.Load() != 0 {
		t.Errorf("outcomes %v, %d requests; want 2 missed and none sent", count, r.hits.Load())
	}
	rep, err := reduce.Reduce(context.Background(), r.st, "run1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Shards {
		if s.Status != events.StatusMissed {
			t.Errorf("shard %s is %s; want missed", s.ShardID, s.Status)
		}
	}
}

// TestAbortStopsAll writes the abort marker a second into a long run: every
// worker stops and has written its result within 2 s.
func TestAbortStopsAll(t *testing.T) {
	r := newRig(t, 100, time.Minute, 3, time.Now())
	r.send(t, 1)
	var aborted atomic.Int64
	time.AfterFunc(time.Until(r.p.StartAt)+time.Second, func() {
		aborted.Store(time.Now().UnixNano())
		r.st.Put(context.Background(), store.AbortKey("run1"), nil, store.PutOptions{})
	})
	count := r.serve(t, r.st, 3)
	var last time.Time
	for _, s := range r.p.Shards {
		var res events.ShardResult
		b, err := r.st.Get(context.Background(), store.ResultKey("run1", s.ShardID))
		if err != nil || json.Unmarshal(b, &res) != nil {
			t.Fatalf("no result for %s: %v", s.ShardID, err)
		}
		if res.StopReason != "aborted" {
			t.Errorf("shard %s stopped: %q", s.ShardID, res.StopReason)
		}
		if res.EndedAt.After(last) {
			last = res.EndedAt
		}
	}
	if d := last.Sub(time.Unix(0, aborted.Load())); d > 2*time.Second {
		t.Errorf("the last shard ended %v after the abort marker; want within 2 s", d)
	}
	if count[worker.Truncated] != 3 {
		t.Errorf("outcomes %v; want 3 truncated", count)
	}
}

// TestReducerTwice runs two reducers at once and one after: one report.
func TestReducerTwice(t *testing.T) {
	r := newRig(t, 100, time.Second, 2, time.Now())
	r.send(t, 1)
	r.serve(t, r.st, 2)
	var wg sync.WaitGroup
	reps := make([]*events.Report, 3)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); reps[i], _ = reduce.Reduce(context.Background(), r.st, "run1") }()
	}
	wg.Wait()
	reps[2], _ = reduce.Reduce(context.Background(), r.st, "run1")
	stored, err := reduce.Stored(context.Background(), r.st, "run1")
	if err != nil {
		t.Fatal(err)
	}
	for i, rep := range reps {
		if rep == nil || rep.Requests != stored.Requests || rep.Requests+rep.Dropped != 100 {
			t.Errorf("reducer %d: %+v; want the stored report of 100 arrivals", i, rep)
		}
	}
}

// TestTransientS3Faults runs a run whose store answers 503 and 409 now and
// then: everything is retried and nothing is lost.
func TestTransientS3Faults(t *testing.T) {
	// Twelve faults cost retries of up to a second each: a longer lead.
	r := newRigLead(t, 100, time.Second, 4, time.Now(), 15*time.Second)
	proxy := NewFaultProxy(t, r.m.Endpoint)
	st := s3store.New(S3Client(proxy.URL), r.m.Bucket, "")
	proxy.Fail(http.MethodPut, "/claim", 3, http.StatusServiceUnavailable, "SlowDown")
	proxy.Fail(http.MethodPut, "/claim", 2, http.StatusConflict, "ConditionalRequestConflict")
	proxy.Fail(http.MethodPut, "/result.json", 3, http.StatusServiceUnavailable, "SlowDown")
	proxy.Fail(http.MethodPut, "/result.json", 2, http.StatusConflict, "ConditionalRequestConflict")
	proxy.Fail(http.MethodGet, "/spec.json", 2, http.StatusServiceUnavailable, "SlowDown")
	r.send(t, 1)
	count := r.serve(t, st, 4)
	if count[worker.Complete] != 4 || proxy.Injected() != 12 {
		t.Errorf("outcomes %v with %d faults injected; want 4 complete through 12 faults", count, proxy.Injected())
	}
	rep, err := reduce.Reduce(context.Background(), st, "run1")
	// Every planned arrival is accounted for: sent, or dropped as late when
	// the machine stalled (the report says so).
	if err != nil || rep.Requests+rep.Dropped != 100 || rep.Requests < 90 || rep.Coverage != 1 || r.hits.Load() != rep.Requests {
		t.Errorf("report %d requests + %d dropped, coverage %v (%v); target saw %d; want 100 planned, coverage 1",
			rep.Requests, rep.Dropped, rep.Coverage, err, r.hits.Load())
	}
}

// TestKilledWorkerProcess runs shards in `barrage worker` processes on S3
// and SQS and kills one with SIGKILL mid-shard: the others finish, the
// reducer reports that shard lost and coverage below 1.
func TestKilledWorkerProcess(t *testing.T) {
	bin := buildBarrage(t)
	r := newRig(t, 90, 4*time.Second, 3, time.Now())
	r.send(t, 1)
	var procs []*exec.Cmd
	for range 3 {
		cmd := exec.Command(bin, "worker", "--store", "s3://"+r.m.Bucket, "--queue", r.qurl, "--kind", "local",
			"--max-shards", "1", "--idle-exit", "5s", "--quiet")
		cmd.Env = Env(r.m.Endpoint, r.f.Endpoint)
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	time.Sleep(time.Until(r.p.StartAt) + 1500*time.Millisecond)
	procs[0].Process.Signal(syscall.SIGKILL)
	for _, p := range procs {
		p.Wait()
	}
	rep, err := reduce.Reduce(context.Background(), r.st, "run1")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	for _, s := range rep.Shards {
		status[s.Status]++
	}
	if status[events.StatusLost] != 1 || status[events.StatusComplete] != 2 || rep.Coverage > 0.67 {
		t.Errorf("shards %v, coverage %v; want 1 lost, 2 complete", status, rep.Coverage)
	}
	if rep.Requests+rep.Dropped != 240 || rep.Requests < 216 {
		t.Errorf("%d requests + %d dropped merged; want the two complete shards' 240", rep.Requests, rep.Dropped)
	}
	// barrage report renders the run straight from S3.
	cmd := exec.Command(bin, "report", "s3://"+r.m.Bucket+"/runs/run1", "--format", "md")
	cmd.Env = Env(r.m.Endpoint, r.f.Endpoint)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "| lost |") && !strings.Contains(string(out), "lost") {
		t.Errorf("barrage report s3://…: %v\n%s", err, out)
	}
}
