package store

import (
	"path"
	"strconv"
)

// The key layout of a run, the same in every Store (DESIGN.md):
//
//	runs/{run}/spec.json                     the validated RunSpec
//	runs/{run}/plan.json                     the plan
//	runs/{run}/abort                         exists = stop now
//	runs/{run}/dispatch/w{N}.json            how far window N's dispatch got (AWS)
//	runs/{run}/shards/{shard}/claim          written once, by the worker that runs the shard
//	runs/{run}/shards/{shard}/missed         written when a delivery came after the shard's window
//	runs/{run}/shards/{shard}/progress.json  overwritten every few seconds while it runs
//	runs/{run}/shards/{shard}/result.json    written once: the ShardResult
//	runs/{run}/report.json (+ .txt, .md)     written once, by the reducer
//	runs/{run}/reducer-task.json             when the reducer Lambda started a Fargate task to reduce the run

// RunPrefix is the prefix of every key of run.
func RunPrefix(run string) string { return "runs/" + run + "/" }

// SpecKey, PlanKey, AbortKey and ReportKey name a run's objects.
func SpecKey(run string) string   { return RunPrefix(run) + "spec.json" }
func PlanKey(run string) string   { return RunPrefix(run) + "plan.json" }
func AbortKey(run string) string  { return RunPrefix(run) + "abort" }
func ReportKey(run string) string { return RunPrefix(run) + "report.json" }

// ReducerTaskKey names the record of the Fargate task that reduces run,
// when the run is too large for the reducer Lambda (plan.Reducer).
func ReducerTaskKey(run string) string { return RunPrefix(run) + "reducer-task.json" }

// DispatchKey names the record of the dispatch of window w of run.
func DispatchKey(run string, w int) string {
	return RunPrefix(run) + "dispatch/w" + strconv.Itoa(w) + ".json"
}

// ReportFile names a rendering of the report, such as "report.txt".
func ReportFile(run, name string) string { return RunPrefix(run) + name }

// ShardPrefix is the prefix of a shard's objects.
func ShardPrefix(run, shard string) string { return RunPrefix(run) + "shards/" + shard + "/" }

// ClaimKey, MissedKey, ProgressKey and ResultKey name a shard's objects.
func ClaimKey(run, shard string) string    { return ShardPrefix(run, shard) + "claim" }
func MissedKey(run, shard string) string   { return ShardPrefix(run, shard) + "missed" }
func ProgressKey(run, shard string) string { return ShardPrefix(run, shard) + "progress.json" }
func ResultKey(run, shard string) string   { return ShardPrefix(run, shard) + "result.json" }

// ShardOf returns the shard id and object name of a key under
// runs/{run}/shards/, and false for other keys.
func ShardOf(run, key string) (shard, name string, ok bool) {
	p := RunPrefix(run) + "shards/"
	if len(key) <= len(p) || key[:len(p)] != p {
		return "", "", false
	}
	dir, name := path.Split(key[len(p):])
	if dir == "" || name == "" {
		return "", "", false
	}
	return dir[:len(dir)-1], name, true
}
