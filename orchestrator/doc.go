// Package orchestrator turns a validated RunSpec into shards, runs them on a
// backend and merges their results into the run's report. A Backend submits,
// follows, aborts and reports runs: LocalBackend runs every shard on this host
// (goroutines or `barrage worker` processes), APIBackend on a deployed stack
// through its REST API (AWS Lambda and Fargate, dispatched by AWS). Execute is
// the one follow loop of `barrage run` over either: its deadline, the live
// threshold aborts and the find-max staircase's early stop (judged by package
// pkg/live, on the status's live progress: see there) and search.
// Behind the REST API (orchestrator/api), AWS is the deployed backend and
// LocalRuns the local one that `barrage serve` serves.
package orchestrator
