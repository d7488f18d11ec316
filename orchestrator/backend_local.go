package orchestrator

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// LocalBackend runs tests on this host through the same pipeline as a
// distributed run: plan, store (the directory Options.Dir), queue (in
// memory, or served to `barrage worker` processes), the shared worker
// runtime, and the reducer. It is safe for concurrent use.
type LocalBackend struct {
	Options LocalOptions

	mu   sync.Mutex
	runs map[string]*localRun
	// wrap, if set, wraps the run folder's store (tests).
	wrap func(store.Store) store.Store
}

var (
	_ Backend        = (*LocalBackend)(nil)
	_ ReportReplacer = (*LocalBackend)(nil)
)

// localRun is a run this backend started.
type localRun struct {
	// stopSched ends scheduling (requests in flight finish); cutOff ends
	// those too; aborts counts the calls of Abort.
	stopSched, cutOff context.CancelFunc
	aborts            int
	// done is closed once the report is written, or err says why not.
	done chan struct{}
	err  error
	// live keeps the progress its in-process workers hand over; nil when
	// they are processes, whose progress is read from the store.
	live *handedProgress
}

// localPoll is how often Follow reads a local run's status: shards make
// their progress about once a second, and reading faster sees each soon.
const localPoll = 250 * time.Millisecond

func (l *LocalBackend) store() store.Store {
	if l.wrap != nil {
		return l.wrap(store.Dir{Root: l.Options.Dir})
	}
	return store.Dir{Root: l.Options.Dir}
}

// Folder is the run folder of run id.
func (l *LocalBackend) Folder(id string) string { return filepath.Join(l.Options.Dir, "runs", id) }

// Submit plans spec for this host, writes its spec and plan to the run
// folder, starts one worker per shard (goroutines, or processes with
// Options.Procs) and returns; the run reduces itself once its shards have
// reported, its workers have exited, or its deadline has passed. A spec
// the planner refuses is a *RejectedError.
func (l *LocalBackend) Submit(ctx context.Context, spec events.RunSpec) (*Submitted, error) {
	id := NewRunID(time.Now())
	planRun := PlanLocal
	if l.Options.Procs {
		planRun = planLocalProcs
	}
	p, err := planRun(spec, id, time.Now())
	if err != nil {
		return nil, &RejectedError{err}
	}
	if err := l.start(ctx, spec, p); err != nil {
		return nil, err
	}
	return &Submitted{RunID: id, Plan: p}, nil
}

// start publishes run p (spec and plan in the run folder, its shards on a
// queue), starts its workers, and reduces it once they are done.
func (l *LocalBackend) start(ctx context.Context, spec events.RunSpec, p *events.Plan) error {
	id := p.RunID
	st := l.store()
	q := queue.NewMem()
	if err := Publish(ctx, st, q, spec, p); err != nil {
		q.Close()
		return err
	}
	msgs := p.Shards
	sched, stopSched := context.WithCancel(context.Background())
	abort, cutOff := context.WithCancel(context.Background())
	stopMarker := context.AfterFunc(abort, func() { st.Put(context.Background(), store.AbortKey(id), nil, store.PutOptions{}) })
	end := func() { stopMarker(); stopSched(); cutOff(); q.Close() }
	r := &localRun{stopSched: stopSched, cutOff: cutOff, done: make(chan struct{})}
	var workersDone <-chan struct{}
	if l.Options.Procs {
		var err error
		if workersDone, err = startProcs(sched, abort, q, l.Options, len(msgs)); err != nil {
			end()
			return err
		}
	} else {
		r.live = &handedProgress{run: id}
		workersDone = startGoroutines(sched, q, st, l.Options, len(msgs), r.live.put)
	}
	l.mu.Lock()
	if l.runs == nil {
		l.runs = map[string]*localRun{}
	}
	l.runs[id] = r
	l.mu.Unlock()
	go func() {
		defer close(r.done)
		defer end()
		awaitLocal(st, p, workersDone)
		_, r.err = reduce.Reduce(context.Background(), st, id)
	}()
	return nil
}

func (l *LocalBackend) run(id string) (*localRun, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.runs[id]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("run %s was not started by this barrage", id)
}

// Follow reads the run's status from its folder, as the API reads a
// deployed run's from S3, four times a second. The live progress of
// in-process workers comes from them directly (handedProgress), never
// from the store; that of worker processes from their progress.json.
func (l *LocalBackend) Follow(ctx context.Context, id string) <-chan Update {
	r, err := l.run(id)
	return pollStatus(ctx, localPoll, func(ctx context.Context) (*Status, bool, error) {
		if err != nil {
			return nil, true, err
		}
		select {
		case <-r.done:
			if r.err != nil {
				return nil, true, fmt.Errorf("reduce run %s: %w", id, r.err)
			}
		default:
		}
		if r.live == nil {
			st, err := RunStatus(ctx, l.store(), id, time.Now())
			return st, false, err
		}
		st, err := runStatus(ctx, l.store(), id, time.Now(), r.live.take)
		return st, false, err
	})
}

// handedProgress keeps the latest live progress of each shard of a run
// that its in-process workers handed over (worker.Runtime.Progress). It is
// safe for concurrent use.
type handedProgress struct {
	run string

	mu     sync.Mutex
	latest map[string]events.ShardProgress // by shard id
	taken  map[string]bool                 // latest was read by take
}

// put keeps p as shard's latest progress; one that was not read yet adds
// its intervals to p, so that the reader still sees every request.
func (h *handedProgress) put(run, shard string, p events.ShardProgress) {
	if run != h.run {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.latest == nil {
		h.latest, h.taken = map[string]events.ShardProgress{}, map[string]bool{}
	}
	if prev, ok := h.latest[shard]; ok && !h.taken[shard] {
		p = p.Since(prev)
	}
	h.latest[shard], h.taken[shard] = p, false
}

// take returns the latest progress of shards (progressOf).
func (h *handedProgress) take(_ context.Context, shards []string) []*events.ShardProgress {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*events.ShardProgress, len(shards))
	for j, id := range shards {
		if p, ok := h.latest[id]; ok {
			out[j] = &p
			h.taken[id] = true
		}
	}
	return out
}

// Abort stops scheduling the first time, as a first Ctrl-C does, and cuts
// off the requests in flight the second (the abort marker, and SIGKILL
// for worker processes 3 s after their SIGINT).
func (l *LocalBackend) Abort(_ context.Context, id string) error {
	r, err := l.run(id)
	if err != nil {
		return err
	}
	l.mu.Lock()
	r.aborts++
	first := r.aborts == 1
	l.mu.Unlock()
	if first {
		r.stopSched()
	} else {
		r.cutOff()
	}
	return nil
}

// Report reads the run's report from its folder.
func (l *LocalBackend) Report(ctx context.Context, id string) (*events.Report, error) {
	return ReadReport(ctx, l.store(), id)
}

// ReplaceReport rewrites the run's report (report.json and its renderings).
func (l *LocalBackend) ReplaceReport(ctx context.Context, id string, r *events.Report) error {
	return reduce.Replace(ctx, l.store(), id, r)
}
