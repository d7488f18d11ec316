// Package events holds barrage's wire schemas: every JSON document that
// crosses a process, machine or version boundary. Who writes each, and who
// reads it:
//
// Stored with a run (runs/{run}/… in the store: a directory, or S3):
//
//   - RunSpec (spec.json): what to test (targets, load shape, connection
//     mode). Users write it as YAML or JSON (pkg/spec decodes it); where it
//     enters barrage (barrage run, the API function, the scheduler
//     function) pkg/prepare prepares it (defaults, validation, its
//     scenarios compiled) and the prepared spec is stored; the dispatcher,
//     the workers and the reducer read it as it is. RunSpec.Validate checks
//     what this package can see on its own.
//   - Plan (plan.json), its PlanShards: the shards, their windows, the
//     planner's reasons and cost. The planner (pkg/plan) makes it where the
//     spec is stored, and barrage plan --json prints it; the dispatcher, a
//     status read, the reducer and the command read it.
//   - Claim (shards/{shard}/claim, and missed): a worker claims a shard with
//     it; a worker or the dispatcher marks a shard missed with it, saying
//     why. Workers read a claim to learn whose it is, the reducer a missed
//     marker to say why.
//   - ShardProgress (shards/{shard}/progress.json): a running worker's
//     interim figures, every few seconds; status reads (with LiveShard, the
//     run status's live list) and live displays read it; package pkg/live
//     merges and judges them, and describes their whole path.
//   - ShardResult (shards/{shard}/result.json): what one worker measured for
//     its shard (counters, encoded histograms, a per-second series, the
//     generator's health, and for one shard per window the spec's monitor
//     endpoints scraped, pkg/monitor), written once by the worker
//     (pkg/worker maps the engine's result to it); the reducer reads it.
//   - Report (report.json): the merged result of a run, written by the
//     reducer; the API, the command and people read it. Its field names are
//     part of the public contract (CONTRACT.md).
//   - Dispatch (dispatch/w{window}.json): how far the dispatch of one window
//     on AWS got; the dispatcher writes and re-reads it, the reducer reads
//     it to say why a shard never ran.
//
// Sent to a queue (SQS, or a local run's own queue):
//
//   - ShardMessage: one shard to run, sent by the dispatcher (or a local
//     run), received by a worker. It and PlanShard share ShardWindow, which
//     also says what each time of a run counts from.
//
// Lambda invocation payloads (invoke.go):
//
//   - DispatchPayload: dispatch a window; the API function (handing a run
//     over) and the dispatch of window 0 (an EventBridge schedule per later
//     window) write it, the scheduler function (functions/scheduler, which
//     dispatches) reads it.
//   - StoredSpecPayload: start a stored spec; the stack's recurring
//     EventBridge schedules carry it (written by the CDK app), the scheduler
//     function reads it.
//   - ReducePayload: report a run whatever has arrived; the dispatcher's
//     schedule at the run's deadline and an overdue status read write it,
//     the reducer function reads it.
//   - WorkerPayload: take shards from the Lambda queue; the dispatcher
//     writes it, the worker function runs on it. WorkerResponse is that
//     function's answer.
//
// REST API bodies (api.go; CONTRACT.md, "REST API"), between the API
// function and the command line (orchestrator.APIClient) or scripts:
// SubmitRequest and SubmitResponse (POST /runs), RunStatus (GET /runs/{id},
// whose answer also carries the running shards' live figures,
// orchestrator.Status), ReportLink (GET /runs/{id}/report?format=…),
// AbortResponse (DELETE /runs/{id}), and ErrorBody for every error.
//
// Not here: the shapes AWS defines (S3 and SQS events, API Gateway
// requests: aws-lambda-go's events), and the JSON protocol of pkg/queue's
// HTTP queue, which only the one binary speaks to itself on 127.0.0.1
// (barrage run --procs and its worker processes) and which stores nothing.
//
// Every stored or queued document carries a Version field (but
// ShardProgress: see there); the invocation
// payloads and API bodies are told apart by their shape and only ever gain
// fields. Every field is documented where it is declared, and testdata/
// holds a fixture of each document that the tests round-trip
// (testdata/legacy: encodings of earlier versions that must still read the
// same). The package uses the standard library only: histograms travel as
// opaque bytes (Histogram) in the encoding of package pkg/hist.
package events
