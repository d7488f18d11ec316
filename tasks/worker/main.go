// Command worker is the Fargate task: it long-polls the Fargate shard queue
// and runs shards with the shared runtime until no shard comes for a while.
// Started with BARRAGE_REDUCE_RUN set (by the reducer Lambda, for a run too
// large for it: pkg/plan.Reducer), it reduces that run instead and exits.
// On SIGTERM (a Spot interruption, or ECS stopping the task) it stops
// sending, uploads what it measured as truncated, and exits well within the
// task's 120-second stop timeout.
package main

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	a, err := lambdas.FromEnv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if run := os.Getenv(stack.EnvReduceRun); run != "" {
		reduce.Budget(reduce.BudgetFromEnv()) // the task does nothing but reduce
		r, err := reduce.Reduce(ctx, a.Store, run)
		if err != nil {
			logger.Error("reduce", "run", run, "err", err)
			os.Exit(1)
		}
		logger.Info("reduced", "run", run, "requests", r.Requests, "shards", len(r.Shards))
		return
	}
	if a.FargateQueue == nil {
		log.Fatal("BARRAGE_FARGATE_QUEUE_URL is not set")
	}
	rt := &worker.Runtime{Store: a.Store, Kind: events.KindFargate, Log: logger, Guard: a.Limits.Guard(), Secrets: a.Secrets, EMF: os.Stdout}
	outs, err := rt.Serve(ctx, a.FargateQueue, worker.ServeOptions{IdleExit: 30 * time.Second, Visibility: 5 * time.Minute})
	logger.Info("task done", "shards", len(outs), "err", err)
	if err != nil && ctx.Err() == nil {
		os.Exit(1)
	}
}
