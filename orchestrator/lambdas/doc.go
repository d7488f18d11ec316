// Package lambdas holds the logic of barrage's AWS functions and Fargate
// task, so that each functions/*/main.go and tasks/worker only wire: the
// worker (a shard from the queue, or an SQS event), the reducer (S3 result
// events and the deadline schedule), the REST API (orchestrator/api's
// handler behind API Gateway, adapted by aws-lambda-go-api-proxy), and the
// scheduler (stored specs on EventBridge schedules, and the dispatch of
// runs and windows).
//
// FromEnv builds their orchestrator.AWS from the environment the stack
// sets: its store, queues, launchers and secret sources come from one
// awsenv.Load (pkg/awsenv is where AWS is wired).
package lambdas
