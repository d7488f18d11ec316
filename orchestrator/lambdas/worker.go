package lambdas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/worker"
)

// Worker is the worker Lambda: an asynchronous invocation takes one shard
// from the Lambda queue and runs it; an SQS event (an event source mapping
// with batch size 1) runs the shards it carries and reports those that
// failed as partial batch failures. Either way the shard stops early enough
// before the invocation's deadline to upload its result.
type Worker struct {
	Store store.Store
	Queue queue.Queue
	Log   *slog.Logger
	// Serve bounds an asynchronous invocation's queue loop; the zero value
	// is DefaultServe (tests shorten it).
	Serve worker.ServeOptions
	// Engine adjusts each shard's engine configuration (tests).
	Engine func(*engine.Config)
	// Guard is the deployment's host guard (orchestrator.Limits.Guard):
	// its allow-list, and no loopback.
	Guard hostguard.Guard
	// Secrets reads the ssm: and secretsmanager: references of the
	// scenarios (orchestrator.AWS.Secrets); nil reads env: and file: only.
	Secrets secret.Sources
	// EMF receives the shards' live metrics as CloudWatch embedded metric
	// format lines (the main passes stdout); nil writes none.
	EMF io.Writer
}

// DefaultServe is how an asynchronous invocation takes shards: until one
// shard ran (deliveries found stale do not count), or 30 s without one;
// the long poll waits for the dispatcher's send to become visible, and
// visibility covers the whole invocation.
var DefaultServe = worker.ServeOptions{MaxShards: 1, IdleExit: 30 * time.Second, Wait: 20 * time.Second, Visibility: 16 * time.Minute}

// Handle implements the function.
func (w *Worker) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	rt := &worker.Runtime{Store: w.Store, Kind: events.KindLambda, Log: w.Log, Engine: w.Engine, Guard: w.Guard, Secrets: w.Secrets, EMF: w.EMF}
	if d, ok := ctx.Deadline(); ok {
		rt.Deadline = d
	}
	var probe struct {
		Records []lambdaevents.SQSMessage `json:"Records"`
	}
	if json.Unmarshal(payload, &probe) == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs" {
		resp := lambdaevents.SQSEventResponse{BatchItemFailures: []lambdaevents.SQSBatchItemFailure{}}
		for _, r := range probe.Records {
			var m events.ShardMessage
			if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
				continue // not a shard: nothing to retry
			}
			if _, err := rt.RunShard(ctx, m); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
	if w.Queue == nil {
		return nil, fmt.Errorf("worker: invoked without an SQS event and no queue configured")
	}
	o := w.Serve
	if o == (worker.ServeOptions{}) {
		o = DefaultServe
	}
	outs, err := rt.Serve(ctx, w.Queue, o)
	if err != nil {
		return nil, err
	}
	var resp events.WorkerResponse
	for _, o := range outs {
		resp.Outcomes = append(resp.Outcomes, string(o))
	}
	return resp, nil
}
