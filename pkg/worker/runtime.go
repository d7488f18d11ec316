package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/store"
)

// Defaults of the Runtime's zero fields.
const (
	DefaultUploadMargin  = plan.UploadMargin // the planner sizes Lambda windows by it
	DefaultAbortPoll     = time.Second
	DefaultProgressEvery = 5 * time.Second
)

// Outcome is what became of a delivered shard.
type Outcome string

// Outcomes.
const (
	Complete  Outcome = events.StatusComplete  // ran its whole window
	Truncated Outcome = events.StatusTruncated // stopped early: aborted, interrupted, out of time
	Missed    Outcome = events.StatusMissed    // delivered after not_after: nothing sent
	Duplicate Outcome = events.StatusDuplicate // already claimed: nothing sent
	Aborted   Outcome = "aborted"              // its run was aborted before it started: nothing sent
)

// Runtime runs shards against one store.
type Runtime struct {
	Store store.Store
	// Kind is the worker kind recorded in results: local, lambda, fargate.
	Kind string
	// Name identifies this worker in claims; default host/pid.
	Name string
	// Deadline is when the worker itself ends (a Lambda's context deadline);
	// zero means none. The shard stops UploadMargin before it.
	Deadline     time.Time
	UploadMargin time.Duration
	// AbortPoll is how often the abort marker is checked.
	AbortPoll time.Duration
	// ProgressEvery is how often a shard's live progress is made (and
	// progress.json written).
	ProgressEvery time.Duration
	// Progress, if set, is handed each live progress of a shard as it is
	// made, besides the store's copy: a backend that runs its workers in
	// its own process learns their progress from it without reading the
	// store. It is called from the engine's sampler and must not block.
	Progress func(run, shard string, p events.ShardProgress)
	// EMF, if set, receives each live progress of a shard as a line of
	// CloudWatch's embedded metric format (emf.go): the Lambda and Fargate
	// mains pass their stdout, which CloudWatch Logs turns into metrics.
	EMF io.Writer
	// Secrets reads the scenarios' secret references of kinds other than
	// env: and file: (the mains pass awsenv.Env.SecretSources: ssm:,
	// secretsmanager:); nil reads env: and file: only. Each shard resolves
	// its secrets afresh, with a secret.Resolver of its own.
	Secrets secret.Sources
	// Debug, if set, dumps the scenarios' first steps, redacted.
	Debug *journey.Debug
	// Guard is the deployment's host guard (on AWS: its allow-list, and no
	// loopback); a spec's allow_hosts narrows it for its shards. The zero
	// value allows every host but the addresses never contacted.
	Guard hostguard.Guard
	// Engine, if set, adjusts each engine configuration (tests: Dial, CoarseTimer).
	Engine func(*engine.Config)
	// Log receives one line per shard; nil discards.
	Log *slog.Logger
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

func (r *Runtime) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runtime) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runtime) name() string {
	if r.Name != "" {
		return r.Name
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), r.Kind)
}

// RunShard runs one delivered shard and returns what became of it. An error
// means the shard ran (or was claimed) but its result could not be stored.
func (r *Runtime) RunShard(ctx context.Context, m events.ShardMessage) (Outcome, error) {
	st, log := r.Store, r.log().With("run", m.RunID, "shard", m.ShardID)
	if r.now().After(m.NotAfter) {
		// A redelivery of a shard that ran is a duplicate, not a miss.
		if ok, err := st.Exists(ctx, store.ClaimKey(m.RunID, m.ShardID)); err == nil && ok {
			log.Info("shard already claimed: duplicate delivery after its window, nothing sent")
			return Duplicate, nil
		}
		late := r.now().Sub(m.NotAfter).Round(time.Second)
		err := st.Put(ctx, store.MissedKey(m.RunID, m.ShardID), marshal(events.Claim{Worker: r.name(), At: r.now().UTC(),
			Reason: fmt.Sprintf("delivered to a worker %s after its not_after (%s): the worker started too late (throttled, queued, or a delayed or repeated message)",
				late, m.NotAfter.UTC().Format(time.RFC3339))}),
			store.PutOptions{IfAbsent: true})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return Missed, err
		}
		log.Info("shard missed: delivered after its not_after", "not_after", m.NotAfter)
		return Missed, nil
	}
	// The spec is read before the claim: a worker that cannot read it
	// leaves the shard to another delivery rather than claim it and fail.
	spec, err := r.spec(ctx, m)
	if err != nil {
		return "", &RetryError{Err: err}
	}
	mine, err := r.claim(ctx, m)
	if err != nil {
		return "", &RetryError{Err: fmt.Errorf("claim shard %s: %w", m.ShardID, err)}
	}
	if !mine {
		log.Info("shard already claimed: duplicate delivery, nothing sent")
		return Duplicate, nil
	}
	var res *events.ShardResult
	if aborted, _ := st.Exists(ctx, store.AbortKey(m.RunID)); aborted {
		// The run was aborted before this shard began: an empty result says
		// so, where nothing would leave it to be reported lost.
		log.Info("run aborted before the shard began: nothing sent")
		res = r.empty(m, "aborted")
	} else if res, err = r.run(ctx, m, spec); err != nil {
		// Claimed, and it cannot run (a scenario's secret unreadable here,
		// an engine that would not start): a result says why.
		log.Error("shard failed to start", "err", err)
		res = r.empty(m, "failed: "+oneLine(err))
	}
	// The upload outlives a cancelled context (SIGTERM on Fargate Spot, an
	// interrupt): what was measured is written, as truncated.
	up, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	err = st.Put(up, store.ResultKey(m.RunID, m.ShardID), encodeResult(res), store.PutOptions{IfAbsent: true, ContentType: "application/json"})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return "", fmt.Errorf("upload shard %s: %w", m.ShardID, err)
	}
	log.Info("shard done", "status", res.Status, "requests", res.Counts.Requests, "skew_ms", res.StartSkewMs)
	if res.StopReason == "aborted" && res.Counts.Requests == 0 && res.Counts.Dropped == 0 {
		return Aborted, nil
	}
	return Outcome(res.Status), nil
}

// RetryError wraps a failure before the shard was claimed: the delivery is
// left for another try rather than acknowledged.
type RetryError struct{ Err error }

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// empty is the result of a claimed shard that sent nothing, and why.
func (r *Runtime) empty(m events.ShardMessage, why string) *events.ShardResult {
	return &events.ShardResult{Version: events.ShardResultVersion, RunID: m.RunID, ShardID: m.ShardID, Kind: r.Kind,
		StartedAt: m.WindowStart(), EndedAt: r.now().UTC(), Status: events.StatusTruncated, StopReason: why}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// startError is why a claimed shard could not start, as its stop reason and
// the report say it: on one line, redacted (no secret values, no passwords
// in URLs), and without the shard's id, which its result names, so that
// shards that fail alike say the same and a report says it once.
func startError(err error, redact func(string) string) error {
	return errors.New(redact(oneLine(err)))
}

// claim creates the shard's claim and reports whether it is this worker's.
// A create that fails because the claim exists may still be ours: a store
// retries a create whose answer was lost, and the retry finds the object
// its first attempt made. The claim's nonce tells.
func (r *Runtime) claim(ctx context.Context, m events.ShardMessage) (bool, error) {
	var n [8]byte
	rand.Read(n[:])
	c := events.Claim{Worker: r.name(), At: r.now().UTC(), Nonce: hex.EncodeToString(n[:])}
	key := store.ClaimKey(m.RunID, m.ShardID)
	err := r.Store.Put(ctx, key, marshal(c), store.PutOptions{IfAbsent: true, ContentType: "application/json"})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrExists) {
		return false, err
	}
	b, err := r.Store.Get(ctx, key)
	if err != nil {
		return false, err
	}
	var got events.Claim
	return json.Unmarshal(b, &got) == nil && got.Nonce == c.Nonce, nil
}

func (r *Runtime) spec(ctx context.Context, m events.ShardMessage) (events.RunSpec, error) {
	b, err := r.Store.Get(ctx, m.SpecKey)
	if err != nil {
		return events.RunSpec{}, fmt.Errorf("read spec of shard %s: %w", m.ShardID, err)
	}
	var s events.RunSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return events.RunSpec{}, fmt.Errorf("decode spec %s: %w", m.SpecKey, err)
	}
	return s, nil
}

// errNotPrepared fails a shard whose run stored its spec without the
// defaults (events.RunSpec.Defaulted): the spec was not prepared
// (pkg/prepare), and a worker does not guess what it would have been.
var errNotPrepared = errors.New("the run's spec was stored without its defaults: it was not prepared (pkg/prepare)")

// run runs the engine for the shard's window, stopping on abort or before
// the worker's deadline. spec is the run's stored spec, prepared where it
// entered barrage: the worker checks that it has its defaults (a cheap
// comparison) and does not prepare it again.
func (r *Runtime) run(ctx context.Context, m events.ShardMessage, spec events.RunSpec) (*events.ShardResult, error) {
	if !spec.Defaulted() {
		return nil, errNotPrepared
	}
	cfg := EngineConfig(&spec, m)
	secrets := resolver(r.Secrets, r.Debug)
	// Error messages go into the result: hide what the journeys' secrets
	// and URLs may hold.
	cfg.Redact = secrets.Redactor().Message
	cfg.Guard = r.Guard.With(spec.AllowHosts)
	js, closeJourneys, err := journeys(ctx, &spec, secrets, r.Debug, cfg.Guard)
	defer closeJourneys()
	if err != nil {
		return nil, startError(err, cfg.Redact)
	}
	cfg.Journeys = js
	if r.Engine != nil {
		r.Engine(&cfg)
	}
	// Scheduling stops at the first of: the parent context (SIGTERM), the
	// abort marker, the worker's deadline less the upload margin. Requests
	// in flight are cut off at an abort, or half the margin later.
	sched, stopSched := context.WithCancelCause(ctx)
	defer stopSched(nil)
	abort, stopAbort := context.WithCancelCause(context.Background())
	defer stopAbort(nil)
	if !r.Deadline.IsZero() {
		margin := r.UploadMargin
		if margin == 0 {
			margin = DefaultUploadMargin
		}
		t1 := time.AfterFunc(time.Until(r.Deadline.Add(-margin)), func() { stopSched(errDeadline) })
		t2 := time.AfterFunc(time.Until(r.Deadline.Add(-margin/2)), func() { stopAbort(errDeadline) })
		defer t1.Stop()
		defer t2.Stop()
	}
	go r.watchAbort(sched, m, func() { stopSched(errAborted); stopAbort(errAborted) })
	prog := r.progressWriter(m)
	cfg.Progress = prog.update
	e, err := engine.New(cfg)
	if err != nil {
		return nil, startError(err, cfg.Redact)
	}
	stopMonitor, err := startMonitor(sched, &spec, &m, cfg.Guard)
	if err != nil {
		return nil, startError(err, cfg.Redact)
	}
	measured, err := e.Run(sched, abort)
	prog.stop()
	scraped := stopMonitor()
	var res *events.ShardResult
	if err != nil {
		// The window never started (stopped before it): an empty result
		// still tells the reducer the shard was here.
		res = &events.ShardResult{Version: events.ShardResultVersion, RunID: m.RunID, ShardID: m.ShardID, Kind: r.Kind,
			StartedAt: m.WindowStart(), Status: events.StatusTruncated, Monitor: scraped}
	} else {
		res = shardResult(&m, r.Kind, measured, scraped)
	}
	if res.Status == events.StatusTruncated {
		res.StopReason = stopReason(sched)
	}
	return res, nil
}

var (
	errAborted  = errors.New("aborted")
	errDeadline = errors.New("deadline")
)

// stopReason names why scheduling stopped early.
func stopReason(sched context.Context) string {
	switch cause := context.Cause(sched); {
	case errors.Is(cause, errAborted):
		return "aborted"
	case errors.Is(cause, errDeadline):
		return "deadline"
	case cause != nil:
		return "interrupted"
	}
	return ""
}

// watchAbort polls the run's abort marker until ctx ends, at the shard's
// own phase of each period (engine.ShardPhase): the shards of a process,
// started together, do not all poll at the same instant.
func (r *Runtime) watchAbort(ctx context.Context, m events.ShardMessage, abort func()) {
	every := r.AbortPoll
	if every == 0 {
		every = DefaultAbortPoll
	}
	t := time.NewTimer(every + engine.ShardPhase(m.Index)%every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(every)
		if ok, err := r.Store.Exists(ctx, store.AbortKey(m.RunID)); err == nil && ok {
			r.log().Info("abort marker found", "run", m.RunID, "shard", m.ShardID)
			abort()
			return
		}
	}
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("worker: marshal: " + err.Error()) // our own types always marshal
	}
	return b
}
