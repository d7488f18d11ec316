package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// ErrNoResult is returned when a run ends without any shard result.
var ErrNoResult = errors.New("the run produced no result")

// LocalOptions configure a run on this machine.
type LocalOptions struct {
	// Dir is the store's root: run folders go to Dir/runs/{run_id}.
	Dir string
	// Procs runs each shard in its own `barrage worker` process (Exe)
	// instead of a goroutine.
	Procs bool
	Exe   string
	// Log receives the workers' log lines; nil discards.
	Log *slog.Logger
	// Engine adjusts each shard's engine configuration (tests).
	Engine func(*engine.Config)
	// Debug dumps the scenarios' first steps (in-process workers only).
	Debug *journey.Debug
	// Secrets reads the scenarios' ssm: and secretsmanager: references
	// (in-process workers; awsenv.LazySecretSources); nil reads env: and
	// file: only. Worker processes wire their own.
	Secrets secret.Sources
}

// NewRunID returns a sortable, unique run id: UTC time and 6 random hex digits.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// PlanLocal plans spec (defaults applied and validated) for this host: its
// CPUs, its descriptor limit and its ephemeral port range (the planner's
// default where /proc does not say).
func PlanLocal(spec events.RunSpec, id string, now time.Time) (*events.Plan, error) {
	return planLocal(spec, id, now, 0)
}

// ProcLead is what each worker process adds to a local run's lead
// (plan.LocalLead, enough for goroutines to open their warm connections):
// its start (exec, Go's runtime, the queue and the spec read), which the
// processes of a run take one after the other on a small machine. With 16
// processes on 2 cores, the 250 ms lead left shards up to 38 ms late, their
// first arrivals dropped.
const ProcLead = 40 * time.Millisecond

// planLocalProcs plans spec for shards that run in worker processes: the
// lead covers their start, one ProcLead each.
func planLocalProcs(spec events.RunSpec, id string, now time.Time) (*events.Plan, error) {
	p, err := planLocal(spec, id, now, 0)
	if err != nil {
		return nil, err
	}
	return planLocal(spec, id, now, plan.LocalLead+time.Duration(len(p.Shards))*ProcLead)
}

func planLocal(spec events.RunSpec, id string, now time.Time, lead time.Duration) (*events.Plan, error) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	var proc health.Proc
	ports, _ := proc.PortRange() // the zero range's Size is 0: the planner's default
	return plan.Make(spec, plan.Options{RunID: id, Backend: "local", Now: now, Workers: spec.Workers, LeadTime: lead,
		LocalCPUs: runtime.NumCPU(), FDLimit: int(min(lim.Cur, 1<<30)), PortRange: ports.Size()})
}

// Publish stores spec and its plan p under p's run id, then sends q one
// message per shard: all that workers serving q need to run it.
func Publish(ctx context.Context, st store.Store, q queue.Queue, spec events.RunSpec, p *events.Plan) error {
	if err := putJSON(ctx, st, store.SpecKey(p.RunID), spec); err != nil {
		return err
	}
	if err := putJSON(ctx, st, store.PlanKey(p.RunID), p); err != nil {
		return err
	}
	msgs := plan.Messages(p, spec, store.SpecKey(p.RunID))
	bodies := make([][]byte, len(msgs))
	for i, m := range msgs {
		bodies[i], _ = json.Marshal(m)
	}
	if err := q.Send(ctx, bodies); err != nil {
		return fmt.Errorf("send the shards of run %s: %w", p.RunID, err)
	}
	return nil
}

// awaitLocal waits until every shard reported, every local worker exited,
// or the plan's deadline passed.
func awaitLocal(st store.Store, p *events.Plan, workersDone <-chan struct{}) {
	// No shard reports before its window ends: until the last one has, or
	// the workers are gone, there is nothing to look for, and listing the
	// run folder ten times a second would take CPU from the workers
	// sending the load in this very process.
	var end time.Time
	for _, s := range p.Shards {
		if e := s.End(p.StartAt); e.After(end) {
			end = e
		}
	}
	wait := time.NewTimer(time.Until(end))
	select {
	case <-workersDone:
	case <-wait.C:
	}
	wait.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-workersDone:
			// Workers that exit write nothing more: one last scan, then go.
			time.Sleep(100 * time.Millisecond)
			cancel()
		case <-ctx.Done():
		}
	}()
	reduce.Await(ctx, st, p, 100*time.Millisecond)
}

// localServe bounds a local worker: one shard, and an exit when the queue
// stays empty (a killed sibling's shard is not worth waiting for).
var localServe = worker.ServeOptions{MaxShards: 1, IdleExit: 2 * time.Second, Wait: time.Second, Visibility: 60 * time.Second}

// startGoroutines starts n workers in this process that serve q, each
// handing its shard's live progress to progress as well as to st.
func startGoroutines(sched context.Context, q queue.Queue, st store.Store, opt LocalOptions, n int,
	progress func(run, shard string, p events.ShardProgress)) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := &worker.Runtime{Store: st, Kind: events.KindLocal, ProgressEvery: time.Second,
				AbortPoll: time.Second, Log: opt.Log, Engine: opt.Engine, Debug: opt.Debug, Progress: progress,
				Secrets: opt.Secrets}
			rt.Serve(sched, q, localServe)
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// startProcs serves q on 127.0.0.1 and starts n `barrage worker` processes
// that take their shards from it. A first interrupt reaches them as
// SIGINT (stop scheduling), an abort as SIGKILL after the abort marker had
// its chance.
func startProcs(sched, abort context.Context, q queue.Queue, opt LocalOptions, n int) (<-chan struct{}, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: queue.Handler(q), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	done := make(chan struct{})
	procs, err := spawnWorkers(opt.Exe, opt.Dir, url, n)
	if err != nil {
		srv.Close()
		return nil, err
	}
	go func() {
		waitAll(sched, abort, procs)
		srv.Close()
		close(done)
	}()
	return done, nil
}

func putJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := st.Put(ctx, key, append(b, '\n'), store.PutOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}
