package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// workerFlags are the flags of barrage worker.
type workerFlags struct {
	store, queue, kind string
	maxShards          int
	idle               time.Duration
	quiet              bool
}

func defineWorker(fs *flagSet) runner {
	var w workerFlags
	fs.StringVar(&w.store, "store", "", "the run store `S`: a directory, or s3://bucket[/prefix]")
	fs.StringVar(&w.queue, "queue", "", "the shard queue `Q`: http://127.0.0.1:PORT (a local run), or an SQS queue URL")
	fs.Var(oneOf(&w.kind, events.KindLocal, events.KindLocal, events.KindLambda, events.KindFargate), "kind", "the worker kind recorded in results")
	fs.IntVar(&w.maxShards, "max-shards", 0, "exit after running `N` shards; 0: no limit")
	fs.DurationVar(&w.idle, "idle-exit", time.Minute, "exit after a duration `D` without a shard; 0: never")
	fs.BoolVar(&w.quiet, "quiet", false, "no log lines")
	return func(pos []string, std stdio) error {
		if len(pos) > 0 {
			return badInput("worker takes no arguments, got %s", strings.Join(pos, " "))
		}
		return cmdWorker(w, std.err)
	}
}

// cmdWorker runs shards from a queue: barrage worker --store S --queue Q.
// The local backend starts these for --procs; the Fargate task runs one.
func cmdWorker(w workerFlags, stderr io.Writer) error {
	if w.store == "" || w.queue == "" {
		return badInput("worker needs --store and --queue")
	}
	// One AWS configuration for the store, the queue and the secrets,
	// loaded if one of them needs it.
	cloud := &awsenv.Lazy{}
	st, err := openStore(w.store, cloud)
	if err != nil {
		return badInput("--store: %v", err)
	}
	q, err := openQueue(w.queue, cloud)
	if err != nil {
		return badInput("--queue: %v", err)
	}
	// An interrupt stops scheduling; the abort marker, or SIGKILL, the rest.
	sched, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt := &worker.Runtime{Store: st, Kind: w.kind, Log: workerLog(stderr, w.quiet), ProgressEvery: time.Second,
		Secrets: cloud.SecretSources()}
	if w.kind != events.KindLocal {
		rt.ProgressEvery = worker.DefaultProgressEvery
		// On AWS: the deployment's allow-list, and no loopback, as the
		// functions and the task have.
		rt.Guard = lambdas.LimitsFromEnv().Guard()
	}
	_, err = rt.Serve(sched, q, worker.ServeOptions{MaxShards: w.maxShards, IdleExit: w.idle})
	return err
}

// openStore opens a store: a directory, or s3://bucket/prefix (with cloud's
// configuration; BARRAGE_S3_ENDPOINT overrides the endpoint).
func openStore(u string, cloud *awsenv.Lazy) (store.Store, error) {
	if !strings.HasPrefix(u, "s3://") {
		return store.Dir{Root: u}, nil
	}
	env, err := cloud.Get(context.Background())
	if err != nil {
		return nil, err
	}
	return env.Store(u)
}

// openQueue opens a queue: the local run's http://127.0.0.1:PORT, or an
// SQS queue URL (with cloud's configuration; BARRAGE_SQS_ENDPOINT overrides
// the endpoint).
func openQueue(u string, cloud *awsenv.Lazy) (queue.Queue, error) {
	if strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasPrefix(u, "http://[::1]:") {
		return &queue.HTTPClient{URL: u}, nil
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return nil, fmt.Errorf("unsupported queue %q (want http://127.0.0.1:PORT or an SQS queue URL)", u)
	}
	env, err := cloud.Get(context.Background())
	if err != nil {
		return nil, err
	}
	return env.Queue(u)
}

// workerLog writes the workers' log lines to w, or nowhere when quiet.
func workerLog(w io.Writer, quiet bool) *slog.Logger {
	if quiet {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
