// Package events holds barrage's wire schemas: the JSON documents that cross
// process, machine and version boundaries.
//
//   - RunSpec: what to test (targets, load shape, connection mode). Written by
//     users as YAML or JSON, validated by the orchestrator, stored with a run.
//   - ShardResult: what one worker measured for its shard: counters, encoded
//     histograms, a per-second time series and the generator's health.
//   - Report: the merged result of a run (report.json), whose field names are
//     part of the public contract (CONTRACT.md).
//   - ShardProgress: a running shard's live figures (progress.json, and with
//     LiveShard the run status's live list); package pkg/live merges and
//     judges them, and describes their whole path.
//
// Every document carries a Version field, but for ShardProgress (see there).
// Every field is documented where it is declared, and testdata/ holds a
// fixture of each document that the tests round-trip. The package uses the standard library only: histograms travel as
// opaque bytes (Histogram) in the encoding of package pkg/hist.
package events
