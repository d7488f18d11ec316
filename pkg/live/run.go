package live

import (
	"time"

	"github.com/barrage-load/barrage/events"
)

// Run is one run's live view: each shard's latest progress, the figures
// merged over them (Totals), and what they say (See). It reads no clock:
// each progress carries its time into the run. It is not safe for
// concurrent use.
type Run struct {
	shards []events.ShardProgress // by index in the plan; zero until seen
	ths    *thresholds            // nil: none to judge (any more)
	stair  *staircase             // nil: not a find-max staircase
}

// New returns the live view of a run of n shards, which judges the
// thresholds of ths that have an abort and, for a find-max load, its
// staircase. With no thresholds and a zero load it only merges.
func New(n int, ths []events.Threshold, load events.Load) *Run {
	r := &Run{shards: make([]events.ShardProgress, max(n, 0)), stair: newStaircase(load)}
	if n > 0 {
		r.ths = newThresholds(ths)
	}
	return r
}

// Verdict is what a run's live progress says; each part is said at most
// once per run.
type Verdict struct {
	// Stop, if set, says which threshold has been broken for its
	// abort.after: the run is to stop now.
	Stop string
	// Broke, if set, is the find-max step that clearly broke its SLO, and
	// Why says how: the staircase ends with it, at its end.
	Broke *events.Step
	Why   string
}

// See records the progress in live (a run status's live list), in order,
// and judges each that is newer than its shard's last; a progress seen
// before, or of a shard the run does not have, is skipped.
func (r *Run) See(live []events.LiveShard) Verdict {
	var v Verdict
	for _, l := range live {
		if l.Shard < 0 || l.Shard >= len(r.shards) || !l.T.After(r.shards[l.Shard].T) {
			continue
		}
		r.shards[l.Shard] = l.ShardProgress
		if r.ths != nil && v.Stop == "" {
			v.Stop = r.ths.judge(r.Totals(), l.Elapsed.D())
		}
		if s, why, ok := r.stair.add(l.ShardProgress); ok {
			v.Broke, v.Why = &s, why
		}
	}
	if v.Stop != "" {
		r.ths = nil
	}
	return v
}

// Totals are a run's live figures: its shards' latest progress added up.
type Totals struct {
	// Shards is how many shards the run has; Sending, how many of them
	// have reported a completed request.
	Shards, Sending int
	// Requests, Failed and Dropped add up the shards' totals so far.
	// Failed counts the requests that were not a success (a shard whose
	// worker does not count them adds its transport errors).
	Requests, Failed, Dropped int64
	// BestP99 and WorstP99 are the lowest and the highest p99 so far of
	// the shards that have completed a request.
	BestP99, WorstP99 time.Duration
}

// Totals merges the shards' latest progress.
func (r *Run) Totals() Totals {
	t := Totals{Shards: len(r.shards)}
	for _, p := range r.shards {
		t.Requests += p.Requests
		t.Failed += p.FailedOrErrors()
		t.Dropped += p.Dropped
		if p.Requests == 0 {
			continue
		}
		if t.Sending == 0 || p.P99.D() < t.BestP99 {
			t.BestP99 = p.P99.D()
		}
		t.WorstP99 = max(t.WorstP99, p.P99.D())
		t.Sending++
	}
	return t
}

// Bound is the figure of metric (p99 in milliseconds, or error_ratio)
// that the whole run provably has reached so far; false until every shard
// has completed a request.
//
// Live figures are cumulative and per shard, and carry neither status
// codes nor a histogram, so the bounds are those they prove:
//
//   - p99: the lowest p99 so far of the shards. A quantile of merged
//     histograms is at least the lowest of their quantiles, so when even
//     the best shard is above a limit, the run's p99 so far is too.
//   - error_ratio: failed requests (transport errors and statuses other
//     than 2xx/3xx) over requests, all shards added up: the report's error
//     ratio so far. A shard whose progress does not count failures (an
//     older worker) adds its transport errors, a lower bound.
func (t Totals) Bound(metric string) (float64, bool) {
	if t.Shards == 0 || t.Sending < t.Shards {
		return 0, false
	}
	switch metric {
	case events.MetricP99:
		return float64(t.BestP99) / float64(time.Millisecond), true
	case events.MetricErrorRatio:
		return float64(t.Failed) / float64(t.Requests), true
	}
	return 0, false
}
