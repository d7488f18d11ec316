package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// maxMonitorRows bounds the series listed per endpoint in the monitor
// summary (a section may keep events.MaxMonitorSeries).
const maxMonitorRows = 30

// isBucket says whether s is a histogram's bucket (it has an le label):
// neither charted nor summarised, the histogram's _sum and _count are.
func isBucket(s events.MonitorSeries) bool {
	_, ok := s.Labels["le"]
	return ok
}

// monitorTables summarises the server's metrics of the monitor section,
// a table per endpoint: its scrapes and failures, and per series kept
// (buckets left out, at most maxMonitorRows) the least, greatest and last
// value scraped, raw (a counter's totals, not its rate). plotted adds that
// report.html plots them: the text and Markdown reports say it.
func monitorTables(mon []events.MonitorReport, plotted bool) []table {
	var out []table
	for _, m := range mon {
		t := table{Title: "Server metrics: " + m.URL, Header: []string{"series", "type", "values", "min", "max", "last"}}
		notes := []string{fmt.Sprintf("%d scrapes, %d failed", m.Scrapes, m.Failures)}
		if m.LastError != "" {
			notes[0] += " (the last: " + m.LastError + ")"
		}
		buckets, more := 0, 0
		for _, s := range m.Series {
			switch {
			case isBucket(s):
				buckets++
			case len(t.Rows) == maxMonitorRows:
				more++
			default:
				t.Rows = append(t.Rows, monitorRow(s))
			}
		}
		if more > 0 {
			notes = append(notes, fmt.Sprintf("%d more series in report.json", more))
		}
		if m.SeriesDropped > 0 {
			notes = append(notes, fmt.Sprintf("%d matching series not kept", m.SeriesDropped))
		}
		if buckets > 0 {
			notes = append(notes, fmt.Sprintf("%d histogram buckets left out", buckets))
		}
		if plotted {
			notes = append(notes, "report.html plots these series over the run (counters as their increase per second)")
		}
		t.Note = strings.Join(notes, "; ") + "."
		out = append(out, t)
	}
	return out
}

// monitorRow is a series' name and labels, type, how many values were
// scraped, their range and the last; "—" without a successful scrape.
func monitorRow(s events.MonitorSeries) []string {
	name := s.Metric
	if len(s.Labels) > 0 {
		name += labelSet(s.Labels)
	}
	row := []string{name, s.Type, itoa(int64(len(s.Points))), "—", "—", "—"}
	if len(s.Points) == 0 {
		return row
	}
	lo, hi := s.Points[0].Value, s.Points[0].Value
	for _, p := range s.Points {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	row[3], row[4], row[5] = g(lo), g(hi), g(s.Points[len(s.Points)-1].Value)
	return row
}
