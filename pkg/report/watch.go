package report

import (
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
)

// Live is a shard's figures so far, as its progress reports them.
type Live struct {
	// Requests and Errors (transport errors and timeouts) completed so far.
	Requests, Errors int64
	// Failed counts the requests so far that were not a success: Errors and
	// the statuses outside 2xx/3xx (0 from a worker that does not count it).
	Failed int64
	// P99 is the shard's p99 latency so far, from the intended send.
	P99 time.Duration
}

// Watch judges the thresholds that have an abort on live figures, and says
// when one has been broken for its abort.after. It reads no clock: each
// update carries the run's elapsed time. It is not safe for concurrent use.
//
// Live figures are cumulative and per shard, and carry neither status codes
// nor a histogram, so Watch judges bounds it can prove from them:
//
//   - p99: the lowest p99 so far of the shards. A quantile of merged
//     histograms is at least the lowest of their quantiles, so when even the
//     best shard is above the limit, the run's p99 so far is too.
//   - error_ratio: failed requests (transport errors and statuses other
//     than 2xx/3xx, Live.Failed) over requests, all shards added up: the
//     report's error ratio so far. A shard whose progress does not count
//     failures (an older worker) adds its transport errors, a lower bound.
type Watch struct {
	ths    []events.Threshold
	since  []time.Duration // when each threshold was first seen broken; -1 while it holds
	shards []Live
	seen   []bool
}

// NewWatch returns a Watch over the thresholds of ths that have an abort, for
// a run of n shards, or nil when none has.
func NewWatch(ths []events.Threshold, n int) *Watch {
	w := &Watch{shards: make([]Live, n), seen: make([]bool, n)}
	for _, t := range ths {
		if t.Abort != nil && t.Target == "" && t.Step == 0 &&
			(t.Metric == events.MetricP99 || t.Metric == events.MetricErrorRatio) {
			w.ths = append(w.ths, t)
			w.since = append(w.since, -1)
		}
	}
	if len(w.ths) == 0 || n <= 0 {
		return nil
	}
	return w
}

// Update records shard k's figures at elapsed time at, and returns a
// description of the first threshold that has now been broken for its
// abort.after, or "".
func (w *Watch) Update(k int, at time.Duration, l Live) string {
	if k < 0 || k >= len(w.shards) {
		return ""
	}
	w.shards[k], w.seen[k] = l, true
	for i, t := range w.ths {
		actual, ok := w.live(t.Metric)
		if !ok || events.Holds(actual, t.OpOrDefault(), t.Value.Float()) {
			w.since[i] = -1
			continue
		}
		if w.since[i] < 0 {
			w.since[i] = at
		}
		if after := t.Abort.After.D(); at-w.since[i] >= after {
			return fmt.Sprintf("threshold %s %s %s broken for %s (%s so far): stopping the run",
				t.Metric, t.OpOrDefault(), t.Value, after, value(actual, unitOf(t.Metric)))
		}
	}
	return ""
}

// live returns the metric's proven bound so far; false until every shard
// has reported a request.
func (w *Watch) live(metric string) (float64, bool) {
	var requests, errs int64
	best := time.Duration(-1)
	for k, l := range w.shards {
		if !w.seen[k] || l.Requests == 0 {
			return 0, false
		}
		requests += l.Requests
		errs += max(l.Failed, l.Errors)
		if best < 0 || l.P99 < best {
			best = l.P99
		}
	}
	if metric == events.MetricErrorRatio {
		return ratio(errs, requests), true
	}
	return ms(best), true
}
