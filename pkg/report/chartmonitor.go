package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// Bounds of the server-metrics charts: the page stays readable and light
// however many series a monitor section keeps.
const (
	maxMonitorCharts = 24 // charts, one per endpoint and metric
	maxMonitorSeries = 10 // label sets per chart
)

// monitorCharts draws the server's own metrics, one chart per endpoint and
// metric, each label set a series on the run's time axis. A counter is
// drawn as its increase per second between scrapes (a reset, a fall, is a
// gap); histogram buckets are left out (their _sum and _count are kept).
func monitorCharts(mon []events.MonitorReport) []chart.Chart {
	var out []chart.Chart
	for ei, m := range mon {
		byMetric := map[string][]events.MonitorSeries{}
		var order []string
		for _, s := range m.Series {
			if isBucket(s) || len(s.Points) == 0 {
				continue
			}
			if byMetric[s.Metric] == nil {
				order = append(order, s.Metric)
			}
			byMetric[s.Metric] = append(byMetric[s.Metric], s)
		}
		for mi, metric := range order {
			if len(out) == maxMonitorCharts {
				return out
			}
			out = append(out, monitorChart(fmt.Sprintf("monitor-%d-%d", ei, mi), m.URL, metric, byMetric[metric]))
		}
	}
	return out
}

// monitorChart draws one metric's series (at most maxMonitorSeries) on the
// union of their scrape times.
func monitorChart(id, url, metric string, series []events.MonitorSeries) chart.Chart {
	note := ""
	if len(series) > maxMonitorSeries {
		note = fmt.Sprintf("%d of %d series shown.", maxMonitorSeries, len(series))
		series = series[:maxMonitorSeries]
	}
	counter := series[0].Type == "counter"
	idx := map[float64]int{}
	var xs []float64
	for _, s := range series {
		for _, p := range s.Points {
			if _, ok := idx[p.ElapsedS]; !ok {
				idx[p.ElapsedS] = 0
				xs = append(xs, p.ElapsedS)
			}
		}
	}
	sort.Float64s(xs)
	for i, x := range xs {
		idx[x] = i
	}
	c := chart.Chart{ID: id, Title: metric + " (" + url + ")", X: xs, XAxis: secondsAxis,
		YAxis: chart.Axis{Label: "value"}, Note: note}
	if counter {
		c.YAxis.Label = "increase per second"
	}
	for _, s := range series {
		v := make(chart.Values, len(xs))
		for i := range v {
			v[i] = chart.Gap
		}
		for j, p := range s.Points {
			switch {
			case !counter:
				v[idx[p.ElapsedS]] = p.Value
			case j > 0 && p.Value >= s.Points[j-1].Value && p.ElapsedS > s.Points[j-1].ElapsedS:
				prev := s.Points[j-1]
				v[idx[p.ElapsedS]] = (p.Value - prev.Value) / (p.ElapsedS - prev.ElapsedS)
			}
		}
		c.Series = append(c.Series, chart.Series{Label: labelSet(s.Labels), Values: v})
	}
	return c
}

// labelSet writes labels as {k="v", …}, sorted; "value" without labels.
func labelSet(l map[string]string) string {
	if len(l) == 0 {
		return "value"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + `="` + l[k] + `"`
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
