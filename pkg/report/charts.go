package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// Colours of the charts' recurring series.
const (
	colorP50     = "#2ca02c"
	colorP90     = "#1f77b4"
	colorP99     = "#ff7f0e"
	colorMax     = "#d62728"
	colorPlanned = "#7f7f7f"
	colorErrors  = "#d62728"
	colorRun     = "#3b3bd6"
)

// sections lays out the report's charts: over time, distributions, steps,
// the generator and the server's metrics. A chart without data is left out.
func sections(r *events.Report) []section {
	var out []section
	add := func(title string, charts ...chart.Chart) {
		if len(charts) > 0 {
			out = append(out, section{title, charts})
		}
	}
	if len(r.TimeSeries) > 0 {
		add("Over time", latencyChart(r), rateChart(r))
	}
	add("Latency distribution", distributionCharts(r)...)
	add("Steps", stepCharts(r)...)
	if hasHealth(r.TimeSeries) {
		add("Generator health", healthCharts(r)...)
	}
	add("Server metrics", monitorCharts(r.Monitor)...)
	return out
}

func elapsed(ts []events.SeriesReport) []float64 {
	x := make([]float64, len(ts))
	for i, p := range ts {
		x[i] = float64(p.ElapsedS)
	}
	return x
}

// column reads one figure of every second.
func column(ts []events.SeriesReport, f func(p *events.SeriesReport) float64) chart.Values {
	v := make(chart.Values, len(ts))
	for i := range ts {
		v[i] = f(&ts[i])
	}
	return v
}

// latencyColumn is column for a latency: a second without requests is a gap.
func latencyColumn(ts []events.SeriesReport, f func(p *events.SeriesReport) float64) chart.Values {
	return column(ts, func(p *events.SeriesReport) float64 {
		if p.Requests == 0 {
			return chart.Gap
		}
		return f(p)
	})
}

// sampled is column for a figure of the health samples: a second that no
// shard sampled is a gap.
func sampled(ts []events.SeriesReport, f func(p *events.SeriesReport) float64) chart.Values {
	return column(ts, func(p *events.SeriesReport) float64 {
		if p.Health == nil {
			return chart.Gap
		}
		return f(p)
	})
}

var secondsAxis = chart.Axis{Label: "seconds since the start", Whole: true}

func latencyChart(r *events.Report) chart.Chart {
	ts := r.TimeSeries
	c := chart.Chart{ID: "latency", Title: "Latency per second, from the intended send", X: elapsed(ts),
		XAxis: secondsAxis, YAxis: chart.Axis{Label: "latency (ms)"},
		Series: []chart.Series{
			{Label: "p50", Color: colorP50, Values: latencyColumn(ts, func(p *events.SeriesReport) float64 { return p.P50Ms })},
			{Label: "p90", Color: colorP90, Values: latencyColumn(ts, func(p *events.SeriesReport) float64 { return p.P90Ms })},
			{Label: "p99", Color: colorP99, Values: latencyColumn(ts, func(p *events.SeriesReport) float64 { return p.P99Ms })},
			{Label: "max", Color: colorMax, Values: latencyColumn(ts, func(p *events.SeriesReport) float64 { return p.MaxMs })},
		},
		Note: "Requests in the second they completed; the dashed p99 is measured from the actual send (uncorrected: it leaves out the wait for the generator)."}
	if !slices.ContainsFunc(ts, func(p events.SeriesReport) bool { return p.P99UncorrectedMs > 0 }) {
		// A report of workers that predate the per-second uncorrected latency.
		c.Note = fmt.Sprintf("Requests in the second they completed. These shards did not keep the uncorrected latency (from the actual send) per second; over the run its p99 is %s ms against %s ms from the intended send.",
			num(r.LatencyUncorrectedMs.P99), num(r.LatencyMs.P99))
		return c
	}
	unc := chart.Series{Label: "p99, uncorrected", Color: colorP99, Dash: true,
		Values: latencyColumn(ts, func(p *events.SeriesReport) float64 { return p.P99UncorrectedMs })}
	c.Series = slices.Insert(c.Series, 3, unc)
	return c
}

// classColors are the colours of the error classes, stacked in the rate
// chart.
var classColors = []string{colorErrors, "#ff9896", "#8c564b", "#e377c2", "#bcbd22", "#c49c94", "#f7b6d2", "#9edae5"}

// errorSeries are the rate chart's errors: one series per error class,
// stacked, the most frequent class at the bottom; one series of all errors
// for a report whose shards did not keep the classes per second.
func errorSeries(ts []events.SeriesReport) []chart.Series {
	total := map[string]int64{}
	for _, p := range ts {
		for c, n := range p.ErrorsByClass {
			total[c] += n
		}
	}
	if len(total) == 0 {
		return []chart.Series{{Label: "errors", Color: colorErrors, Fill: true,
			Values: column(ts, func(p *events.SeriesReport) float64 { return float64(p.Errors) })}}
	}
	classes := slices.Collect(maps.Keys(total))
	slices.SortFunc(classes, func(a, b string) int {
		return cmp.Or(cmp.Compare(total[b], total[a]), cmp.Compare(a, b))
	})
	out := make([]chart.Series, len(classes))
	for i, c := range classes {
		out[i] = chart.Series{Label: "errors: " + c, Color: classColors[i%len(classColors)], Stack: true,
			Values: column(ts, func(p *events.SeriesReport) float64 { return float64(p.ErrorsByClass[c]) })}
	}
	return out
}

func rateChart(r *events.Report) chart.Chart {
	ts := r.TimeSeries
	return chart.Chart{ID: "rate", Title: "Rate per second", X: elapsed(ts),
		XAxis: secondsAxis, YAxis: chart.Axis{Label: "requests per second"},
		Series: slices.Concat([]chart.Series{
			{Label: "planned", Color: colorPlanned, Dash: true, Values: sampled(ts, func(p *events.SeriesReport) float64 { return p.PlannedRate })},
			{Label: "sent", Color: colorP90, Values: sampled(ts, func(p *events.SeriesReport) float64 { return p.SentRate })},
			{Label: "successful", Color: colorP50, Fill: true, Values: column(ts, func(p *events.SeriesReport) float64 { return float64(p.Success) })},
		}, errorSeries(ts), []chart.Series{
			{Label: "dropped", Color: "#9467bd", Values: column(ts, func(p *events.SeriesReport) float64 { return float64(p.Dropped) })},
		}),
		Note: "Planned and sent by send time; successful and errors by completion. Errors are requests that failed without an answer (timeouts, resets, refused connections, …), stacked by error class; answers with a status the spec does not count as success are neither successful nor errors."}
}

// distributionCharts draws the percentile plot of the run (from the
// intended and the actual send) and of each target: from the report's
// latency_percentiles, or, in a report without them, from the few
// percentiles of latency_ms.
func distributionCharts(r *events.Report) []chart.Chart {
	p := r.LatencyPercentiles
	if p == nil || len(p.Q) == 0 {
		return summaryDistribution(r)
	}
	x := make([]float64, len(p.Q))
	for i, q := range p.Q {
		x[i] = 1 / (1 - q)
	}
	series := []chart.Series{{Label: "run", Color: colorRun, Values: p.Ms}}
	if len(p.UncorrectedMs) == len(x) {
		series = append(series, chart.Series{Label: "run, uncorrected", Color: colorRun, Dash: true, Values: p.UncorrectedMs})
	}
	if len(r.Targets) > 1 {
		for _, t := range r.Targets {
			if len(t.PercentilesMs) == len(x) {
				series = append(series, chart.Series{Label: t.Name, Values: t.PercentilesMs})
			}
		}
	}
	return []chart.Chart{{ID: "distribution", Title: "Latency by percentile", X: x,
		XAxis: chart.Axis{Label: "percentile", Log: true, Percentile: true}, YAxis: chart.Axis{Label: "latency (ms)", Log: true},
		Series: series,
		Note: fmt.Sprintf("HdrHistogram's percentile plot: x = 1/(1−q), log, up to the percentile the run's %d latencies reach; the maximum is %s ms.",
			r.Requests, num(r.LatencyMs.Max))}}
}

// percentileX are the percentiles of latency_ms, as x = 1/(1−q): min, p50,
// p90, p95, p99, p99.9.
var percentileX = []float64{1, 2, 10, 20, 100, 1000}

func percentiles(l events.Latency) chart.Values {
	if l == (events.Latency{}) {
		return nil
	}
	return chart.Values{l.Min, l.P50, l.P90, l.P95, l.P99, l.P999}
}

// SummaryPercentiles returns latency_ms's percentiles (min, p50, p90,
// p95, p99, p99.9) at their x = 1/(1−q) on the percentile plot's axis:
// the plot of a report without latency_percentiles. Both are nil for a
// latency of zeros.
func SummaryPercentiles(l events.Latency) (x []float64, ms chart.Values) {
	if ms = percentiles(l); ms == nil {
		return nil, nil
	}
	return percentileX, ms
}

// summaryDistribution is the percentile plot of a report without
// latency_percentiles (written before issue 13): six points a line.
func summaryDistribution(r *events.Report) []chart.Chart {
	run := percentiles(r.LatencyMs)
	if run == nil {
		return nil
	}
	series := []chart.Series{{Label: "run", Color: colorRun, Values: run}}
	if u := percentiles(r.LatencyUncorrectedMs); u != nil {
		series = append(series, chart.Series{Label: "run, uncorrected", Color: colorRun, Dash: true, Values: u})
	}
	if len(r.Targets) > 1 {
		for _, t := range r.Targets {
			if v := percentiles(t.LatencyMs); v != nil {
				series = append(series, chart.Series{Label: t.Name, Values: v})
			}
		}
	}
	return []chart.Chart{{ID: "distribution", Title: "Latency by percentile", X: percentileX,
		XAxis: chart.Axis{Label: "percentile", Log: true, Percentile: true}, YAxis: chart.Axis{Label: "latency (ms)", Log: true},
		Series: series,
		Note:   fmt.Sprintf("The percentiles of latency_ms (min, p50, p90, p95, p99, p99.9) on HdrHistogram's axis, x = 1/(1−q); the maximum is %s ms.", num(r.LatencyMs.Max))}}
}

// sideBySide draws latency percentiles of named things (targets, steps) as
// points side by side, one x per thing.
func sideBySide(id, title, what string, names []string, lat []events.Latency) chart.Chart {
	x := make([]float64, len(names))
	p50, p90, p99, mx := make(chart.Values, len(names)), make(chart.Values, len(names)), make(chart.Values, len(names)), make(chart.Values, len(names))
	for i, l := range lat {
		x[i] = float64(i)
		p50[i], p90[i], p99[i], mx[i] = l.P50, l.P90, l.P99, l.Max
	}
	return chart.Chart{ID: id, Title: title, X: x, Names: names, XAxis: chart.Axis{Label: what},
		YAxis: chart.Axis{Label: "latency (ms)", Log: true},
		Series: []chart.Series{
			{Label: "p50", Color: colorP50, Points: true, Values: p50},
			{Label: "p90", Color: colorP90, Points: true, Values: p90},
			{Label: "p99", Color: colorP99, Points: true, Values: p99},
			{Label: "max", Color: colorMax, Points: true, Values: mx},
		}}
}

func hasHealth(ts []events.SeriesReport) bool {
	for i := range ts {
		if ts[i].Health != nil {
			return true
		}
	}
	return false
}

// healthCharts draws the generator over time, merged over its shards.
func healthCharts(r *events.Report) []chart.Chart {
	ts := r.TimeSeries
	h := func(f func(h *events.SeriesHealth) float64) chart.Values {
		return column(ts, func(p *events.SeriesReport) float64 {
			if p.Health == nil {
				return chart.Gap
			}
			return f(p.Health)
		})
	}
	cpu := chart.Chart{ID: "health-cpu", Title: "Generator CPU, steal and lag", X: elapsed(ts), XAxis: secondsAxis,
		YAxis: chart.Axis{Label: "% of CPU"}, Y2Axis: &chart.Axis{Label: "lag p99 (ms)"},
		Series: []chart.Series{
			{Label: "CPU, busiest shard", Color: colorMax, Values: h(func(h *events.SeriesHealth) float64 { return h.MaxCPUPercent })},
			{Label: "CPU, idlest shard", Color: colorMax, Dash: true, Values: h(func(h *events.SeriesHealth) float64 { return h.MinCPUPercent })},
			{Label: "steal, max", Color: "#9467bd", Values: h(func(h *events.SeriesHealth) float64 { return h.MaxStealPercent })},
			{Label: "lag p99, max", Color: colorP90, Right: true, Values: h(func(h *events.SeriesHealth) float64 { return h.MaxLagP99Ms })},
		},
		Note: "Per second over the shards that sampled it: the busiest and the idlest shard's CPU (of the CPUs each may use), the worst steal time and scheduling lag p99."}
	conns := chart.Chart{ID: "health-conns", Title: "Generator connections", X: elapsed(ts), XAxis: secondsAxis,
		YAxis: chart.Axis{Label: "count"},
		Series: []chart.Series{
			{Label: "in flight, all shards", Color: colorP90, Values: h(func(h *events.SeriesHealth) float64 { return float64(h.Inflight) })},
			{Label: "open connections, all shards", Color: colorP50, Values: h(func(h *events.SeriesHealth) float64 { return float64(h.OpenConns) })},
			{Label: "TIME_WAIT, max of a shard", Color: colorP99, Values: h(func(h *events.SeriesHealth) float64 { return float64(h.MaxTimeWait) })},
		}}
	return []chart.Chart{cpu, conns}
}
