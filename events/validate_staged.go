package events

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// validateUnused reports fields of l that its shape does not read.
func (l Load) validateUnused(p *problems) {
	shape := l.shape()
	if len(l.Stages) > 0 && shape != ShapeStages {
		p.add("load.stages", "stages are read with shape: %s only (this load's shape is %s)", ShapeStages, shape)
	}
	if l.FindMax != nil && shape != ShapeFindMax {
		p.add("load.find_max", "find_max is read with shape: %s only (this load's shape is %s)", ShapeFindMax, shape)
	}
	if shape == ShapeStages || shape == ShapeFindMax {
		for _, f := range []struct {
			name string
			v    float64
		}{{"rate", l.Rate}, {"from", l.From}, {"to", l.To}} {
			if f.v != 0 {
				p.add("load."+f.name, "not used by shape %s (the %s set the rates)", shape, map[string]string{
					ShapeStages: "stages", ShapeFindMax: "find_max fields"}[shape])
			}
		}
	}
}

func (l Load) validateStages(p *problems, rate func(string, float64)) {
	if len(l.Stages) == 0 {
		p.add("load.stages", "no stage (give a list such as [{duration: 30s, rate: 100}, {duration: 1m, rate: 100, ramp_to: 500}])")
		return
	}
	if len(l.Stages) > MaxStages {
		p.add("load.stages", "%d stages; at most %d", len(l.Stages), MaxStages)
		return
	}
	sends := false
	for i, s := range l.Stages {
		field := fmt.Sprintf("load.stages[%d]", i)
		if d := s.Duration.D(); d <= 0 || d > MaxDuration {
			p.add(field+".duration", "%s is out of range (0 < duration ≤ %s)", d, MaxDuration)
		}
		rate(field+".rate", s.Rate)
		if s.RampTo != nil {
			rate(field+".ramp_to", *s.RampTo)
			sends = sends || *s.RampTo > 0
		}
		sends = sends || s.Rate > 0
	}
	if !sends {
		p.add("load.stages", "every stage has rate 0: the run would send nothing")
	}
	if d := l.Length(); d > MaxDuration {
		p.add("load.stages", "the stages last %s in all; at most %s", d, MaxDuration)
	}
}

func (l Load) validateFindMax(p *problems, rate func(string, float64)) {
	f := l.FindMax
	if f == nil {
		p.add("load.find_max", "missing (give start, factor or increment, step, max and slo)")
		return
	}
	const field = "load.find_max"
	f.validateRates(field, p)
	f.validateTiming(field, p)
	f.SLO.validate(field+".slo", p)
	if f.Search < 0 || f.Search > MaxSearch {
		p.add(field+".search", "%d is out of range (0 ≤ search ≤ %d)", f.Search, MaxSearch)
	}
	if n := len(f.Rates()); n > MaxStages {
		p.add(field, "the staircase from %v to %v would take more than %d steps (raise factor or increment)", f.Start, f.Max, MaxStages)
	} else if d := l.Length(); d > MaxDuration {
		p.add(field, "warm-up and %d steps of %s last %s; at most %s", n, f.Step, d, MaxDuration)
	}
}

// validateRates checks the staircase's rates: start, max, and one of factor
// and increment (validateRaise).
func (f *FindMax) validateRates(field string, p *problems) {
	if !(f.Start > 0) || f.Start > MaxRate {
		p.add(field+".start", "%v is out of range (0 < start ≤ %d per second)", f.Start, MaxRate)
	}
	if !(f.Max > 0) || f.Max > MaxRate {
		p.add(field+".max", "%v is out of range (0 < max ≤ %d per second)", f.Max, MaxRate)
	} else if f.Max < f.Start {
		p.add(field+".max", "%v is below start %v", f.Max, f.Start)
	}
	f.validateRaise(field, p)
}

// validateRaise checks how the rate rises from step to step: by factor or
// by increment.
func (f *FindMax) validateRaise(field string, p *problems) {
	switch {
	case f.Factor != 0 && f.Increment != 0:
		p.add(field, "give factor or increment, not both")
	case f.Factor == 0 && f.Increment == 0:
		p.add(field, "give factor (such as 1.5) or increment (such as 100) to raise the rate from step to step")
	case f.Factor != 0 && !(f.Factor > 1 && f.Factor <= 100):
		p.add(field+".factor", "%v is out of range (1 < factor ≤ 100)", f.Factor)
	case f.Increment != 0 && !(f.Increment > 0 && f.Increment <= MaxRate):
		p.add(field+".increment", "%v is out of range (0 < increment ≤ %d per second)", f.Increment, MaxRate)
	}
}

// validateTiming checks settle, step and warm-up: a step must be long
// enough to judge after its settle time.
func (f *FindMax) validateTiming(field string, p *problems) {
	settle := f.SettleTime()
	if f.Settle < 0 {
		p.add(field+".settle", "must not be negative")
	}
	if d := f.Step.D(); d <= 0 || d > MaxDuration {
		p.add(field+".step", "%s is out of range (0 < step ≤ %s)", d, MaxDuration)
	} else if d < settle+time.Second {
		p.add(field+".step", "%s is too short to judge: a step needs its settle time (%s) and at least one whole second more", d, settle)
	}
	if f.Warmup < 0 || f.Warmup.D() > MaxDuration {
		p.add(field+".warmup", "%s is out of range (0 ≤ warmup ≤ %s)", f.Warmup, MaxDuration)
	}
}

// validate checks the SLO at field.
func (s SLO) validate(field string, p *problems) {
	if s.P99 < 0 {
		p.add(field+".p99", "must not be negative")
	}
	if s.P95 < 0 {
		p.add(field+".p95", "must not be negative")
	}
	if r := s.ErrorRatio; r != nil && !(*r >= 0 && *r <= 1) {
		p.add(field+".error_ratio", "%v is out of range (0 ≤ error_ratio ≤ 1)", *r)
	}
}

// validateThresholds checks s.Thresholds against the metrics, the targets
// (by their names after defaults) and the load's steps.
func (s *RunSpec) validateThresholds(p *problems) {
	in := s.thresholdScope()
	for i := range s.Thresholds {
		s.Thresholds[i].validate(fmt.Sprintf("thresholds[%d]", i), in, p)
	}
}

// thresholdScope is what a threshold of a spec may name: its targets and
// scenarios, and its load's steps.
type thresholdScope struct {
	names     map[string]bool // targets (after defaults) and scenarios
	scenarios map[string]bool
	steps     int // the load's highest step index; 0: no steps
}

func (s *RunSpec) thresholdScope() thresholdScope {
	in := thresholdScope{names: map[string]bool{}, scenarios: map[string]bool{}}
	for _, t := range s.Targets {
		in.names[targetName(t)] = true
	}
	// A scenario reports its iterations as the target NAME and its steps as
	// NAME/STEP; a built-in flow names its steps itself, so any step of a
	// known scenario is accepted.
	for _, sc := range s.Scenarios {
		in.names[sc.Name], in.scenarios[sc.Name] = true, true
	}
	for _, st := range s.Load.Steps() {
		in.steps = max(in.steps, st.Index)
	}
	return in
}

// known reports whether target names a target, a scenario or a step of one.
func (in thresholdScope) known(target string) bool {
	sc, _, isStep := strings.Cut(target, "/")
	return in.names[target] || isStep && in.scenarios[sc]
}

// validate checks threshold t at field: its metric and value, its
// operator, what it judges (a target or a step), and its abort.
func (t *Threshold) validate(field string, in thresholdScope, p *problems) {
	switch {
	case t.Metric == "":
		p.add(field+".metric", "missing (want one of %s)", strings.Join(Metrics, ", "))
	case !slices.Contains(Metrics, t.Metric):
		p.add(field+".metric", "unknown metric %q (want one of %s)", t.Metric, strings.Join(Metrics, ", "))
	default:
		t.validateValue(field, p)
	}
	if t.Op != "" && !slices.Contains(Ops, t.Op) {
		p.add(field+".op", "unknown operator %q (want one of %s)", t.Op, strings.Join(Ops, " "))
	}
	if t.Target != "" && !in.known(t.Target) {
		p.add(field+".target", "no target is named %q (targets are named by name, or \"METHOD URL\"; scenarios by name, their steps SCENARIO/STEP)", t.Target)
	}
	t.validateStep(field, in.steps, p)
	if t.Abort != nil {
		t.validateAbort(field, p)
	}
}

// validateValue checks that the value of t, whose metric is known, is a
// duration for a latency and a number in range otherwise.
func (t *Threshold) validateValue(field string, p *problems) {
	v, latency := t.Value, LatencyMetric(t.Metric)
	switch {
	case latency && !v.IsDuration:
		p.add(field+".value", "%s is a latency: give a duration such as 500ms, not %s", t.Metric, v)
	case latency && v.Duration < 0:
		p.add(field+".value", "%s: a latency cannot be negative", v)
	case !latency && v.IsDuration:
		p.add(field+".value", "%s is not a latency: give a number, not the duration %s", t.Metric, v)
	case math.IsNaN(v.Number) || math.IsInf(v.Number, 0):
		p.add(field+".value", "%v is not a finite number", v.Number)
	case t.Metric == MetricErrorRatio && (v.Number < 0 || v.Number > 1):
		p.add(field+".value", "%v is out of range for error_ratio (0 to 1)", v.Number)
	case t.Metric == MetricRate && v.Number < 0:
		p.add(field+".value", "%v: a rate cannot be negative", v.Number)
	}
}

// validateStep checks t's step against the load's steps (numbered 1 to
// steps), and that t does not judge a target too.
func (t *Threshold) validateStep(field string, steps int, p *problems) {
	switch {
	case t.Step < 0:
		p.add(field+".step", "%d: steps are numbered from 1", t.Step)
	case t.Step > 0 && steps == 0:
		p.add(field+".step", "the load has no steps (step is for shapes %s and %s)", ShapeStages, ShapeFindMax)
	case t.Step > steps:
		p.add(field+".step", "%d: the load has %d steps", t.Step, steps)
	}
	if t.Step > 0 && t.Target != "" {
		p.add(field, "give target or step, not both (steps are judged over all targets)")
	}
}

// validateAbort checks t.Abort: live figures judge run-wide upper bounds
// of p99 and error_ratio only.
func (t *Threshold) validateAbort(field string, p *problems) {
	switch {
	case t.Abort.After <= 0:
		p.add(field+".abort.after", "must be positive (how long the threshold must stay broken)")
	case t.Metric != MetricP99 && t.Metric != MetricErrorRatio:
		p.add(field+".abort", "live figures carry p99 and error_ratio only: abort is for those metrics")
	case t.Target != "" || t.Step > 0:
		p.add(field+".abort", "live figures are run-wide: abort is for thresholds without target or step")
	case t.OpOrDefault() != "<" && t.OpOrDefault() != "<=":
		p.add(field+".abort", "abort watches an upper bound: use op < or <=")
	}
}

// targetName is t's name after defaults.
func targetName(t Target) string {
	if t.Name != "" {
		return t.Name
	}
	m := t.Method
	if m == "" {
		m = DefaultMethod
	}
	return m + " " + t.URL
}
