package events

import "time"

// ShardProgress is a running shard's live figures: what it has done so far
// and over its last interval. It is the one type of live progress on every
// path: a worker makes one every few seconds (pkg/worker) and writes it,
// overwriting the last, to runs/{run}/shards/{shard}/progress.json; an
// in-process worker also hands it to the local backend directly; the run's
// status lists the running shards' latest (LiveShard, GET /runs/{id} live);
// package pkg/live merges and judges them.
//
// Its one time base is the run's: Elapsed counts from the run's start
// (arrival 0 of the global schedule, the plan's start_at), whatever the
// shard's window. The worker, which knows its window, adds the window's
// offset once, when it makes the progress.
//
// It carries no version: it is overwritten every few seconds, never kept
// past its run, and read only by the deployment that wrote it (a stack's
// API and workers, a local run's one binary); and each status live entry
// embeds it, whose fields CONTRACT.md lists.
type ShardProgress struct {
	// T is when the figures were taken.
	T time.Time `json:"t"`
	// Elapsed is how far into the run's schedule the figures were taken
	// (the end of the last interval), from the run's start, in seconds.
	Elapsed Seconds `json:"elapsed_s"`
	// Requests, Errors and Dropped are totals so far: requests completed,
	// those that failed in transport (errors, timeouts), and arrivals not
	// sent (every slot busy, or reached too late).
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	// Failed counts the requests so far that were not a success (transport
	// errors, statuses outside 2xx/3xx), as the report's error ratio does;
	// it includes Errors. 0 from a worker older than it.
	Failed  int64 `json:"failed"`
	Dropped int64 `json:"dropped"`
	// Rate is requests sent per second in the last interval.
	Rate float64 `json:"rate"`
	// P99 is the 99th percentile latency so far, from the intended send,
	// in milliseconds.
	P99 Millis `json:"p99_ms"`
	// IntervalRequests, IntervalSuccess and IntervalP99 are the last
	// interval's (since the shard's previous progress, ending at Elapsed):
	// requests completed, those that succeeded, and their p99 latency (an
	// interval that merges several keeps the highest). For live
	// judgements, such as ending a find-max staircase once a step broke its
	// SLO.
	IntervalRequests int64  `json:"interval_requests"`
	IntervalSuccess  int64  `json:"interval_success"`
	IntervalP99      Millis `json:"interval_p99_ms"`

	// Sent is the requests started so far, DroppedLate the dropped
	// arrivals (among Dropped) that were reached too late, and Inflight
	// the requests in flight when the figures were taken (added by issue
	// 13, for live metrics: Prometheus locally, CloudWatch EMF on AWS).
	Sent        int64 `json:"sent,omitempty"`
	DroppedLate int64 `json:"dropped_late,omitempty"`
	Inflight    int64 `json:"inflight,omitempty"`
	// ErrorClasses counts the transport errors so far by class (the
	// contract's error classes, such as "timeout"); they add up to Errors.
	ErrorClasses map[string]int64 `json:"error_classes,omitempty"`
	// Latency is the distribution of the latencies so far, from the
	// intended send; nil from a worker older than it.
	Latency *LatencyBuckets `json:"latency,omitempty"`
}

// LatencyBucketsMs are the upper bounds, in milliseconds, of the live
// latency buckets (LatencyBuckets): Prometheus's histogram buckets and
// the live figures share them.
var LatencyBucketsMs = [...]float64{1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}

// LatencyBuckets is a latency distribution in the buckets of
// LatencyBucketsMs, cumulative as Prometheus's histograms are.
type LatencyBuckets struct {
	// Counts[i] is the latencies at most LatencyBucketsMs[i]; a count of
	// another length is not of these buckets.
	Counts []int64 `json:"counts"`
	// Count is every latency (the +Inf bucket); SumMs is their sum, in
	// milliseconds.
	Count int64   `json:"count"`
	SumMs float64 `json:"sum_ms"`
}

// Since returns p with the intervals of prev, an earlier progress of the
// same shard that no one saw, added to its own: a progress that stands for
// both, so that live judgements still see every request.
func (p ShardProgress) Since(prev ShardProgress) ShardProgress {
	p.IntervalRequests += prev.IntervalRequests
	p.IntervalSuccess += prev.IntervalSuccess
	p.IntervalP99 = max(p.IntervalP99, prev.IntervalP99)
	return p
}

// FailedOrErrors is the requests so far that were not a success: Failed,
// or Errors from a worker that does not count Failed (a lower bound).
func (p ShardProgress) FailedOrErrors() int64 { return max(p.Failed, p.Errors) }

// LiveShard is one entry of a run status's live list (GET /runs/{id},
// barrage status --json): a running shard's latest progress, and which
// shard it is.
type LiveShard struct {
	// Shard is the shard's index in the run's plan (Plan.Shards).
	Shard int `json:"shard"`
	ShardProgress
}
