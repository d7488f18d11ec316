package report

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// TestHTMLPage checks report.html without a browser (TestBrowser draws
// it): a placeholder for every chart and the charts' data in the one JSON
// blob, every second of the run in the table where text and Markdown show a
// summary and say so, lines broken, and no reference outside the file.
func TestHTMLPage(t *testing.T) {
	r := synthetic(600)
	r.Warnings = append(r.Warnings, "first line\nsecond <line>")
	var page bytes.Buffer
	if err := HTML(&page, r); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	blob := regexp.MustCompile(`<script type="application/json" id="barrage-charts">(.*?)</script>`).FindStringSubmatch(html)
	if blob == nil {
		t.Fatal("no chart data in the page")
	}
	var charts []struct {
		ID     string `json:"id"`
		X      []float64
		Series []struct{ Values []*float64 }
	}
	if err := json.Unmarshal([]byte(blob[1]), &charts); err != nil {
		t.Fatalf("chart data: %v", err)
	}
	ids := map[string]bool{}
	for _, c := range charts {
		ids[c.ID] = true
		if !strings.Contains(html, string(chart.Div(c.ID))) {
			t.Errorf("chart %s has no placeholder", c.ID)
		}
		for i, s := range c.Series {
			if len(s.Values) != len(c.X) {
				t.Errorf("chart %s series %d: %d values for %d x", c.ID, i, len(s.Values), len(c.X))
			}
		}
	}
	for _, id := range []string{"latency", "rate", "distribution", "targets", "steps", "find-max", "health-cpu", "health-conns", "monitor-0-0", "monitor-0-1"} {
		if !ids[id] {
			t.Errorf("no chart %s; charts %v", id, ids)
		}
	}
	if ids["monitor-0-2"] {
		t.Error("a histogram bucket is charted")
	}
	if n := strings.Count(html, "<tr><td>599</td>"); n != 1 {
		t.Errorf("second 599 in %d rows of the page; want every second", n)
	}
	if !strings.Contains(html, "first line<br>\nsecond &lt;line&gt;") || !strings.Contains(html, "error ratio ≤ 1%; each step judged over its whole seconds after the first 1 s<br>\nstep 1 (pass)") {
		t.Error("lines of a warning or of the SLO note are not broken with <br>")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import`).FindAllString(html, -1); len(m) > 0 {
		t.Errorf("the page refers to other files: %v", m)
	}
	var text bytes.Buffer
	if err := Text(&text, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Per second (by completion time), every 20 s") ||
		!strings.Contains(text.String(), "every 20-th of the run's 600 seconds is shown; report.json and report.html have them all") {
		t.Errorf("the text report does not say it summarises the seconds:\n%s", text.String())
	}
}

// TestMonitorChart: a counter is drawn as its increase per second, a reset
// is a gap, and a gauge as it is, on the union of the scrape times.
func TestMonitorChart(t *testing.T) {
	pts := func(vs ...float64) []events.MonitorPoint {
		var out []events.MonitorPoint
		for i, v := range vs {
			out = append(out, events.MonitorPoint{ElapsedS: float64(i) * 2, Value: v})
		}
		return out
	}
	c := monitorChart("m", "http://kc/metrics", "reqs", []events.MonitorSeries{
		{Metric: "reqs", Type: "counter", Labels: map[string]string{"code": "200"}, Points: pts(10, 30, 5, 9)},
		{Metric: "reqs", Type: "counter", Labels: map[string]string{"code": "500"}, Points: pts(0, 0)},
	})
	if got, want := c.X, []float64{0, 2, 4, 6}; !equal(got, want) {
		t.Errorf("x %v; want %v", got, want)
	}
	nan := math.NaN()
	for i, want := range []chart.Values{{nan, 10, nan, 2}, {nan, 0, nan, nan}} {
		if got := c.Series[i].Values; !equal(got, want) {
			t.Errorf("series %s: %v; want %v", c.Series[i].Label, got, want)
		}
	}
	if c.Series[0].Label != `{code="200"}` || c.YAxis.Label != "increase per second" {
		t.Errorf("label %q, axis %q", c.Series[0].Label, c.YAxis.Label)
	}
}

// equal compares float slices, NaN equal to NaN.
func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
