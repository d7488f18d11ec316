// Package awssim is barrage's AWS deployment as AWS really behaves, in one
// process, for tests that need no server: the real handlers of the four
// functions (orchestrator/lambdas) run as in-process Lambda functions of an
// awslocal.Cloud, which the real launch code (pkg/launch, over the AWS SDK)
// calls through its HTTP endpoint; the store is a directory and the queues
// in memory, each behind a wrapper that misbehaves as S3 and SQS may.
//
// What it can make AWS do, per test:
//
//   - SQS: deliver a message twice at once, again after its visibility
//     timeout (an acknowledgement lost), late (a delay), or hold messages
//     of an earlier run; fail some entries of a batch send.
//   - Lambda: answer Invoke with TooManyRequestsException; accept an
//     asynchronous event and never run it; run at most N invocations at
//     once, queueing, retrying and expiring the rest as Lambda does.
//   - ECS: throttle RunTask, list tasks in failures[], start tasks that stop
//     before running.
//   - EventBridge Scheduler: fail CreateSchedule.
//   - S3: fail any operation on chosen keys.
//
// The same Cloud runs the real binaries under aws-lambda-rie in the
// end-to-end test (package integration, build tag integration).
package awssim
