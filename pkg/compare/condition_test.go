package compare

import (
	"math"
	"strings"
	"testing"
)

// TestParseCondition: each form --fail-if takes, and what it means.
func TestParseCondition(t *testing.T) {
	tests := []struct {
		in   string
		want Condition
	}{
		// Relative: a signed percentage, as a fraction of A.
		{"p99>+10%", Condition{Metric: "p99", Op: ">", Relative: true, Value: 0.10}},
		// A fall: throughput down by more than 5%.
		{"throughput<-5%", Condition{Metric: "throughput", Op: "<", Relative: true, Value: -0.05}},
		// No sign is a rise; two-character operators are not read as one.
		{"p95>=10%", Condition{Metric: "p95", Op: ">=", Relative: true, Value: 0.10}},
		{"achieved_rate<=-2.5%", Condition{Metric: "achieved_rate", Op: "<=", Relative: true, Value: -0.025}},
		// Absolute latency: a Go duration, in milliseconds.
		{"p50>+20ms", Condition{Metric: "p50", Op: ">", Value: 20}},
		{"max>1.5s", Condition{Metric: "max", Op: ">", Value: 1500}},
		{"p999>+500us", Condition{Metric: "p999", Op: ">", Value: 0.5}},
		// p99.9 is p999; spaces do not matter; metric names in any case.
		{" P99.9 > +10% ", Condition{Metric: "p999", Op: ">", Relative: true, Value: 0.10}},
		// Absolute ratio and rates: numbers in the metric's unit.
		{"error_ratio>+0.01", Condition{Metric: "error_ratio", Op: ">", Value: 0.01}},
		{"throughput<-50/s", Condition{Metric: "throughput", Op: "<", Value: -50}},
		{"dropped>0", Condition{Metric: "dropped", Op: ">", Value: 0}},
		// A target's figure; its name may hold spaces and colons.
		{"target=login:p99>+10%", Condition{Target: "login", Metric: "p99", Op: ">", Relative: true, Value: 0.10}},
		{"target=GET http://127.0.0.1:8080/x:error_ratio>0.05",
			Condition{Target: "GET http://127.0.0.1:8080/x", Metric: "error_ratio", Op: ">", Value: 0.05}},
	}
	for _, tt := range tests {
		got, err := ParseCondition(tt.in)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.in, err)
			continue
		}
		tt.want.Text = strings.TrimSpace(tt.in)
		if got.Target != tt.want.Target || got.Metric != tt.want.Metric || got.Op != tt.want.Op ||
			got.Relative != tt.want.Relative || math.Abs(got.Value-tt.want.Value) > 1e-12 || got.Text != tt.want.Text {
			t.Errorf("ParseCondition(%q) = %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

// TestParseConditionErrors: a malformed condition is refused with a reason
// that names it.
func TestParseConditionErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty condition"},                                   // nothing
		{"p99", "no comparison"},                                  // no operator
		{"p99=+10%", "no comparison"},                             // = is not an operator
		{"p98>+10%", `unknown metric "p98"`},                      // no such metric
		{">+10%", `unknown metric ""`},                            // no metric
		{"p99>", "no change after the comparison"},                // no value
		{"p99>+10", `"+10" needs a unit`},                         // a latency needs a unit
		{"p99>fast", `"fast" is not a change of latency`},         // nor a word
		{"p99>abc%", `"abc%" is not a percentage`},                // a percentage is a number
		{"p99>NaN%", `"NaN%" is not a percentage`},                // and a finite one
		{"throughput>+20ms", `"+20ms" is not a change`},           // a rate is not a duration
		{"error_ratio>Inf", `"Inf" is not a change`},              // infinite
		{"p99>>10%", `">10%" is not a percentage`},                // one operator
		{"target=:p99>+10%", "want target=NAME:"},                 // no name
		{"target=login", "want target=NAME:"},                     // no condition
		{"target=login:target_rate>0", "not measured per target"}, // run-wide only
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseCondition(%q) = %v; want one line with %q", tt.in, err, tt.want)
		}
	}
}

// TestParseConditions: commas separate conditions; one bad one refuses
// them all.
func TestParseConditions(t *testing.T) {
	cs, err := ParseConditions("p99>+10%, error_ratio>+0.01,throughput<-5%")
	if err != nil || len(cs) != 3 || cs[0].Metric != "p99" || cs[1].Metric != "error_ratio" || cs[2].Metric != "throughput" {
		t.Errorf("ParseConditions = %+v, %v; want p99, error_ratio, throughput", cs, err)
	}
	if cs, err := ParseConditions("p99>+10%,,p50>1ms"); err == nil {
		t.Errorf("ParseConditions with an empty part = %+v; want an error", cs)
	}
}

// TestHolds: each condition against a row of A and B, including zero
// baselines.
func TestHolds(t *testing.T) {
	m := func(name string) metric { mm, _ := lookupMetric(name); return mm }
	tests := []struct {
		cond string
		a, b float64
		want bool
	}{
		// p99 2 → 20 ms is +900%: a regression by 10%, not below -5%.
		{"p99>+10%", 2, 20, true},
		{"p99<-5%", 2, 20, false},
		// The other way round, -90%.
		{"p99>+10%", 20, 2, false},
		{"p99<-5%", 20, 2, true},
		// Exactly +10% does not exceed +10%, but reaches it.
		{"p99>+10%", 100, 110, false},
		{"p99>=+10%", 100, 110, true},
		// Absolute: +18 ms is more than +5 ms, less than +20 ms.
		{"p99>+5ms", 2, 20, true},
		{"p99>+20ms", 2, 20, false},
		// A fall in throughput below -5%, and within it.
		{"throughput<-5%", 100, 94, true},
		{"throughput<-5%", 100, 96, false},
		// Error ratio: absolute points.
		{"error_ratio>+0.01", 0.001, 0.02, true},
		{"error_ratio>+0.01", 0.001, 0.005, false},
		// Zero baseline: a rise from 0 is more than any percentage…
		{"error_ratio>+1000%", 0, 0.001, true},
		{"dropped>+10%", 0, 1, true},
		// …nothing to nothing is no change…
		{"dropped>+10%", 0, 0, false},
		{"dropped>=0%", 0, 0, true},
		// …and a fall to 0 is -100%.
		{"dropped<-99%", 5, 0, true},
		// Absolute against a zero baseline is plain subtraction.
		{"dropped>+3", 0, 4, true},
		{"dropped>+3", 0, 3, false},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.cond)
		if err != nil {
			t.Fatal(err)
		}
		row := newRow(m(c.Metric), tt.a, tt.b)
		if got := c.Holds(row); got != tt.want {
			t.Errorf("%s with A=%v B=%v: holds %v; want %v", tt.cond, tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzParseCondition: the parser never panics, and what it accepts has a
// known metric, an operator and a finite value.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"p99>+10%", "target=a:b:p50<=-3ms", "error_ratio>0.01", "throughput<-5/s", "p99.9>=1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			return
		}
		if _, ok := lookupMetric(c.Metric); !ok || c.Op == "" || math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			t.Errorf("ParseCondition(%q) = %+v", s, c)
		}
	})
}
