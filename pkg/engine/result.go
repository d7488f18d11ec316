package engine

import (
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
)

// Why scheduling stopped before the schedule's end (Result.Stopped).
const (
	StopAborted     = "aborted"     // the abort context ended: requests in flight were cut off
	StopInterrupted = "interrupted" // the scheduling context ended
)

// Result is what one engine run measured: the shard's counters and latency
// histograms, the same for each target, one point per second, and the
// generator's health. The worker turns it into the wire's
// events.ShardResult, encoding the histograms there. Counts and Health are
// plain figures in the wire's own terms, so the engine fills those types
// directly.
type Result struct {
	// Stopped says why scheduling ended early: StopAborted or
	// StopInterrupted; empty when the schedule (or the closed loop's
	// duration) ran to its end.
	Stopped string
	// Start is when time 0 of the engine's schedule was (Config.Start: for
	// a shard, its window's start), and StartSkew how late the schedule
	// began after it.
	Start     time.Time
	StartSkew time.Duration
	// Send is how long arrivals were scheduled (the send window); End is
	// when the last request in flight finished.
	Send time.Duration
	End  time.Time
	// PlannedRate is the schedule's mean arrivals per second over its whole
	// length, and PlannedArrivals how many of its arrivals were due within
	// Send; both 0 for a closed loop.
	PlannedRate     float64
	PlannedArrivals int64
	// Counts are the totals over HTTP requests: a journey's iterations are
	// not requests (their target counts them), its dropped arrivals are.
	Counts events.Counts
	// Latency is measured from each request's due time, LatencyUncorrected
	// from its actual send, over the requests that got a response or timed
	// out; Lag is actual send minus due time, of every request sent.
	Latency, LatencyUncorrected, Lag *hist.Histogram
	// Targets breaks the figures down per target, in the engine's order
	// (the spec's targets, then each journey's iterations and steps).
	Targets []TargetResult
	// Series holds one point per second of the run.
	Series []Second
	// Health is how the generator fared, with one sample per second.
	Health events.Health
	// Slots is how many in-flight slots the run started, each with its
	// own connections: a slot is started only when every other one is busy,
	// so it is the run's peak concurrency as the scheduler met it. With
	// keep-alive and a server that keeps connections, each slot dials once
	// per endpoint.
	Slots int
}

// TargetResult is one target's share of a Result.
type TargetResult struct {
	// Name is the target's name; for a journey, its name (its iterations)
	// or "JOURNEY/STEP".
	Name string
	// Kind is "" for a target, events.TargetIteration for a journey's
	// iterations, events.TargetStep for one of its steps; Group is the
	// journey of an iteration or a step.
	Kind, Group string
	// Counts are the target's counters; Dropped counts the arrivals
	// assigned to it that were dropped.
	Counts events.Counts
	// Latency and LatencyUncorrected as in Result.
	Latency, LatencyUncorrected *hist.Histogram
}

// Second is one second of a run: requests are placed in the second in which
// they completed, drops in the second they were due.
type Second struct {
	// Start is when the second starts: the run's start plus whole seconds.
	Start time.Time
	// Requests, Success and Errors count the requests that completed in
	// the second; Dropped the arrivals due in it that were dropped.
	Requests, Success, Errors, Dropped int64
	// ErrorClasses breaks Errors down by error class (indexed by
	// errclass.Class; None is always 0): a fixed array, so that closing a
	// second allocates no map.
	ErrorClasses [errclass.NumClasses]int64
	// Latency holds those requests' latencies from their due time, in the
	// encoding of package hist (hist.Decode reads it). It is kept encoded,
	// a few hundred bytes, where a histogram takes about 180 KB: one per
	// second of a 14-minute window would hold 150 MB. LatencyUncorrected
	// holds the same requests' latencies from their actual send, encoded
	// alike.
	Latency, LatencyUncorrected []byte
	// Targets holds the second's latencies from the due time per target,
	// in the order of Result.Targets, encoded alike (nil for a target
	// without any); nil unless the run has 2 to MaxSeriesTargets targets.
	Targets [][]byte
}

// result merges the stripes into the run's result.
func (e *Engine) result(send time.Duration, smp *sampler) *Result {
	res := &Result{Start: e.start, Send: send, End: time.Now(), Series: smp.series}
	e.mu.Lock()
	res.Slots = len(e.workers)
	e.mu.Unlock()
	if p := e.cfg.Pacer; p != nil {
		res.PlannedArrivals = p.Arrivals(send)
		if p.Length() > 0 {
			res.PlannedRate = float64(p.Arrivals(p.Length())) / p.Length().Seconds()
		}
	}
	var total counts
	res.Latency, res.LatencyUncorrected, res.Lag = hist.New(), hist.New(), hist.New()
	for ti, name := range e.names {
		var c counts
		tl, tu := hist.New(), hist.New()
		for _, st := range e.stripes {
			ts := &st.targets[ti]
			c.add(&ts.counts)
			if ts.lat != nil {
				mergeOrPanic(tl, ts.lat)
				mergeOrPanic(tu, ts.unc)
			}
		}
		// The totals count HTTP requests: a journey's iterations are kept
		// out of them, but its dropped arrivals are not (see Journey).
		if e.kinds[ti] != events.TargetIteration {
			total.add(&c)
			mergeOrPanic(res.Latency, tl)
			mergeOrPanic(res.LatencyUncorrected, tu)
		}
		res.Targets = append(res.Targets, TargetResult{Name: name, Kind: e.kinds[ti], Group: e.groups[ti],
			Counts: c.toEvents(e.tdrops[ti].Load(), e.tlate[ti].Load(), e.msgs), Latency: tl, LatencyUncorrected: tu})
	}
	for _, st := range e.stripes {
		mergeOrPanic(res.Lag, st.lag)
	}
	res.Counts = total.toEvents(e.drops.Load(), e.late.Load(), e.msgs)
	res.Health = smp.limits
	res.Health.Dials, res.Health.DialErrors = e.dials.Load(), e.dialErrs.Load()
	res.Health.LateLimitMs = ms(max(e.cfg.LateLimit, 0)) // 0: NoLateLimit
	res.Health.Samples = smp.samples
	if e.h2 != nil {
		res.Health.GoAways = e.h2.goawayCounts()
	}
	return res
}
