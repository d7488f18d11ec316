// Package live merges and judges a run's live progress: the figures its
// running shards report while it runs, before any result exists.
//
// Live progress, end to end (this is its one map):
//
//   - The engine calls its Config.Progress about once a second with an
//     engine.Progress: totals so far and the last second's interval, timed
//     from the shard's window start.
//   - The worker runtime (pkg/worker, progress.go) turns it, in one
//     function, into the one wire type, events.ShardProgress, timed from the
//     run's start (the window's offset added): at most every ProgressEvery,
//     the intervals in between added up. It writes it to the store
//     (runs/{run}/shards/{shard}/progress.json, overwritten) and, when the
//     runtime has a Progress hook, hands it over in process.
//   - A run's status (orchestrator.Status, GET /runs/{id}, barrage status)
//     lists its running shards' latest progress as events.LiveShard (the
//     progress and the shard's index in the plan). On AWS, and locally with
//     worker processes, it is read from progress.json; a local run whose
//     workers are goroutines learns their progress from the hook and never
//     reads it back from its store.
//   - orchestrator.Execute, the follow loop of barrage run on every
//     backend, feeds each status's live list to a Run (See): it keeps each
//     shard's latest progress, merges them (Totals, which the command's
//     progress line shows), and judges them (Verdict): thresholds with an
//     abort, and a find-max staircase's early end.
//   - Live metrics: with --metrics-addr, barrage run also hands each look
//     to a Metrics (metrics.go), which serves the shards' progress added
//     up in Prometheus's text format, and the report's counts once there
//     is one. On AWS each worker also prints its progress as CloudWatch
//     embedded-metric-format lines (pkg/worker, emf.go), which the stack's
//     dashboard plots.
//
// Judging reads no clock: a progress carries its time into the run, so the
// tests feed intervals row by row.
//
// # Thresholds with an abort
//
// A run-wide p99 or error_ratio threshold with abort.after is judged on
// the bounds the live figures prove (Totals.Bound) once every shard has
// completed a request; one broken for its abort.after (timed by the
// progress's elapsed times) stops the run at once.
//
// # The find-max staircase
//
// A step that clearly broke the SLO ends the staircase at the step's end
// (see staircase): two intervals in a row with a p99 above twice the SLO's,
// or more than twice the SLO's error ratio over the step's judged
// intervals. The report's verdicts are exact and come later; this only
// decides when to stop.
package live
