package report

import (
	"fmt"

	"github.com/barrage-load/barrage/events"
)

// Units of ThresholdResult.
const (
	UnitMs    = "ms"
	UnitRatio = "ratio"
	UnitRate  = "per_s"
)

// scope is what a threshold is judged on: the run, a target or a step.
type scope struct {
	name     string // for notes: "the run", "target login", "step 3"
	latency  events.Latency
	requests int64
	success  int64
	seconds  float64 // over which success is a rate
	missing  string  // why there is no data at all, if so
}

// Judge evaluates ths on r: every threshold in order, and whether all held.
// A threshold without data (an unknown target or step, a step that was not
// judged, no request, or no latency for a latency metric) fails, with a note.
func Judge(r *events.Report, ths []events.Threshold) ([]events.ThresholdResult, bool) {
	var out []events.ThresholdResult
	passed := true
	for _, t := range ths {
		res := judgeOne(r, t)
		passed = passed && res.Pass
		out = append(out, res)
	}
	return out, passed
}

func judgeOne(r *events.Report, t events.Threshold) events.ThresholdResult {
	res := events.ThresholdResult{Metric: t.Metric, Op: t.OpOrDefault(), Target: t.Target, Step: t.Step,
		Value: t.Value.Float(), Unit: unitOf(t.Metric)}
	sc := scopeOf(r, t)
	if sc.missing != "" {
		res.Note = "no data: " + sc.missing
		return res
	}
	actual, missing := metric(sc, t.Metric)
	if missing != "" {
		res.Note = "no data: " + missing
		return res
	}
	res.Actual = actual
	res.Pass = events.Holds(actual, res.Op, res.Value)
	return res
}

func unitOf(metric string) string {
	switch {
	case events.LatencyMetric(metric):
		return UnitMs
	case metric == events.MetricRate:
		return UnitRate
	}
	return UnitRatio
}

// scopeOf finds the figures t is judged on.
func scopeOf(r *events.Report, t events.Threshold) scope {
	switch {
	case t.Step > 0:
		for _, s := range r.Steps {
			if s.Step == t.Step && s.Kind != "warmup" {
				sc := scope{name: fmt.Sprintf("step %d", s.Step), latency: s.LatencyMs, requests: s.Requests,
					success: s.Success, seconds: float64(s.JudgedS)}
				if s.JudgedS == 0 {
					sc.missing = fmt.Sprintf("step %d was not judged (the run ended first)", s.Step)
				}
				return sc
			}
		}
		return scope{missing: fmt.Sprintf("the run has no step %d", t.Step)}
	case t.Target != "":
		for _, x := range r.Targets {
			if x.Name == t.Target {
				return scope{name: "target " + x.Name, latency: x.LatencyMs, requests: x.Requests, success: x.Success,
					seconds: r.DurationS}
			}
		}
		return scope{missing: fmt.Sprintf("no target %q in the report", t.Target)}
	}
	return scope{name: "the run", latency: r.LatencyMs, requests: r.Requests, success: r.Success, seconds: r.DurationS}
}

// metric returns the metric's value in sc, or why there is none.
func metric(sc scope, m string) (float64, string) {
	if m == events.MetricRate {
		if sc.seconds <= 0 {
			return 0, sc.name + " has no send window"
		}
		return float64(sc.success) / sc.seconds, ""
	}
	if sc.requests == 0 {
		return 0, "no request in " + sc.name
	}
	if m == events.MetricErrorRatio {
		return ratio(sc.requests-sc.success, sc.requests), ""
	}
	l := sc.latency
	if l.Max == 0 { // every request failed before a response: no latency
		return 0, "no latency in " + sc.name + " (no request got a response or timed out)"
	}
	return map[string]float64{events.MetricP50: l.P50, events.MetricP90: l.P90, events.MetricP95: l.P95,
		events.MetricP99: l.P99, events.MetricP999: l.P999, events.MetricMax: l.Max, events.MetricMean: l.Mean}[m], ""
}

// ThresholdLine describes a judged threshold in one line, such as
// "FAIL threshold p99 < 500 ms in step 3: 812 ms".
func ThresholdLine(t events.ThresholdResult) string {
	verdict := "PASS"
	if !t.Pass {
		verdict = "FAIL"
	}
	where := ""
	switch {
	case t.Step > 0:
		where = fmt.Sprintf(" in step %d", t.Step)
	case t.Target != "":
		where = " for target " + t.Target
	}
	got := value(t.Actual, t.Unit)
	if t.Note != "" {
		got = t.Note
	}
	return fmt.Sprintf("%s threshold %s %s %s%s: %s", verdict, t.Metric, t.Op, value(t.Value, t.Unit), where, got)
}

// FormatValue formats v, a figure of metric, as threshold lines do:
// "700.0 ms", "0.15", "250/s".
func FormatValue(metric string, v float64) string { return value(v, unitOf(metric)) }

// value formats v in unit.
func value(v float64, unit string) string {
	switch unit {
	case UnitMs:
		return num(v) + " ms"
	case UnitRate:
		return fmt.Sprintf("%.6g/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}
