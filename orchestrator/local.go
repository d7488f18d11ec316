package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/pacer"
	"github.com/barrage-load/barrage/pkg/report"
)

// Default in-flight caps per worker when the spec sets none.
const (
	DefaultOpenInflight   = 1000 // open model: enough for rate × latency at most local rates
	DefaultClosedInflight = 64   // closed loop: the concurrency of the loop
)

// ErrNoResult is returned when a run ends without any shard result.
var ErrNoResult = errors.New("the run produced no result")

// LocalOptions configure a run on this machine.
type LocalOptions struct {
	// Dir is where run folders go: Dir/runs/{run_id}.
	Dir string
	// Progress, if set, receives each shard's progress about once a second
	// (with one shard, the run's progress).
	Progress func(shard int, p engine.Progress)
}

// Run is a finished run.
type Run struct {
	ID     string
	Dir    string // the run folder
	Report *events.Report
}

// NewRunID returns a sortable, unique run id: UTC time and 6 random hex digits.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Mode names the connection mode of s for reports.
func Mode(s *events.RunSpec) string {
	m := "keepalive"
	switch {
	case s.HTTP2:
		m = "http2"
	case s.H2C:
		m = "h2c"
	}
	if !s.KeepAliveOn() {
		if m == "keepalive" {
			return "new-connection"
		}
		m += "-new-connection"
	}
	return m
}

// RunLocal runs spec (defaults applied and validated) with every shard in
// this process, then writes the run folder. Scheduling stops early when
// sched is done; requests in flight are cut off when abort is done.
func RunLocal(sched, abort context.Context, spec events.RunSpec, opt LocalOptions) (*Run, error) {
	id := NewRunID(time.Now())
	n := max(spec.Workers, 1)
	proc := &health.Proc{}
	start := time.Now().Add(200 * time.Millisecond) // every shard starts on the same schedule, after warm-up
	results := make([]*events.ShardResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		cfg := EngineConfig(&spec, k, n)
		cfg.Start = start
		cfg.Proc = proc
		if opt.Progress != nil {
			cfg.Progress = func(p engine.Progress) { opt.Progress(k, p) }
		}
		e, err := engine.New(cfg)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Run(sched, abort)
			if err != nil {
				errs[k] = err
				return
			}
			res.RunID, res.ShardID = id, ShardID(k)
			results[k] = res
		}()
	}
	wg.Wait()
	var got []*events.ShardResult
	planned := make([]report.Shard, n)
	for k := range n {
		planned[k] = report.Shard{ShardID: ShardID(k), Kind: events.KindLocal, PlannedRate: spec.Load.MeanRate() / float64(n)}
		if results[k] != nil {
			got = append(got, results[k])
		}
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoResult, errors.Join(errs...))
	}
	rep, err := report.Build(report.Input{RunID: id, Name: spec.Name, Mode: Mode(&spec), Planned: planned, Results: got})
	if err != nil {
		return nil, err
	}
	run := &Run{ID: id, Report: rep}
	run.Dir, err = WriteRunFolder(opt.Dir, &spec, got, rep)
	return run, err
}

// ShardID names shard k.
func ShardID(k int) string { return fmt.Sprintf("s%04d", k) }

// EngineConfig translates spec into the engine configuration of shard k of n.
func EngineConfig(s *events.RunSpec, k, n int) engine.Config {
	cfg := engine.Config{Targets: s.Targets, Duration: s.Duration.D(), Timeout: s.Timeout.D(),
		KeepAlive: s.KeepAliveOn(), Insecure: s.Insecure, Connections: s.Connections,
		MaxInflight: s.MaxInflight}
	switch {
	case s.HTTP2:
		cfg.Protocol = engine.HTTP2
	case s.H2C:
		cfg.Protocol = engine.H2C
	}
	var p pacer.Pacer
	switch {
	case s.Load.Shape == events.ShapeRamp:
		p = pacer.Linear{From: s.Load.From, To: s.Load.To, D: s.Duration.D()}
	case s.Load.Rate > 0:
		p = pacer.Constant{R: s.Load.Rate, D: s.Duration.D()}
	}
	if p != nil && n > 1 {
		p = pacer.Striped{P: p, K: int64(k), N: int64(n)}
	}
	cfg.Pacer = p
	if cfg.MaxInflight == 0 {
		cfg.MaxInflight = DefaultOpenInflight
		if p == nil {
			cfg.MaxInflight = DefaultClosedInflight
		}
	}
	return cfg
}
