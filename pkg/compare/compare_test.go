package compare

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// report is a run of 10 s with one target "a", plus the targets given.
func report(id string, p99, throughput float64, requests, success, dropped int64, extra ...events.TargetReport) *events.Report {
	lat := events.Latency{P50: p99 / 2, P90: p99 * 0.8, P95: p99 * 0.9, P99: p99, P999: p99 * 1.5, Max: p99 * 2, Mean: p99 / 2}
	return &events.Report{RunID: id, DurationS: 10, TargetRate: 100, AchievedRate: float64(requests) / 10, Throughput: throughput,
		Requests: requests, Success: success, Dropped: dropped, LatencyMs: lat,
		Targets: append([]events.TargetReport{{Name: "a", Requests: requests, Success: success, Dropped: dropped, LatencyMs: lat}}, extra...)}
}

func rowOf(t *testing.T, rows []Row, metric string) Row {
	t.Helper()
	for _, r := range rows {
		if r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no row %s in %+v", metric, rows)
	return Row{}
}

// TestCompareArithmetic: each row's A, B, change and relative change.
func TestCompareArithmetic(t *testing.T) {
	a := report("A", 10, 100, 1000, 1000, 0)
	b := report("B", 12, 90, 1000, 980, 5, events.TargetReport{Name: "only-b", Requests: 10, Success: 10})
	c := Compare(a, b)
	tests := []struct {
		metric            string
		a, b, change, pct float64
		undefined         bool // change_pct null
	}{
		{"p99", 10, 12, 2, 20, false},            // +20%
		{"p50", 5, 6, 1, 20, false},              // the other percentiles alike
		{"max", 20, 24, 4, 20, false},            //
		{"throughput", 100, 90, -10, -10, false}, // a fall
		{"target_rate", 100, 100, 0, 0, false},   // no change
		{"error_ratio", 0, 0.02, 0.02, 0, true},  // from zero: no percentage
		{"dropped", 0, 5, 5, 0, true},            // from zero
		{"requests", 1000, 1000, 0, 0, false},    // the same
		{"achieved_rate", 100, 100, 0, 0, false}, //
	}
	for _, tt := range tests {
		r := rowOf(t, c.Run, tt.metric)
		if r.A != tt.a || r.B != tt.b || !near(r.Change, tt.change) || (r.ChangePct == nil) != tt.undefined ||
			r.ChangePct != nil && !near(*r.ChangePct, tt.pct) {
			t.Errorf("%s: %+v (pct %v); want A %v B %v change %v pct %v (undefined %v)", tt.metric, r, pctOf(r), tt.a, tt.b, tt.change, tt.pct, tt.undefined)
		}
	}
	// Targets: a in both, with its per-target figures; only-b in B alone.
	if len(c.Targets) != 2 || c.Targets[0].Name != "a" || !c.Targets[0].InA || !c.Targets[0].InB ||
		c.Targets[1].Name != "only-b" || c.Targets[1].InA || !c.Targets[1].InB {
		t.Fatalf("targets %+v", c.Targets)
	}
	if r := rowOf(t, c.Targets[0].Rows, "throughput"); r.A != 100 || r.B != 98 { // success / duration_s
		t.Errorf("target a throughput %+v; want 100 → 98", r)
	}
	if r := rowOf(t, c.Targets[0].Rows, "error_ratio"); r.A != 0 || !near(r.B, 0.02) {
		t.Errorf("target a error_ratio %+v; want 0 → 0.02", r)
	}
	for _, r := range c.Targets[0].Rows {
		if r.Metric == "target_rate" {
			t.Errorf("a target has a target_rate row: %+v", r)
		}
	}
}

func near(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }

func pctOf(r Row) any {
	if r.ChangePct == nil {
		return nil
	}
	return *r.ChangePct
}

// TestJudge: gates on the run and on a target; a target that one run
// lacks is an error, not a pass.
func TestJudge(t *testing.T) {
	c := Compare(report("A", 10, 100, 1000, 1000, 0), report("B", 12, 90, 1000, 980, 5, events.TargetReport{Name: "only-b"}))
	conds, err := ParseConditions("p99>+10%,p99>+50%,target=a:error_ratio>+0.01,throughput<-20%")
	if err != nil {
		t.Fatal(err)
	}
	held, err := c.Judge(conds)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range held {
		got = append(got, g.Text)
	}
	if strings.Join(got, " ") != "p99>+10% target=a:error_ratio>+0.01" || len(c.Gates) != 4 {
		t.Errorf("held %v of %d gates; want p99>+10%% and target=a:error_ratio>+0.01 of 4", got, len(c.Gates))
	}
	for _, cond := range []string{"target=only-b:p99>+10%", "target=nope:p99>+10%"} {
		cs, _ := ParseConditions(cond)
		if _, err := Compare(report("A", 1, 1, 1, 1, 0), report("B", 1, 1, 1, 1, 0, events.TargetReport{Name: "only-b"})).Judge(cs); err == nil ||
			!strings.Contains(err.Error(), "no target") || !strings.Contains(err.Error(), `"a"`) {
			t.Errorf("%s: %v; want an error listing the targets", cond, err)
		}
	}
}

// TestRender: text and Markdown show both runs' figures, the change and
// the gates; JSON has change_pct null for an undefined change.
func TestRender(t *testing.T) {
	c := Compare(report("run-a", 2, 100, 1000, 1000, 0), report("run-b", 20, 100, 1000, 1000, 3))
	conds, _ := ParseConditions("p99>+10%")
	if _, err := c.Judge(conds); err != nil {
		t.Fatal(err)
	}
	var text, md bytes.Buffer
	if err := c.Text(&text); err != nil {
		t.Fatal(err)
	}
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A: run-a", "B: run-b", "p99 (ms)", "2.00", "20.00", "+18.00", "+900.0%", "new",
		"FAIL p99>+10%: p99 2.00 ms → 20.00 ms (+18.00 ms, +900.0%)", "Target a"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.Contains(md.String(), "| p99 (ms) | 2.00 | 20.00 | +18.00 | +900.0% |") {
		t.Errorf("Markdown has no p99 row:\n%s", md.String())
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"metric":"dropped","unit":"count","a":0,"b":3,"change":3,"change_pct":null}`) ||
		!strings.Contains(string(b), `"held":true`) {
		t.Errorf("JSON lacks the dropped row with change_pct null, or the held gate:\n%s", b)
	}
}

// TestSignedFormats: changes carry their sign, and never read -0.
func TestSignedFormats(t *testing.T) {
	tests := []struct {
		v    float64
		u    Unit
		want string
	}{
		{1.5, UnitMs, "+1.50"},         // a rise
		{-0.2, UnitMs, "-0.20"},        // a fall
		{-0.0001, UnitMs, "0.00"},      // too small to show: no sign
		{0.00004, UnitRatio, "0.0000"}, //
		{3, UnitCount, "+3"},           // counts are whole
	}
	for _, tt := range tests {
		if got := signed(tt.v, tt.u); got != tt.want {
			t.Errorf("signed(%v, %s) = %q; want %q", tt.v, tt.u, got, tt.want)
		}
	}
}
