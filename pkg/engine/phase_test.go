package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
)

// TestShardPhase: shard 0 closes its seconds on the second, and the phases
// of up to 64 shards in one process are all different, within half a
// second, and never closer than a few milliseconds to each other: their
// seconds are closed one after the other.
func TestShardPhase(t *testing.T) {
	if p := ShardPhase(0); p != 0 {
		t.Errorf("shard 0: phase %v, want 0", p)
	}
	for _, n := range []int{2, 8, 16, 64} {
		var ps []time.Duration
		for i := range n {
			p := ShardPhase(i)
			if p < 0 || p >= maxShardPhase {
				t.Fatalf("shard %d: phase %v outside [0, %v)", i, p, maxShardPhase)
			}
			ps = append(ps, p)
		}
		slices.Sort(ps)
		// Golden-ratio points: the gaps between n of them are at least
		// about 1/(φ² n) of the period (three-gap theorem).
		minGap := maxShardPhase / time.Duration(3*n)
		for i := 1; i < n; i++ {
			if gap := ps[i] - ps[i-1]; gap < minGap {
				t.Errorf("%d shards: phases %v and %v only %v apart, want at least %v", n, ps[i-1], ps[i], gap, minGap)
			}
		}
	}
}

// TestIntervalFold: a second's values, past the interval's list bounds
// (the spill), folded by the sampler give exactly the histograms of
// recording every value straight away, for the run and per target; the
// emptied interval, reused for the next second, holds nothing of the last.
func TestIntervalFold(t *testing.T) {
	const targets = 3
	st := newStripe(targets, true)
	s := &sampler{lat: hist.New(), unc: hist.New(), lag: hist.New(), tlat: make([]*hist.Histogram, targets),
		spare: []*interval{newInterval(true)}}
	rng := rand.New(rand.NewPCG(1, 2))
	for round, n := range []int{maxIntervalValues + 1_000, 300} {
		lat, unc, lag := hist.New(), hist.New(), hist.New()
		tlat := []*hist.Histogram{hist.New(), hist.New(), hist.New()}
		var errs int64
		for i := range n {
			due := int64(rng.IntN(1e9))
			sent := due + int64(rng.IntN(5e6))
			end := sent + int64(rng.ExpFloat64()*2e6)
			o := outcome{target: i % targets, due: due, sent: sent, end: end, status: 200}
			if i%97 == 0 {
				o.class, o.status = errclass.ConnectRefused, 0 // no latency, a lag
				errs++
			} else {
				lat.Record(time.Duration(end - due))
				unc.Record(time.Duration(end - sent))
				tlat[o.target].Record(time.Duration(end - due))
			}
			lag.Record(time.Duration(sent - due))
			st.record(&o)
		}
		s.retired = append(s.retired, st.takeInterval(s.spare[0]))
		req, succ, gotErrs, classes := s.fold()
		if req != int64(n) || succ != int64(n)-errs || gotErrs != errs || classes[errclass.ConnectRefused] != errs {
			t.Errorf("round %d: %d requests, %d successes, %d errors (%d refused); want %d, %d, %d", round, req, succ,
				gotErrs, classes[errclass.ConnectRefused], n, int64(n)-errs, errs)
		}
		for name, pair := range map[string][2]*hist.Histogram{"latency": {s.lat, lat}, "uncorrected": {s.unc, unc},
			"lag": {s.lag, lag}, "target 0": {s.tlat[0], tlat[0]}, "target 2": {s.tlat[2], tlat[2]}} {
			if !pair[0].Equal(pair[1]) {
				t.Errorf("round %d: %s folded: %d values, want the %d recorded, equal", round, name, pair[0].Count(), pair[1].Count())
			}
		}
		if round == 0 && s.spare[0].spill == nil {
			t.Errorf("round 0: %d values did not spill past the interval's lists", n)
		}
		for _, h := range append([]*hist.Histogram{s.lat, s.unc, s.lag}, s.tlat...) {
			h.Reset()
		}
		if iv := s.spare[0]; len(iv.lat)+len(iv.lag)+len(iv.tlat) != 0 || iv.requests != 0 ||
			iv.spill != nil && iv.spill.lat.Count()+iv.spill.lag.Count() != 0 {
			t.Errorf("round %d: the folded interval is not empty", round)
		}
	}
}
