package events

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestFindMaxSteps(t *testing.T) {
	tests := []struct {
		name string
		f    FindMax
		want []Step
	}{
		// A warm-up at the start rate (step 0), then ×1.5 while at most max:
		// 100, 150, 225 (337.5 > 300).
		{"factor", FindMax{Start: 100, Factor: 1.5, Step: Duration(10 * time.Second), Warmup: Duration(5 * time.Second), Max: 300},
			[]Step{{Index: 0, Warmup: true, From: 0, To: sec(5), Rate: 100, RampTo: 100},
				{Index: 1, From: sec(5), To: sec(15), Rate: 100, RampTo: 100},
				{Index: 2, From: sec(15), To: sec(25), Rate: 150, RampTo: 150},
				{Index: 3, From: sec(25), To: sec(35), Rate: 225, RampTo: 225}}},
		// No warm-up; +100 lands on max exactly.
		{"increment", FindMax{Start: 100, Increment: 100, Step: Duration(time.Second), Max: 300},
			[]Step{{Index: 1, From: 0, To: sec(1), Rate: 100, RampTo: 100},
				{Index: 2, From: sec(1), To: sec(2), Rate: 200, RampTo: 200},
				{Index: 3, From: sec(2), To: sec(3), Rate: 300, RampTo: 300}}},
		// A factor whose products land on max within rounding: 100·1.1⁵ is
		// 161.05100000000004 in floating point.
		{"rounding", FindMax{Start: 100, Factor: 1.1, Step: Duration(time.Second), Max: 161.051},
			nil}, // checked by count below
		// Max equal to start: one step.
		{"one step", FindMax{Start: 50, Factor: 2, Step: Duration(time.Second), Max: 50},
			[]Step{{Index: 1, From: 0, To: sec(1), Rate: 50, RampTo: 50}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Load{Shape: ShapeFindMax, FindMax: &tt.f}
			got := l.Steps()
			if tt.want == nil {
				if len(got) != 6 {
					t.Errorf("Steps = %d steps %+v; want 6", len(got), got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Steps =\n%+v\nwant\n%+v", got, tt.want)
			}
			if l.Length() != tt.want[len(tt.want)-1].To {
				t.Errorf("Length = %v", l.Length())
			}
		})
	}
}

func TestStagesSteps(t *testing.T) {
	l := Load{Shape: ShapeStages, Stages: []Stage{
		{Duration: Duration(30 * time.Second), Rate: 100},
		{Duration: Duration(time.Minute), Rate: 100, RampTo: ptr(500.0)},
		{Duration: Duration(10 * time.Second), Rate: 0},
	}}
	want := []Step{{Index: 1, From: 0, To: sec(30), Rate: 100, RampTo: 100},
		{Index: 2, From: sec(30), To: sec(90), Rate: 100, RampTo: 500},
		{Index: 3, From: sec(90), To: sec(100), Rate: 0, RampTo: 0}}
	if got := l.Steps(); !reflect.DeepEqual(got, want) {
		t.Errorf("Steps =\n%+v\nwant\n%+v", got, want)
	}
	// (100·30 + 300·60 + 0) / 100 s = 210/s.
	if got := l.MeanRate(); math.Abs(got-210) > 1e-9 {
		t.Errorf("MeanRate = %v; want 210", got)
	}
	if got := l.PeakRate(); got != 500 {
		t.Errorf("PeakRate = %v; want 500", got)
	}
	if (Load{Rate: 5}).Steps() != nil || (Load{Shape: ShapeRamp, From: 1, To: 2}).Length() != 0 {
		t.Errorf("constant and ramp loads have steps")
	}
}

// TestStagedDefaults: a staged load sets the duration, and a find-max SLO
// gets its error ratio, without changing the original.
func TestStagedDefaults(t *testing.T) {
	f := &FindMax{Start: 10, Factor: 2, Step: Duration(5 * time.Second), Warmup: Duration(5 * time.Second), Max: 40}
	s := RunSpec{Targets: []Target{{URL: "http://a/"}}, Load: Load{Shape: ShapeFindMax, FindMax: f}}
	d := s.WithDefaults()
	if d.Duration.D() != 20*time.Second {
		t.Errorf("duration = %s; want 20s (5 s warm-up and 3 steps of 5 s)", d.Duration)
	}
	if r := d.Load.FindMax.SLO.ErrorRatio; r == nil || *r != DefaultSLOErrorRatio {
		t.Errorf("SLO error ratio = %v; want %v", r, DefaultSLOErrorRatio)
	}
	if f.SLO.ErrorRatio != nil {
		t.Errorf("WithDefaults changed the original find_max")
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if !reflect.DeepEqual(d.WithDefaults(), d) {
		t.Errorf("WithDefaults is not idempotent")
	}
}

func TestValidateStaged(t *testing.T) {
	stages := func(st ...Stage) func(*RunSpec) {
		return func(s *RunSpec) { s.Load = Load{Shape: ShapeStages, Stages: st}; s.Duration = 0 }
	}
	findMax := func(change func(f *FindMax)) func(*RunSpec) {
		return func(s *RunSpec) {
			f := FindMax{Start: 100, Factor: 1.5, Step: Duration(30 * time.Second), Max: 1000, SLO: SLO{P99: Duration(time.Second)}}
			change(&f)
			s.Load, s.Duration = Load{Shape: ShapeFindMax, FindMax: &f}, 0
		}
	}
	thirty := Duration(30 * time.Second)
	tests := []struct {
		name   string
		change func(s *RunSpec)
		want   []problem
	}{
		{"stages", stages(Stage{Duration: thirty, Rate: 10}, Stage{Duration: thirty, Rate: 10, RampTo: ptr(0.0)}), nil},
		// The duration, when given, must be the stages' total.
		{"stages duration matches", func(s *RunSpec) {
			stages(Stage{Duration: thirty, Rate: 10})(s)
			s.Duration = thirty
		}, nil},
		{"stages duration differs", func(s *RunSpec) {
			stages(Stage{Duration: thirty, Rate: 10})(s)
			s.Duration = Duration(10 * time.Second)
		}, []problem{{"duration", "does not match the stages load's total of 30s"}}},
		{"no stages", stages(), []problem{{"load.stages", "no stage"}}},
		{"stage problems", stages(Stage{Rate: -1}, Stage{Duration: thirty, Rate: 1, RampTo: ptr(math.NaN())}),
			[]problem{{"load.stages[0].duration", "out of range"}, {"load.stages[0].rate", "out of range"},
				{"load.stages[1].ramp_to", "out of range"}}},
		{"stages send nothing", stages(Stage{Duration: thirty}), []problem{{"load.stages", "send nothing"}}},
		{"stages with a rate", func(s *RunSpec) {
			stages(Stage{Duration: thirty, Rate: 10})(s)
			s.Load.Rate = 5
		}, []problem{{"load.rate", "not used by shape stages"}}},
		{"stages without the shape", func(s *RunSpec) { s.Load.Stages = []Stage{{Duration: thirty, Rate: 1}} },
			[]problem{{"load.stages", "shape: stages only"}}},
		{"find-max", findMax(func(*FindMax) {}), nil},
		{"find-max missing", func(s *RunSpec) { s.Load, s.Duration = Load{Shape: ShapeFindMax}, 0 },
			[]problem{{"load.find_max", "missing"}}},
		{"find-max factor and increment", findMax(func(f *FindMax) { f.Increment = 10 }),
			[]problem{{"load.find_max", "factor or increment, not both"}}},
		{"find-max neither", findMax(func(f *FindMax) { f.Factor = 0 }),
			[]problem{{"load.find_max", "give factor"}}},
		{"find-max bad numbers", findMax(func(f *FindMax) {
			f.Start, f.Max, f.Factor, f.SLO.ErrorRatio = 0, -1, 0.5, ptr(2.0)
		}), []problem{{"load.find_max.start", "out of range"}, {"load.find_max.max", "out of range"},
			{"load.find_max.factor", "out of range"}, {"load.find_max.slo.error_ratio", "out of range"}}},
		{"find-max max below start", findMax(func(f *FindMax) { f.Max = 50 }),
			[]problem{{"load.find_max.max", "below start"}}},
		{"find-max step too short", findMax(func(f *FindMax) { f.Step = Duration(1500 * time.Millisecond) }),
			[]problem{{"load.find_max.step", "too short to judge"}}},
		{"find-max search", findMax(func(f *FindMax) { f.Search = 3 }), nil},
		{"find-max search too long", findMax(func(f *FindMax) { f.Search = 11 }),
			[]problem{{"load.find_max.search", "out of range"}}},
		{"find-max too many steps", findMax(func(f *FindMax) { f.Factor, f.Increment, f.Max = 0, 0.001, 10000 }),
			[]problem{{"load.find_max", "more than 1000 steps"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.change(&s)
			s = s.WithDefaults()
			checkProblems(t, s.Validate(), tt.want)
		})
	}
}

func checkProblems(t *testing.T, err error, want []problem) {
	t.Helper()
	got := fieldErrors(t, err)
	if len(got) != len(want) {
		t.Fatalf("Validate = %v\nwant %d problems: %v", err, len(want), want)
	}
	for i, w := range want {
		if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.msg) {
			t.Errorf("problem %d = %q, want field %q with %q", i, got[i], w.field, w.msg)
		}
	}
}

func TestValidateThresholds(t *testing.T) {
	ms := func(n int) Limit { return DurationLimit(time.Duration(n) * time.Millisecond) }
	staged := func(s *RunSpec) {
		s.Load = Load{Shape: ShapeStages, Stages: []Stage{{Duration: Duration(10 * time.Second), Rate: 5},
			{Duration: Duration(10 * time.Second), Rate: 10}}}
		s.Duration = 0
	}
	tests := []struct {
		name string
		ths  []Threshold
		load func(*RunSpec)
		want []problem
	}{
		{"valid", []Threshold{{Metric: "p99", Value: ms(500)}, {Metric: "error_ratio", Op: "<=", Value: NumberLimit(0.01)},
			{Metric: "rate", Op: ">", Value: NumberLimit(90), Target: "GET https://api.example.com/x"},
			{Metric: "p99", Value: ms(500), Abort: &ThresholdAbort{After: Duration(time.Second)}}}, nil, nil},
		{"step", []Threshold{{Metric: "p95", Value: ms(100), Step: 2}}, staged, nil},
		// A scenario's iterations and steps are targets of the report.
		{"scenario", []Threshold{{Metric: "p95", Value: ms(100), Target: "login"},
			{Metric: "p95", Value: ms(100), Target: "login/token"}, {Metric: "p95", Value: ms(100), Target: "nope/token"}},
			func(s *RunSpec) {
				s.Scenarios = []Scenario{{Name: "login", Steps: []ScenarioStep{{Name: "token", URL: "http://a/t"}}}}
			},
			[]problem{{"thresholds[2].target", `no target is named "nope/token"`}}},
		{"unknown metric", []Threshold{{Metric: "p98", Value: ms(1)}}, nil,
			[]problem{{"thresholds[0].metric", "unknown metric"}}},
		{"missing metric", []Threshold{{Value: ms(1)}}, nil, []problem{{"thresholds[0].metric", "missing"}}},
		{"latency as a number", []Threshold{{Metric: "p99", Value: NumberLimit(500)}}, nil,
			[]problem{{"thresholds[0].value", "give a duration"}}},
		{"ratio as a duration", []Threshold{{Metric: "error_ratio", Value: ms(1)}}, nil,
			[]problem{{"thresholds[0].value", "give a number"}}},
		{"ratio out of range", []Threshold{{Metric: "error_ratio", Value: NumberLimit(1.5)}}, nil,
			[]problem{{"thresholds[0].value", "out of range"}}},
		{"bad op and target", []Threshold{{Metric: "p50", Op: "=<", Value: ms(1), Target: "nope"}}, nil,
			[]problem{{"thresholds[0].op", "unknown operator"}, {"thresholds[0].target", "no target is named \"nope\""}}},
		{"step without steps", []Threshold{{Metric: "p50", Value: ms(1), Step: 1}}, nil,
			[]problem{{"thresholds[0].step", "the load has no steps"}}},
		{"step past the last", []Threshold{{Metric: "p50", Value: ms(1), Step: 3}}, staged,
			[]problem{{"thresholds[0].step", "the load has 2 steps"}}},
		{"abort on p95", []Threshold{{Metric: "p95", Value: ms(1), Abort: &ThresholdAbort{After: Duration(time.Second)}}}, nil,
			[]problem{{"thresholds[0].abort", "p99 and error_ratio only"}}},
		{"abort without after", []Threshold{{Metric: "p99", Value: ms(1), Abort: &ThresholdAbort{}}}, nil,
			[]problem{{"thresholds[0].abort.after", "must be positive"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			if tt.load != nil {
				tt.load(&s)
			}
			s.Thresholds = tt.ths
			s = s.WithDefaults()
			checkProblems(t, s.Validate(), tt.want)
		})
	}
}

func TestLimitEncoding(t *testing.T) {
	tests := []struct {
		json string
		want Limit
		out  string // re-encoded; "" means json
	}{
		{`"500ms"`, DurationLimit(500 * time.Millisecond), ""},
		{`0.01`, NumberLimit(0.01), ""},
		{`"0.01"`, NumberLimit(0.01), `0.01`}, // a number in a string reads as a number
		{`1e3`, NumberLimit(1000), `1000`},
		{`"1m30s"`, DurationLimit(90 * time.Second), ""},
	}
	for _, tt := range tests {
		var l Limit
		if err := json.Unmarshal([]byte(tt.json), &l); err != nil || l != tt.want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tt.json, l, err, tt.want)
			continue
		}
		b, err := json.Marshal(l)
		want := tt.out
		if want == "" {
			want = tt.json
		}
		if err != nil || string(b) != want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", l, b, err, want)
		}
	}
	for _, bad := range []string{`"fast"`, `true`, `"10"x`} {
		var l Limit
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("Unmarshal(%s) = %+v; want an error", bad, l)
		}
	}
	var l Limit
	if err := l.UnmarshalText([]byte("250ms")); err != nil || l != DurationLimit(250*time.Millisecond) {
		t.Errorf("UnmarshalText(250ms) = %+v, %v", l, err)
	}
	if !Holds(1, "<", 2) || Holds(2, "<", 2) || !Holds(2, "<=", 2) || !Holds(3, ">", 2) || Holds(2, ">", 2) ||
		!Holds(2, ">=", 2) || Holds(1, "==", 1) {
		t.Errorf("Holds disagrees with its operators")
	}
}

// FuzzLimit: any text a Limit accepts re-encodes to JSON that reads back as
// the same Limit.
func FuzzLimit(f *testing.F) {
	for _, s := range []string{"500ms", "0.01", "1e3", "-0", "1h2m3.5s", "NaN", "fast", `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var l Limit
		if l.UnmarshalText([]byte(s)) != nil {
			return
		}
		b, err := json.Marshal(l)
		if err != nil {
			if !l.IsDuration && (math.IsNaN(l.Number) || math.IsInf(l.Number, 0)) {
				return // not finite: Validate rejects it
			}
			t.Fatalf("Marshal(%+v): %v", l, err)
		}
		var back Limit
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Fatalf("%q → %s → %+v, %v", s, b, back, err)
		}
	})
}
