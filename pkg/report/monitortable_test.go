package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// TestMonitorTables: the monitor summary of each endpoint, row by row and
// in its note.
func TestMonitorTables(t *testing.T) {
	pts := func(vs ...float64) []events.MonitorPoint {
		var out []events.MonitorPoint
		for i, v := range vs {
			out = append(out, events.MonitorPoint{ElapsedS: float64(i), Value: v})
		}
		return out
	}
	many := make([]events.MonitorSeries, maxMonitorRows+3)
	for i := range many {
		many[i] = events.MonitorSeries{Metric: fmt.Sprintf("m%d", i), Type: "gauge", Points: pts(1)}
	}
	tests := []struct {
		name    string
		m       events.MonitorReport
		plotted bool
		rows    [][]string
		note    string
	}{
		{"a gauge: its least, greatest and last value",
			events.MonitorReport{URL: "http://kc:9000/metrics", Scrapes: 3, Series: []events.MonitorSeries{
				{Metric: "process_cpu_usage", Type: "gauge", Points: pts(0.25, 0.75, 0.5)}}}, true,
			[][]string{{"process_cpu_usage", "gauge", "3", "0.25", "0.75", "0.5"}},
			"3 scrapes, 0 failed; report.html plots these series over the run (counters as their increase per second)."},
		{"a counter with labels, raw (its reset shows as the least); six significant digits",
			events.MonitorReport{URL: "u", Scrapes: 4, Failures: 1, LastError: "timeout", Series: []events.MonitorSeries{
				{Metric: "http_requests_total", Type: "counter", Labels: map[string]string{"status": "500", "method": "GET"}, Points: pts(1234567, 2, 9)}}}, false,
			[][]string{{`http_requests_total{method="GET", status="500"}`, "counter", "3", "2", "1.23457e+06", "9"}},
			"4 scrapes, 1 failed (the last: timeout)."},
		{"a series never scraped reads —; buckets are left out and counted",
			events.MonitorReport{URL: "u", Scrapes: 2, Failures: 2, SeriesDropped: 5, Series: []events.MonitorSeries{
				{Metric: "up", Type: "gauge"},
				{Metric: "lat_bucket", Type: "histogram", Labels: map[string]string{"le": "0.1"}, Points: pts(1)}}}, false,
			[][]string{{"up", "gauge", "0", "—", "—", "—"}},
			"2 scrapes, 2 failed; 5 matching series not kept; 1 histogram buckets left out."},
		{"more series than a table lists: the rest counted",
			events.MonitorReport{URL: "u", Scrapes: 1, Series: many}, false,
			nil, "1 scrapes, 0 failed; 3 more series in report.json."},
	}
	for _, tt := range tests {
		ts := monitorTables([]events.MonitorReport{tt.m}, tt.plotted)
		if len(ts) != 1 {
			t.Fatalf("%s: %d tables; want 1", tt.name, len(ts))
		}
		got := ts[0]
		if got.Title != "Server metrics: "+tt.m.URL || got.Note != tt.note {
			t.Errorf("%s: title %q, note %q\nwant %q, %q", tt.name, got.Title, got.Note, "Server metrics: "+tt.m.URL, tt.note)
		}
		if tt.rows == nil {
			if len(got.Rows) != maxMonitorRows || got.Rows[maxMonitorRows-1][0] != fmt.Sprintf("m%d", maxMonitorRows-1) {
				t.Errorf("%s: %d rows; want the first %d", tt.name, len(got.Rows), maxMonitorRows)
			}
			continue
		}
		if fmt.Sprint(got.Rows) != fmt.Sprint(tt.rows) {
			t.Errorf("%s: rows %q\nwant %q", tt.name, got.Rows, tt.rows)
		}
	}
}

// TestMonitorSummary: text and Markdown summarise the monitor section and
// say that report.html plots it; report.html does not say so of itself.
func TestMonitorSummary(t *testing.T) {
	r := synthetic(60)
	var text, md, html bytes.Buffer
	if err := Text(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	plots := "report.html plots these series"
	for name, out := range map[string]string{"text": text.String(), "Markdown": md.String()} {
		for _, want := range []string{"Server metrics: http://kc:9000/metrics", "60 scrapes, 1 failed (the last: timeout)", plots,
			"process_cpu_usage", `http_server_requests_seconds_count{status="500"}`, "1 histogram buckets left out"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	if !strings.Contains(md.String(), "| process_cpu_usage | gauge | 60 | 0.2 | ") {
		t.Errorf("Markdown has no gauge row:\n%s", md.String())
	}
	if !strings.Contains(html.String(), "Server metrics: http://kc:9000/metrics") || strings.Contains(html.String(), plots) {
		t.Error("report.html lacks the monitor table, or says it plots the series as if it were another report")
	}
}
