package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

func TestJudgeThresholds(t *testing.T) {
	r := &events.Report{Requests: 1000, Success: 990, DurationS: 10,
		LatencyMs: events.Latency{P50: 20, P95: 80, P99: 120, Max: 400, Mean: 25},
		Targets: []events.TargetReport{
			{Name: "login", Requests: 500, Success: 480, LatencyMs: events.Latency{P99: 300, Max: 400}},
			{Name: "down", Requests: 10, Success: 0}, // refused: no latency
		},
		Steps: []events.StepReport{
			{Step: 0, Kind: "warmup", JudgedS: 2, Requests: 10, Success: 10, LatencyMs: events.Latency{P99: 1, Max: 1}},
			{Step: 1, Kind: "step", JudgedS: 2, Requests: 200, Success: 200, LatencyMs: events.Latency{P99: 90, Max: 95}},
			{Step: 2, Kind: "step", JudgedS: 0},
		}}
	ms := func(n int) events.Limit { return events.DurationLimit(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		th     events.Threshold
		pass   bool
		actual float64
		note   string
	}{
		// Run-wide: p99 120 ms < 500 ms.
		{"p99 holds", events.Threshold{Metric: "p99", Value: ms(500)}, true, 120, ""},
		// p99 120 ms is not < 100 ms.
		{"p99 fails", events.Threshold{Metric: "p99", Value: ms(100)}, false, 120, ""},
		// 10 of 1,000 failed: 0.01 ≤ 0.01, but not < 0.01.
		{"error ratio <=", events.Threshold{Metric: "error_ratio", Op: "<=", Value: events.NumberLimit(0.01)}, true, 0.01, ""},
		{"error ratio <", events.Threshold{Metric: "error_ratio", Value: events.NumberLimit(0.01)}, false, 0.01, ""},
		// Rate: 990 successes over 10 s.
		{"rate", events.Threshold{Metric: "rate", Op: ">=", Value: events.NumberLimit(99)}, true, 99, ""},
		// A target's figures.
		{"target", events.Threshold{Metric: "error_ratio", Value: events.NumberLimit(0.05), Target: "login"}, true, 0.04, ""},
		{"target rate", events.Threshold{Metric: "rate", Op: ">", Value: events.NumberLimit(50), Target: "login"}, false, 48, ""},
		// A target whose requests all failed before a response has no latency.
		{"no latency", events.Threshold{Metric: "p99", Value: ms(500), Target: "down"}, false, 0, "no latency in target down"},
		{"unknown target", events.Threshold{Metric: "p99", Value: ms(500), Target: "x"}, false, 0, `no target "x"`},
		// A step's figures, over its judged seconds.
		{"step", events.Threshold{Metric: "p99", Value: ms(100), Step: 1}, true, 90, ""},
		{"step not judged", events.Threshold{Metric: "p99", Value: ms(100), Step: 2}, false, 0, "step 2 was not judged"},
		{"no such step", events.Threshold{Metric: "p99", Value: ms(100), Step: 7}, false, 0, "no step 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, passed := Judge(r, []events.Threshold{tt.th})
			g := got[0]
			if g.Pass != tt.pass || passed != tt.pass || abs(g.Actual-tt.actual) > 1e-9 || !strings.Contains(g.Note, tt.note) {
				t.Errorf("Judge = %+v, passed %v; want pass %v, actual %v, note with %q", g, passed, tt.pass, tt.actual, tt.note)
			}
		})
	}
	if res, passed := Judge(r, nil); res != nil || !passed {
		t.Errorf("no thresholds: %v, %v; want none, passed", res, passed)
	}
}

func abs(v float64) float64 { return max(v, -v) }

func TestThresholdLine(t *testing.T) {
	for _, tc := range []struct {
		in   events.ThresholdResult
		want string
	}{
		{events.ThresholdResult{Metric: "p99", Op: "<", Value: 500, Actual: 812, Unit: UnitMs, Step: 3},
			"FAIL threshold p99 < 500.0 ms in step 3: 812.0 ms"},
		{events.ThresholdResult{Metric: "error_ratio", Op: "<=", Value: 0.01, Actual: 0.002, Unit: UnitRatio, Target: "login", Pass: true},
			"PASS threshold error_ratio <= 0.01 for target login: 0.002"},
		{events.ThresholdResult{Metric: "rate", Op: ">", Value: 100, Unit: UnitRate, Note: "no data: the run has no send window"},
			"FAIL threshold rate > 100/s: no data: the run has no send window"},
	} {
		if got := ThresholdLine(tc.in); got != tc.want {
			t.Errorf("ThresholdLine = %q; want %q", got, tc.want)
		}
	}
}

// TestRenderStagesAndThresholds: the text and Markdown reports show the
// steps table, the find-max conclusion and a FAIL line per failed threshold.
func TestRenderStagesAndThresholds(t *testing.T) {
	r := run(t, 14, func(k int, s *second) {
		if k >= 8 {
			s.latency = 150 * time.Millisecond
		}
	})
	r.Thresholds, r.Passed = Judge(r, []events.Threshold{
		{Metric: "p99", Value: events.DurationLimit(100 * time.Millisecond), Step: 2},
		{Metric: "p99", Value: events.DurationLimit(100 * time.Millisecond), Step: 3},
	})
	if r.Passed {
		t.Fatal("a threshold on step 3 (p99 150 ms) passed")
	}
	var txt, md, html bytes.Buffer
	if err := Text(&txt, r); err != nil {
		t.Fatal(err)
	}
	Markdown(&md, r)
	HTML(&html, r)
	for _, want := range []string{"Find-max steps", "max sustainable 200/s (the SLO broke at 300/s)",
		"step 3 (fail): p99 150.0 ms > 100.0 ms", "\nPASS threshold p99 < 100.0 ms in step 2: 10.0",
		"\nFAIL threshold p99 < 100.0 ms in step 3: 150.0 ms", "warm-up"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt.String())
		}
	}
	for _, want := range []string{"## Find-max steps", "- FAIL threshold p99 < 100.0 ms in step 3"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown report lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.Contains(html.String(), "FAIL threshold p99 &lt; 100.0 ms in step 3") {
		t.Errorf("HTML report lacks the FAIL line:\n%s", html.String())
	}
}
