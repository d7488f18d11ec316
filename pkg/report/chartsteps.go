package report

import (
	"slices"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// verdictColors colour a find-max step's p99 by its verdict.
var verdictColors = []struct{ verdict, color string }{
	{events.VerdictPass, "#2ca02c"},
	{events.VerdictFail, "#d62728"},
	{events.VerdictGenerator, "#ff7f0e"},
	{events.VerdictNotRun, "#7f7f7f"},
}

// stepCharts draws the targets' and the steps' percentiles side by side,
// and a find-max search's rates, p99 and verdicts.
func stepCharts(r *events.Report) []chart.Chart {
	var out []chart.Chart
	if len(r.Targets) > 1 {
		names := make([]string, len(r.Targets))
		lat := make([]events.Latency, len(r.Targets))
		for i, t := range r.Targets {
			names[i], lat[i] = t.Name, t.LatencyMs
		}
		out = append(out, sideBySide("targets", "Latency per target", "target", names, lat))
	}
	if len(r.Steps) == 0 {
		return out
	}
	names := make([]string, len(r.Steps))
	lat := make([]events.Latency, len(r.Steps))
	for i, s := range r.Steps {
		names[i] = rate(s.Rate) + "/s"
		if s.Kind == "warmup" {
			names[i] = "warm-up"
		}
		lat[i] = s.LatencyMs
	}
	out = append(out, sideBySide("steps", "Latency per step", "step", names, lat))
	if r.FindMax != nil {
		out = append(out, findMaxChart(r, slices.Clone(names)))
	}
	return out
}

// findMaxChart draws each step's offered and successful rates, its p99
// coloured by verdict, and the SLO's p99.
func findMaxChart(r *events.Report, names []string) chart.Chart {
	n := len(r.Steps)
	x, offered, ok := make([]float64, n), make(chart.Values, n), make(chart.Values, n)
	for i, s := range r.Steps {
		x[i], offered[i], ok[i] = float64(i), s.OfferedRate, s.OKRate
		if s.Verdict != "" && s.Kind != "warmup" {
			names[i] += " " + s.Verdict
		}
	}
	series := []chart.Series{
		{Label: "offered rate", Color: colorPlanned, Values: offered},
		{Label: "successful rate", Color: colorP90, Values: ok},
	}
	for _, vc := range verdictColors {
		v, any := make(chart.Values, n), false
		for i, s := range r.Steps {
			v[i] = chart.Gap
			if s.Verdict == vc.verdict && s.JudgedS > 0 {
				v[i], any = s.LatencyMs.P99, true
			}
		}
		if any {
			series = append(series, chart.Series{Label: "p99, " + vc.verdict, Color: vc.color, Points: true, Right: true, Values: v})
		}
	}
	if slo := r.FindMax.SLO.P99Ms; slo > 0 {
		v := make(chart.Values, n)
		for i := range v {
			v[i] = slo
		}
		series = append(series, chart.Series{Label: "SLO p99", Color: colorMax, Dash: true, Right: true, Values: v})
	}
	return chart.Chart{ID: "find-max", Title: "Find-max: rate and p99 per step", X: x, Names: names, XAxis: chart.Axis{Label: "step"},
		YAxis: chart.Axis{Label: "requests per second"}, Y2Axis: &chart.Axis{Label: "p99 (ms)"},
		Series: series, Note: r.FindMax.Conclusion}
}
