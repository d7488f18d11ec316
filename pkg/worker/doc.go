// Package worker is the shard runtime every barrage worker runs, on this
// host (a goroutine or a `barrage worker` process), in a Lambda function or
// in a Fargate task: one code path whatever the backend.
//
// For each delivered shard it
//
//  1. sends nothing if the delivery came after the shard's not_after, and
//     records the shard as missed;
//  2. claims the shard with a conditional create in the store; a second
//     delivery finds the claim and sends nothing (at-least-once queues and
//     asynchronous Lambda invocations do deliver twice);
//  3. reads the run's spec, waits for the shard's window to start, and
//     records how late it began (start skew);
//  4. runs the engine, polling the run's abort marker every second and
//     stopping within two seconds of it, and stopping early enough before
//     its own deadline (a Lambda's) to upload;
//  5. makes the shard's live progress (events.ShardProgress) every few
//     seconds while it runs, writes it to the store and hands it to the
//     Runtime's Progress hook, if any, and as CloudWatch EMF lines to
//     Runtime.EMF, if set (progress.go, emf.go; the whole path of live
//     progress is described in package pkg/live);
//  6. writes its result once, with a conditional create: the engine's
//     result in the wire's form (shardResult, the one place histograms are
//     encoded); the caller then acknowledges the delivery.
//
// The runtime is given what reaches outside the process: its store, its
// queue and the sources of the scenarios' secrets (Runtime.Secrets). The
// mains build them (pkg/awsenv on AWS), so that this package links no
// cloud SDK.
package worker
