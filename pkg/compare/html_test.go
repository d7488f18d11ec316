package compare

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// withSeries gives r latency_percentiles on the grid's first n quantiles
// (x = 10^(k/10)), latency scale·x^0.25 for the run and each target, and
// seconds seconds of p99 = scale·(1 + k), second gap without requests.
func withSeries(r *events.Report, n, seconds int, scale float64, gap int) *events.Report {
	p := &events.Percentiles{}
	for k := range n {
		x := math.Pow(10, float64(k)/10)
		p.Q, p.Ms, p.UncorrectedMs = append(p.Q, 1-1/x), append(p.Ms, scale*math.Pow(x, 0.25)), append(p.UncorrectedMs, scale*0.8*math.Pow(x, 0.25))
	}
	r.LatencyPercentiles = p
	for i := range r.Targets {
		r.Targets[i].PercentilesMs = p.Ms
	}
	for k := range seconds {
		s := events.SeriesReport{ElapsedS: int64(k), Requests: 10, P99Ms: scale * float64(1+k)}
		if k == gap {
			s.Requests = 0
		}
		r.TimeSeries = append(r.TimeSeries, s)
	}
	return r
}

// pageCharts reads the charts of a page's JSON blob; a gap reads as nil.
func pageCharts(t *testing.T, page string) map[string][]struct {
	Label  string
	Values []*float64
} {
	t.Helper()
	_, blob, ok := strings.Cut(page, `<script type="application/json" id="barrage-charts">`)
	blob, _, ok2 := strings.Cut(blob, "</script>")
	if !ok || !ok2 {
		t.Fatal("no chart data in the page")
	}
	var charts []struct {
		ID     string
		X      []float64
		Series []struct {
			Label  string
			Values []*float64
		}
	}
	if err := json.Unmarshal([]byte(blob), &charts); err != nil {
		t.Fatal(err)
	}
	out := map[string][]struct {
		Label  string
		Values []*float64
	}{}
	for _, c := range charts {
		if !strings.Contains(page, string(chart.Div(c.ID))) {
			t.Errorf("chart %s has no placeholder", c.ID)
		}
		for _, s := range c.Series {
			if len(s.Values) != len(c.X) {
				t.Errorf("chart %s, %s: %d values for %d x", c.ID, s.Label, len(s.Values), len(c.X))
			}
		}
		out[c.ID] = c.Series
	}
	return out
}

// TestHTML: the page has both runs, the tables and gates, and each chart
// has A's and B's values: the run's and the common target's percentile
// plots (B's reaching further), p99 per second (A's gap kept); no chart
// for a target only B has, and nothing outside the file.
func TestHTML(t *testing.T) {
	a := withSeries(report("run-a", 2, 100, 1000, 1000, 0), 31, 5, 1, 2)
	b := withSeries(report("run-b", 20, 100, 2000, 2000, 0, events.TargetReport{Name: "only-b <b>"}), 34, 7, 10, -1)
	c := Compare(a, b)
	conds, _ := ParseConditions("p99>+10%")
	if _, err := c.Judge(conds); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.HTML(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"A: run-a", "B: run-b", "<td>p99 (ms)</td><td>2.00</td><td>20.00</td><td>&#43;18.00</td><td>&#43;900.0%</td>",
		`<li class="held">FAIL p99&gt;&#43;10%: p99 2.00 ms → 20.00 ms`, "Target only-b &lt;b&gt;", "only in B"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, ref := range []string{"src=", "href=", "url(", "@import"} {
		if strings.Contains(strings.ToLower(page), ref) {
			t.Errorf("the page refers outside itself: %q", ref)
		}
	}
	charts := pageCharts(t, page)
	if len(charts) != 3 {
		t.Errorf("charts %v; want distribution, distribution-target-0 and p99", keys(charts))
	}
	// The percentile plots: 34 x; A's 31 values then gaps, B's 34.
	for _, id := range []string{"distribution", "distribution-target-0"} {
		s := charts[id]
		if len(s) < 2 || s[0].Label != "A" || s[1].Label != "B" {
			t.Fatalf("chart %s: series %+v; want A and B", id, s)
		}
		if n := nonNull(s[0].Values); n != 31 || s[0].Values[30] == nil || !six(*s[0].Values[30], a.LatencyPercentiles.Ms[30]) {
			t.Errorf("chart %s: A has %d values; want 31, A's", id, n)
		}
		if n := nonNull(s[1].Values); n != 34 || !six(*s[1].Values[33], b.LatencyPercentiles.Ms[33]) {
			t.Errorf("chart %s: B has %d values; want 34, B's", id, n)
		}
	}
	if s := charts["distribution"]; len(s) != 4 || s[2].Label != "A, uncorrected" || nonNull(s[3].Values) != 34 {
		t.Errorf("the run's plot: %d series; want A, B and both uncorrected", len(s))
	}
	// p99 per second: 7 seconds; A's 5 less its second 2, B's 7.
	s := charts["p99"]
	if len(s) != 2 || nonNull(s[0].Values) != 4 || s[0].Values[2] != nil || *s[0].Values[4] != 5 ||
		nonNull(s[1].Values) != 7 || *s[1].Values[6] != 70 {
		t.Errorf("p99 chart %+v; want A's 4 seconds (gap at 2, 5 ms at 4) and B's 7 (70 ms at 6)", s)
	}
}

// six: equal to the six significant digits the page keeps.
func six(got, want float64) bool { return math.Abs(got-want) <= 1e-5*math.Abs(want) }

func nonNull(v []*float64) int {
	n := 0
	for _, x := range v {
		if x != nil {
			n++
		}
	}
	return n
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOverlay: curves on the union of their x, gaps where one lacks an x;
// x equal within rounding are one.
func TestOverlay(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		a, b   curve
		x      []float64
		va, vb []float64
	}{
		{"B reaches further", curve{[]float64{1, 10}, []float64{1, 2}}, curve{[]float64{1, 10, 100}, []float64{3, 4, 5}},
			[]float64{1, 10, 100}, []float64{1, 2, nan}, []float64{3, 4, 5}},
		{"interleaved (summary percentiles against a grid)", curve{[]float64{1, 2, 10}, []float64{1, 2, 3}}, curve{[]float64{1, 1.995, 10}, []float64{4, 5, 6}},
			[]float64{1, 1.995, 2, 10}, []float64{1, nan, 2, 3}, []float64{4, 5, nan, 6}},
		{"rounding: 1/(1−q) computed twice", curve{[]float64{1 / (1 - 0.9)}, []float64{1}}, curve{[]float64{10}, []float64{2}},
			[]float64{10}, []float64{1}, []float64{2}},
		{"one empty", curve{}, curve{[]float64{0, 1}, []float64{1, 2}}, []float64{0, 1}, []float64{nan, nan}, []float64{1, 2}},
	}
	for _, tt := range tests {
		x, v := overlay(tt.a, tt.b)
		if !floats(x, tt.x) || !floats(v[0], tt.va) || !floats(v[1], tt.vb) {
			t.Errorf("%s: x %v, A %v, B %v; want %v, %v, %v", tt.name, x, v[0], v[1], tt.x, tt.va, tt.vb)
		}
	}
}

// floats compares within rounding, NaN equal to NaN.
func floats(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) || !math.IsNaN(got[i]) && !same(got[i], want[i]) {
			return false
		}
	}
	return true
}
