// Package orchestrator turns a validated RunSpec into shards, runs them on a
// backend and merges their results into the run's report. The local backend
// runs every shard in this process; later backends dispatch the same shards to
// AWS Lambda and Fargate.
package orchestrator
