package events

import (
	"math"
	"time"
)

// Shapes of a staged load: ShapeStages runs Stages one after the other;
// ShapeFindMax runs a warm-up and a staircase of rising rates, and the
// reducer judges each step against an SLO to find the highest rate the target
// sustains.
const (
	ShapeStages  = "stages"
	ShapeFindMax = "find-max"
)

// Defaults and limits of staged loads.
const (
	// MaxStages bounds the stages of a load, and the steps of a find-max
	// staircase: every shard message carries them.
	MaxStages = 1000
	// MaxSearch bounds FindMax.Search.
	MaxSearch = 10
	// DefaultSettle is how much of the start of each step the reducer leaves
	// out when it judges the step: requests completing then were partly sent
	// at the previous step's rate.
	DefaultSettle = time.Second
	// DefaultSLOErrorRatio is the error ratio a find-max step may reach when
	// the SLO sets none.
	DefaultSLOErrorRatio = 0.01
)

// Stage is one stage of ShapeStages: Rate arrivals per second for
// Duration, or a linear ramp from Rate to RampTo when RampTo is set.
type Stage struct {
	// Duration is how long the stage lasts; > 0.
	Duration Duration `json:"duration" yaml:"duration"`
	// Rate is the stage's arrivals per second (at its start, for a ramp).
	// 0 is a pause: no arrivals (a stage is never a closed loop).
	Rate float64 `json:"rate" yaml:"rate"`
	// RampTo, when set, is the rate at the end of the stage: the rate goes
	// linearly from Rate to RampTo.
	RampTo *float64 `json:"ramp_to,omitempty" yaml:"ramp_to"`
}

// FindMax configures ShapeFindMax. The run is a warm-up at Start for
// Warmup, then steps of Step each at the rates Start, Start·Factor,
// Start·Factor², … (or Start, Start+Increment, …) up to Max; its duration is
// Warmup + steps × Step. The reducer judges each step against SLO from the
// merged per-second series and reports the highest rate sustained.
type FindMax struct {
	// Start is the first step's rate (and the warm-up's), arrivals per second.
	Start float64 `json:"start" yaml:"start"`
	// Factor (> 1) multiplies the rate from one step to the next; give it or
	// Increment, not both.
	Factor float64 `json:"factor,omitempty" yaml:"factor"`
	// Increment (> 0) adds to the rate from one step to the next.
	Increment float64 `json:"increment,omitempty" yaml:"increment"`
	// Step is how long each step lasts.
	Step Duration `json:"step" yaml:"step"`
	// Warmup is how long the run sends at Start before the first step; the
	// warm-up is not judged. 0: none.
	Warmup Duration `json:"warmup,omitempty" yaml:"warmup"`
	// Max is the highest rate tried: the last step's rate is the largest of
	// the series that is at most Max.
	Max float64 `json:"max" yaml:"max"`
	// SLO is what a step must hold to pass.
	SLO SLO `json:"slo" yaml:"slo"`
	// Settle is how much of the start of each step is left out of its
	// judgement; 0 means DefaultSettle.
	Settle Duration `json:"settle,omitempty" yaml:"settle"`
	// Search asks for that many binary-search steps between the last passing
	// and the first failing rate after the staircase: each a run of its own
	// (a warm-up and one step at the middle rate), started by the command
	// line once the staircase's report is in (report find_max.search).
	Search int `json:"search,omitempty" yaml:"search"`
}

// SLO is the service level a find-max step must hold: latencies (measured
// from the intended send) at or below their limits, and an error ratio
// (requests that were not a success, over requests sent) at or below its
// limit. Zero latencies are not checked.
type SLO struct {
	// P99 and P95 bound the step's latency percentiles.
	P99 Duration `json:"p99,omitempty" yaml:"p99"`
	P95 Duration `json:"p95,omitempty" yaml:"p95"`
	// ErrorRatio bounds the share of requests that failed (transport error,
	// timeout, or a status other than 2xx/3xx); unset means
	// DefaultSLOErrorRatio.
	ErrorRatio *float64 `json:"error_ratio,omitempty" yaml:"error_ratio"`
}

// ErrorRatioLimit is the SLO's error ratio, or DefaultSLOErrorRatio.
func (s SLO) ErrorRatioLimit() float64 {
	if s.ErrorRatio == nil {
		return DefaultSLOErrorRatio
	}
	return *s.ErrorRatio
}

// SettleTime is f's settle time, or DefaultSettle.
func (f *FindMax) SettleTime() time.Duration {
	if f == nil || f.Settle == 0 {
		return DefaultSettle
	}
	return f.Settle.D()
}

// Rates returns the staircase's rates: Start, then ×Factor or +Increment,
// while at most Max (with a relative tolerance of 1e-9, so that 100·1.5·…
// lands on a Max it meets exactly). It stops after MaxStages+1 rates, so that
// a spec asking for too many steps is seen without computing them all.
func (f *FindMax) Rates() []float64 {
	if f == nil || !(f.Start > 0) || !(f.Max >= f.Start) || math.IsInf(f.Max, 0) {
		return nil
	}
	grows := f.Factor > 1 && !math.IsInf(f.Factor, 0) || f.Increment > 0 && !math.IsInf(f.Increment, 0)
	var out []float64
	for k := 0; len(out) <= MaxStages; k++ {
		r := f.Start
		if f.Increment > 0 {
			r = f.Start + float64(k)*f.Increment
		} else if k > 0 {
			r = out[k-1] * f.Factor
		}
		if r > f.Max*(1+1e-9) {
			break
		}
		out = append(out, r)
		if !grows {
			break
		}
	}
	return out
}

// Step is one step of a staged load as it runs: a stage as written, or a
// find-max warm-up or step. Its rate goes linearly from Rate to RampTo
// (equal for a constant step) over [From, To) of the run.
type Step struct {
	// Index numbers the steps from 1, in order; a find-max warm-up is 0.
	Index int
	// Warmup marks the find-max warm-up, which is not judged.
	Warmup bool
	// From and To bound the step, as offsets from the start of the run.
	From, To time.Duration
	// Rate and RampTo are the step's rates at From and at To.
	Rate, RampTo float64
}

// Ramps reports whether the step's rate changes.
func (s Step) Ramps() bool { return s.Rate != s.RampTo }

// Steps returns the steps of a ShapeStages or ShapeFindMax load, in order;
// nil for the other shapes.
func (l Load) Steps() []Step {
	var out []Step
	at := time.Duration(0)
	add := func(d time.Duration, from, to float64, warmup bool) {
		idx := len(out) + 1
		if len(out) > 0 && out[0].Warmup {
			idx--
		}
		if warmup {
			idx = 0
		}
		out = append(out, Step{Index: idx, Warmup: warmup, From: at, To: at + d, Rate: from, RampTo: to})
		at += d
	}
	switch l.shape() {
	case ShapeStages:
		for _, s := range l.Stages {
			to := s.Rate
			if s.RampTo != nil {
				to = *s.RampTo
			}
			add(s.Duration.D(), s.Rate, to, false)
		}
	case ShapeFindMax:
		f := l.FindMax
		if f == nil {
			return nil
		}
		if f.Warmup > 0 {
			add(f.Warmup.D(), f.Start, f.Start, true)
		}
		for _, r := range f.Rates() {
			add(f.Step.D(), r, r, false)
		}
	}
	return out
}

// Staged reports whether l is ShapeStages or ShapeFindMax: its steps, not
// the spec's duration, make the schedule.
func (l Load) Staged() bool { return l.shape() == ShapeStages || l.shape() == ShapeFindMax }

// Length is how long a staged load lasts: the sum of its steps; 0 for the
// other shapes, which last the spec's duration.
func (l Load) Length() time.Duration {
	st := l.Steps()
	if len(st) == 0 {
		return 0
	}
	return st[len(st)-1].To
}

// PeakRate is the highest planned arrival rate over the run.
func (l Load) PeakRate() float64 {
	switch l.shape() {
	case ShapeRamp:
		return max(l.From, l.To)
	case ShapeStages, ShapeFindMax:
		peak := 0.0
		for _, s := range l.Steps() {
			peak = max(peak, s.Rate, s.RampTo)
		}
		return peak
	}
	return l.Rate
}

// stagedMean is the mean rate of a staged load: its arrivals over its length.
func (l Load) stagedMean() float64 {
	var n, d float64
	for _, s := range l.Steps() {
		secs := (s.To - s.From).Seconds()
		n += (s.Rate + s.RampTo) / 2 * secs
		d += secs
	}
	if d == 0 {
		return 0
	}
	return n / d
}

// isZero reports whether no load was given at all.
func (l Load) isZero() bool {
	return l.Shape == "" && l.Rate == 0 && l.From == 0 && l.To == 0 && len(l.Stages) == 0 && l.FindMax == nil
}

// withDefaults fills a find-max load's SLO error ratio, so that a stored
// spec says what was judged. f is copied, not changed.
func (l Load) withDefaults() Load {
	if l.FindMax != nil && l.FindMax.SLO.ErrorRatio == nil {
		f := *l.FindMax
		v := DefaultSLOErrorRatio
		f.SLO.ErrorRatio = &v
		l.FindMax = &f
	}
	return l
}
