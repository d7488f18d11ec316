package compare

import (
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/barrage-load/barrage/events"
	reports "github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// The runs' colours in the charts: A, the baseline, blue; B red.
const (
	colorA = "#1f77b4"
	colorB = "#d62728"
)

// htmlView is what the comparison page is executed with.
type htmlView struct {
	Title  string
	A, B   string  // the runs, one line each
	Tables []table // the run's first, then the targets'; charts after the run's
	Gates  []Gate
	Charts []chart.Chart
	Data   template.HTML
}

var htmlPage = template.Must(template.New("compare").Funcs(template.FuncMap{
	"head":   chart.Head,
	"div":    chart.Div,
	"gate":   GateLine,
	"header": func() []string { return header },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table.cmp{border-collapse:collapse;margin:.5em 0 1em}table.cmp td,table.cmp th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
table.cmp td:first-child,table.cmp th:first-child{text-align:left}.side{color:#666}li.held{color:#a40;font-weight:600}
.a{color:` + colorA + `;font-weight:600}.b{color:` + colorB + `;font-weight:600}</style>
{{head}}</head><body>
<h1>{{.Title}}</h1>
<p><span class="a">{{.A}}</span> (the baseline)<br><span class="b">{{.B}}</span></p>
{{if .Gates}}<h2>Gates (--fail-if)</h2><ul>{{range .Gates}}<li{{if .Held}} class="held"{{end}}>{{gate .}}</li>
{{end}}</ul>{{end}}
{{define "table"}}<h2>{{.Title}}</h2>{{if .Note}}<p class="side">{{.Note}}</p>{{end}}
<table class="cmp"><tr>{{range header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{template "table" index .Tables 0}}
{{if .Charts}}<h2>Latency, A and B overlaid</h2>
{{range .Charts}}{{div .ID}}
{{end}}{{end}}
{{range slice .Tables 1}}{{template "table" .}}{{end}}
{{.Data}}</body></html>
`))

// HTML writes c as one self-contained HTML page: the tables and gates of
// Text, and the latency of the runs a and b (the reports c was made of)
// overlaid, drawn by uPlot, which the page carries (package chart): the
// percentile plots of the runs and of each target in both, and p99 per
// second.
func (c *Comparison) HTML(w io.Writer, a, b *events.Report) error {
	v := htmlView{Title: "barrage comparison: " + c.B.RunID + " against " + c.A.RunID,
		A: runLine("A", c.A), B: runLine("B", c.B), Tables: c.tables(), Gates: c.Gates,
		Charts: Charts(a, b)}
	data, err := chart.Data(v.Charts)
	if err != nil {
		return err
	}
	v.Data = data
	return htmlPage.Execute(w, v)
}

// Charts lays out the comparison's charts of runs a and b: the percentile
// plot of the runs (from the intended and, dashed, the actual send), one
// per target in both runs, and p99 per second. A chart that one run has
// no data for is left out.
func Charts(a, b *events.Report) []chart.Chart {
	var out []chart.Chart
	ca, cb := runCurve(a, false), runCurve(b, false)
	ua, ub := runCurve(a, true), runCurve(b, true)
	if len(ua.x) == 0 || len(ub.x) == 0 {
		ua, ub = curve{}, curve{}
	}
	if c, ok := distribution("distribution", "Latency by percentile: the run", ca, cb, ua, ub); ok {
		out = append(out, c)
	}
	for i, name := range targetNames(a, b) {
		ta, tb := findTarget(a, name), findTarget(b, name)
		if ta == nil || tb == nil {
			continue
		}
		id := "distribution-target-" + strconv.Itoa(i)
		if c, ok := distribution(id, "Latency by percentile: target "+name, targetCurve(a, ta), targetCurve(b, tb), curve{}, curve{}); ok {
			out = append(out, c)
		}
	}
	if pa, pb := p99Curve(a), p99Curve(b); len(pa.x) > 0 && len(pb.x) > 0 {
		x, v := overlay(pa, pb)
		out = append(out, chart.Chart{ID: "p99", Title: "Latency p99 per second, from the intended send", X: x,
			XAxis: chart.Axis{Label: "seconds since the run's start", Whole: true}, YAxis: chart.Axis{Label: "latency (ms)"},
			Series: []chart.Series{{Label: "A p99", Color: colorA, Values: v[0]}, {Label: "B p99", Color: colorB, Values: v[1]}},
			Note:   "Each run from its own start; a second without requests is a gap."})
	}
	return out
}

// distribution overlays the percentile plots of A and B (and their
// uncorrected ones, dashed, when given); false when a run has none.
func distribution(id, title string, a, b, ua, ub curve) (chart.Chart, bool) {
	if len(a.x) == 0 || len(b.x) == 0 {
		return chart.Chart{}, false
	}
	x, v := overlay(a, b, ua, ub)
	series := []chart.Series{{Label: "A", Color: colorA, Join: true, Values: v[0]}, {Label: "B", Color: colorB, Join: true, Values: v[1]}}
	if len(ua.x) > 0 {
		series = append(series, chart.Series{Label: "A, uncorrected", Color: colorA, Dash: true, Join: true, Values: v[2]},
			chart.Series{Label: "B, uncorrected", Color: colorB, Dash: true, Join: true, Values: v[3]})
	}
	return chart.Chart{ID: id, Title: title, X: x,
		XAxis: chart.Axis{Label: "percentile", Log: true, Percentile: true}, YAxis: chart.Axis{Label: "latency (ms)", Log: true},
		Series: series,
		Note:   "HdrHistogram's percentile plot, x = 1/(1−q), log: each run up to the percentile its latencies reach."}, true
}

// curve is a line to overlay: y at each x, x increasing.
type curve struct{ x, y []float64 }

// runCurve is r's percentile plot (uncorrected: from the actual send):
// from latency_percentiles, or in a report without them from latency_ms's
// few percentiles.
func runCurve(r *events.Report, uncorrected bool) curve {
	if p := r.LatencyPercentiles; p != nil && len(p.Q) > 0 {
		if uncorrected {
			return qCurve(p.Q, p.UncorrectedMs)
		}
		return qCurve(p.Q, p.Ms)
	}
	l := r.LatencyMs
	if uncorrected {
		l = r.LatencyUncorrectedMs
	}
	x, ms := reports.SummaryPercentiles(l)
	return curve{x, ms}
}

// targetCurve is target t's percentile plot, on r's percentiles.
func targetCurve(r *events.Report, t *events.TargetReport) curve {
	if p := r.LatencyPercentiles; p != nil && len(p.Q) > 0 && len(t.PercentilesMs) == len(p.Q) {
		return qCurve(p.Q, t.PercentilesMs)
	}
	x, ms := reports.SummaryPercentiles(t.LatencyMs)
	return curve{x, ms}
}

// qCurve is ms at x = 1/(1−q); none unless there is a value per q.
func qCurve(qs, ms []float64) curve {
	if len(ms) != len(qs) {
		return curve{}
	}
	c := curve{y: ms}
	for _, q := range qs {
		c.x = append(c.x, 1/(1-q))
	}
	return c
}

// p99Curve is r's p99 per second, at the seconds with requests.
func p99Curve(r *events.Report) curve {
	var c curve
	for _, s := range r.TimeSeries {
		if s.Requests > 0 {
			c.x, c.y = append(c.x, float64(s.ElapsedS)), append(c.y, s.P99Ms)
		}
	}
	return c
}

// overlay puts curves on one x axis, the union of their x (two x within a
// relative 1e-9 are one), each curve a gap at the x it lacks.
func overlay(cs ...curve) ([]float64, []chart.Values) {
	var all []float64
	for _, c := range cs {
		all = append(all, c.x...)
	}
	sort.Float64s(all)
	var xs []float64
	for _, x := range all {
		if len(xs) == 0 || !same(xs[len(xs)-1], x) {
			xs = append(xs, x)
		}
	}
	out := make([]chart.Values, len(cs))
	for i, c := range cs {
		v := make(chart.Values, len(xs))
		for j := range v {
			v[j] = chart.Gap
		}
		k := 0
		for j, x := range c.x {
			for k < len(xs)-1 && !same(xs[k], x) && xs[k] < x {
				k++
			}
			if same(xs[k], x) {
				v[k] = c.y[j]
			}
		}
		out[i] = v
	}
	return xs, out
}

func same(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
