package main

import (
	"context"
	"flag"
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
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/store/s3store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// cmdWorker runs shards from a queue: barrage worker --store S --queue Q.
// The local backend starts these for --procs; the Fargate task runs one.
func cmdWorker(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeURL := fs.String("store", "", "the run store: a directory, or s3://bucket/prefix")
	queueURL := fs.String("queue", "", "the shard queue: http://127.0.0.1:PORT (a local run) or an SQS queue URL")
	kind := fs.String("kind", events.KindLocal, "worker kind recorded in results: local, lambda, fargate")
	maxShards := fs.Int("max-shards", 0, "exit after this many shards (0: no limit)")
	idle := fs.Duration("idle-exit", time.Minute, "exit after this long without a shard (0: never)")
	quiet := fs.Bool("quiet", false, "no log lines")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *storeURL == "" || *queueURL == "" {
		return badInput("worker needs --store and --queue")
	}
	st, err := openStore(*storeURL)
	if err != nil {
		return badInput("--store: %v", err)
	}
	q, err := openQueue(*queueURL)
	if err != nil {
		return badInput("--queue: %v", err)
	}
	// An interrupt stops scheduling; the abort marker, or SIGKILL, the rest.
	sched, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt := &worker.Runtime{Store: st, Kind: *kind, Log: workerLog(stderr, *quiet), ProgressEvery: time.Second}
	if *kind != events.KindLocal {
		rt.ProgressEvery = worker.DefaultProgressEvery
		// On AWS: the deployment's allow-list, and no loopback, as the
		// functions and the task have.
		rt.Guard = lambdas.LimitsFromEnv().Guard()
	}
	_, err = rt.Serve(sched, q, worker.ServeOptions{MaxShards: *maxShards, IdleExit: *idle})
	return err
}

// openStore opens a store: a directory, or s3://bucket/prefix (with the
// default AWS configuration; BARRAGE_S3_ENDPOINT overrides the endpoint).
func openStore(u string) (store.Store, error) {
	if strings.HasPrefix(u, "s3://") {
		return s3store.Open(context.Background(), u)
	}
	return store.Dir{Root: u}, nil
}

// openQueue opens a queue: the local run's http://127.0.0.1:PORT, or an
// SQS queue URL (BARRAGE_SQS_ENDPOINT overrides the endpoint).
func openQueue(u string) (queue.Queue, error) {
	if strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasPrefix(u, "http://[::1]:") {
		return &queue.HTTPClient{URL: u}, nil
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return sqsqueue.Open(context.Background(), u)
	}
	return nil, fmt.Errorf("unsupported queue %q (want http://127.0.0.1:PORT or an SQS queue URL)", u)
}

// workerLog writes the workers' log lines to w, or nowhere when quiet.
func workerLog(w io.Writer, quiet bool) *slog.Logger {
	if quiet {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
