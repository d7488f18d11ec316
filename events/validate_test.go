package events

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validSpec is a spec that Validate accepts; each row of TestValidate breaks it.
func validSpec() RunSpec {
	return RunSpec{
		Targets:  []Target{{URL: "https://api.example.com/x"}},
		Load:     Load{Rate: 100},
		Duration: Duration(10 * time.Second),
	}
}

// problem is one expected *FieldError: its field, and a part of its message.
type problem struct{ field, msg string }

// fieldErrors lists the *FieldErrors that err joins.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	parts := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	var fes []*FieldError
	for _, e := range parts {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("problem %v is a %T, not a *FieldError", e, e)
		}
		fes = append(fes, fe)
	}
	return fes
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *RunSpec)
		want   []problem // in the order Validate reports them
	}{
		// The base spec and the zero values that mean "default" are fine.
		{"valid", func(s *RunSpec) {}, nil},
		{"zero duration and timeout are defaults", func(s *RunSpec) { s.Duration, s.Timeout = 0, 0 }, nil},
		{"closed loop", func(s *RunSpec) { s.Load.Rate = 0 }, nil},
		// Version.
		{"unsupported version", func(s *RunSpec) { s.Version = 2 },
			[]problem{{"version", "unsupported version 2"}}},
		// Targets.
		{"no targets", func(s *RunSpec) { s.Targets = nil },
			[]problem{{"targets", "no target"}}},
		{"too many targets", func(s *RunSpec) {
			s.Targets = make([]Target, MaxTargets+1)
			for i := range s.Targets {
				s.Targets[i].URL = "http://a/"
			}
		}, []problem{{"targets", "10001 targets; at most 10000"}}},
		{"missing URL", func(s *RunSpec) { s.Targets[0].URL = "" },
			[]problem{{"targets[0].url", "missing"}}},
		{"URL without scheme", func(s *RunSpec) { s.Targets[0].URL = "api.example.com/x" },
			[]problem{{"targets[0].url", "has no scheme"}}},
		{"host:port without scheme", func(s *RunSpec) { s.Targets[0].URL = "localhost:8080" },
			[]problem{{"targets[0].url", "has no scheme"}}},
		{"unsupported scheme", func(s *RunSpec) { s.Targets[0].URL = "ftp://a/x" },
			[]problem{{"targets[0].url", `scheme "ftp" is not supported`}}},
		{"no host", func(s *RunSpec) { s.Targets[0].URL = "http:///x" },
			[]problem{{"targets[0].url", "has no host"}}},
		{"port without host", func(s *RunSpec) { s.Targets[0].URL = "http://:80/" },
			[]problem{{"targets[0].url", "has no host"}}},
		{"not a URL", func(s *RunSpec) { s.Targets[0].URL = "http://a b/" },
			[]problem{{"targets[0].url", "is not a URL"}}},
		{"credentials in URL", func(s *RunSpec) { s.Targets[0].URL = "https://u:p@a/" },
			[]problem{{"targets[0].url", "credentials in the URL"}}},
		{"bad method", func(s *RunSpec) { s.Targets[0].Method = "GE T" },
			[]problem{{"targets[0].method", `"GE T" is not a valid HTTP method`}}},
		{"bad header name", func(s *RunSpec) { s.Targets[0].Headers = map[string]string{"X Y": "1"} },
			[]problem{{"targets[0].headers", `"X Y" is not a valid header name`}}},
		{"header with newline", func(s *RunSpec) { s.Targets[0].Headers = map[string]string{"X-A": "1\r\nX-B: 2"} },
			[]problem{{"targets[0].headers", `the value of "X-A" contains a line break`}}},
		{"header with NUL", func(s *RunSpec) { s.Targets[0].Headers = map[string]string{"X-A": "1\x00"} },
			[]problem{{"targets[0].headers", "NUL"}}},
		{"several bad headers, in name order", func(s *RunSpec) {
			s.Targets[0].Headers = map[string]string{"b c": "1", "a:": "1", "ok": "\n"}
		}, []problem{
			{"targets[0].headers", `"a:" is not`}, {"targets[0].headers", `"b c" is not`},
			{"targets[0].headers", `the value of "ok"`}}},
		{"body and body_file", func(s *RunSpec) { s.Targets[0].Body, s.Targets[0].BodyFile = "{}", "b.json" },
			[]problem{{"targets[0]", "give body or body_file, not both"}}},
		{"negative weight", func(s *RunSpec) { s.Targets[0].Weight = -1 },
			[]problem{{"targets[0].weight", "out of range"}}},
		{"absurd weight", func(s *RunSpec) { s.Targets[0].Weight = MaxWeight + 1 },
			[]problem{{"targets[0].weight", "out of range"}}},
		// Load.
		{"negative rate", func(s *RunSpec) { s.Load.Rate = -1 },
			[]problem{{"load.rate", "-1 is out of range"}}},
		{"NaN rate", func(s *RunSpec) { s.Load.Rate = math.NaN() },
			[]problem{{"load.rate", "NaN is out of range"}}},
		{"infinite rate", func(s *RunSpec) { s.Load.Rate = math.Inf(1) },
			[]problem{{"load.rate", "out of range"}}},
		{"absurd rate", func(s *RunSpec) { s.Load.Rate = MaxRate + 1 },
			[]problem{{"load.rate", "out of range"}}},
		{"unknown shape", func(s *RunSpec) { s.Load.Shape = "sine" },
			[]problem{{"load.shape", `unknown shape "sine"`}}},
		{"ramp 0 to 0", func(s *RunSpec) { s.Load = Load{Shape: ShapeRamp} },
			[]problem{{"load", "a ramp from 0 to 0 sends nothing"}}},
		{"ramp with negative from and NaN to", func(s *RunSpec) { s.Load = Load{Shape: ShapeRamp, From: -1, To: math.NaN()} },
			[]problem{{"load.from", "out of range"}, {"load.to", "out of range"}}},
		{"ramp ignores rate", func(s *RunSpec) { s.Load = Load{Shape: ShapeRamp, Rate: -1, To: 10} }, nil},
		// Duration and timeout.
		{"negative duration", func(s *RunSpec) { s.Duration = Duration(-time.Second) },
			[]problem{{"duration", "-1s is out of range"}}},
		{"too long duration", func(s *RunSpec) { s.Duration = Duration(MaxDuration + time.Second) },
			[]problem{{"duration", "out of range"}}},
		{"negative timeout", func(s *RunSpec) { s.Timeout = Duration(-time.Second) },
			[]problem{{"timeout", "out of range"}}},
		{"too long timeout", func(s *RunSpec) { s.Timeout = Duration(2 * time.Hour) },
			[]problem{{"timeout", "2h0m0s is out of range"}}},
		// The late limit: 0 never drops; negative or longer than a timeout is absurd.
		{"late limit never", func(s *RunSpec) { s.LateLimit = ptr(Duration(0)) }, nil},
		{"negative late limit", func(s *RunSpec) { s.LateLimit = ptr(Duration(-time.Millisecond)) },
			[]problem{{"late_limit", "-1ms is out of range (0 ≤ late_limit ≤ 1h0m0s; 0 never drops)"}}},
		{"too long late limit", func(s *RunSpec) { s.LateLimit = ptr(Duration(2 * time.Hour)) },
			[]problem{{"late_limit", "out of range"}}},
		// Counts.
		{"negative workers", func(s *RunSpec) { s.Workers = -1 },
			[]problem{{"workers", "-1 is out of range"}}},
		{"too many workers", func(s *RunSpec) { s.Workers = MaxWorkers + 1 },
			[]problem{{"workers", "out of range"}}},
		{"negative max_inflight", func(s *RunSpec) { s.MaxInflight = -1 },
			[]problem{{"max_inflight", "out of range"}}},
		{"too many connections", func(s *RunSpec) { s.Connections = MaxConnections + 1 },
			[]problem{{"connections", "out of range"}}},
		// Connection modes.
		{"http2 with an http URL", func(s *RunSpec) { s.HTTP2, s.Targets[0].URL = true, "http://a/" },
			[]problem{{"targets[0].url", "http2 needs an https URL"}}},
		{"h2c with an https URL", func(s *RunSpec) { s.H2C = true },
			[]problem{{"targets[0].url", "h2c needs an http URL"}}},
		{"http2 and h2c", func(s *RunSpec) { s.HTTP2, s.H2C = true, true },
			[]problem{{"targets[0].url", "h2c needs an http URL"}, {"h2c", "choose one of http2"}}},
		// Every problem is reported at once, in field order.
		{"several problems", func(s *RunSpec) {
			s.Targets = append(s.Targets, Target{URL: "example.com", Method: "G(T"})
			s.Load.Rate = -5
			s.Timeout = Duration(-time.Second)
			s.Workers = -1
		}, []problem{
			{"targets[1].method", "not a valid HTTP method"}, {"targets[1].url", "has no scheme"},
			{"load.rate", "out of range"}, {"timeout", "out of range"}, {"workers", "out of range"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.change(&s)
			err := s.Validate()
			got := fieldErrors(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("Validate = %v\nwant %d problems: %v", err, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.msg) {
					t.Errorf("problem %d = %q, want field %q with %q", i, got[i], w.field, w.msg)
				}
			}
		})
	}
}

// TestValidateChangesNothing checks that Validate leaves its spec alone.
func TestValidateChangesNothing(t *testing.T) {
	s := validSpec()
	s.Targets[0].Headers = map[string]string{"X A": "1"}
	s.Load.Rate = -1
	before := validSpec()
	before.Targets[0].Headers = map[string]string{"X A": "1"}
	before.Load.Rate = -1
	_ = s.Validate()
	if !reflect.DeepEqual(s, before) {
		t.Errorf("Validate changed the spec:\n got %+v\nwant %+v", s, before)
	}
}

func TestWithDefaults(t *testing.T) {
	no := false
	tests := []struct {
		name string
		in   RunSpec
		want RunSpec
	}{
		// Every default at once: a spec without any load runs at DefaultRate.
		{"zero", RunSpec{},
			RunSpec{Version: RunSpecVersion, Load: Load{Shape: ShapeConstant, Rate: DefaultRate},
				Duration: Duration(DefaultDuration), Timeout: Duration(DefaultTimeout), Connections: 1}},
		// A target gets a method, a weight and the name "METHOD URL".
		{"target", RunSpec{Targets: []Target{{URL: "http://a/"}, {URL: "http://b/", Method: "POST"}}},
			RunSpec{Version: 1, Load: Load{Shape: ShapeConstant, Rate: DefaultRate}, Duration: Duration(DefaultDuration),
				Timeout: Duration(DefaultTimeout), Connections: 1,
				Targets: []Target{
					{Name: "GET http://a/", Method: "GET", URL: "http://a/", Weight: 1},
					{Name: "POST http://b/", Method: "POST", URL: "http://b/", Weight: 1}}}},
		// Whatever is set stays as it is.
		{"set", RunSpec{Version: 1, Name: "n", Load: Load{Shape: ShapeRamp, From: 1, To: 2},
			Duration: Duration(time.Minute), Timeout: Duration(time.Second), Connections: 3, Workers: 2,
			KeepAlive: &no, MaxInflight: 5,
			Targets: []Target{{Name: "t", Method: "PUT", URL: "http://a/", Weight: 7}}},
			RunSpec{Version: 1, Name: "n", Load: Load{Shape: ShapeRamp, From: 1, To: 2},
				Duration: Duration(time.Minute), Timeout: Duration(time.Second), Connections: 3, Workers: 2,
				KeepAlive: &no, MaxInflight: 5,
				Targets: []Target{{Name: "t", Method: "PUT", URL: "http://a/", Weight: 7}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.WithDefaults()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithDefaults:\n got %+v\nwant %+v", got, tt.want)
			}
			if again := got.WithDefaults(); !reflect.DeepEqual(again, got) {
				t.Errorf("WithDefaults is not idempotent:\n got %+v\nwant %+v", again, got)
			}
		})
	}
}

// TestWithDefaultsCopiesTargets checks that defaulting a spec leaves the
// targets of the original as they were.
func TestWithDefaultsCopiesTargets(t *testing.T) {
	s := RunSpec{Targets: []Target{{URL: "http://a/"}}}
	d := s.WithDefaults()
	if s.Targets[0].Method != "" || s.Targets[0].Name != "" || s.Targets[0].Weight != 0 {
		t.Errorf("WithDefaults changed the original target: %+v", s.Targets[0])
	}
	if !d.KeepAliveOn() || d.Load.ClosedLoop() || d.Load.Rate != DefaultRate {
		t.Errorf("defaults: KeepAliveOn = %v, ClosedLoop = %v, rate %v; want true, false, %v",
			d.KeepAliveOn(), d.Load.ClosedLoop(), d.Load.Rate, DefaultRate)
	}
	// An explicit closed loop stays one.
	c := RunSpec{Load: Load{Shape: ShapeConstant}}.WithDefaults()
	if !c.Load.ClosedLoop() {
		t.Errorf("explicit closed loop became %+v", c.Load)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
}

// TestValidateWith: the deeper check sees each scenario whose own fields
// are valid, and its problems take the scenario's place among the others;
// Validate is ValidateWith without one.
func TestValidateWith(t *testing.T) {
	s := validSpec()
	s.Targets[0].URL = "example.com"
	s.Scenarios = []Scenario{
		{Name: "a", Steps: []ScenarioStep{{URL: "http://a/"}}},
		{Name: "", Steps: []ScenarioStep{{URL: "http://b/"}}}, // a problem of its own: not checked deeper
		{Name: "c", Steps: []ScenarioStep{{URL: "http://c/"}}},
	}
	s.Load.Rate = -1
	var seen []string
	deep := func(sc *Scenario, field string) []error {
		seen = append(seen, field)
		return []error{&FieldError{Field: field + ".steps[0].url", Msg: "deep " + sc.Name}}
	}
	got := fieldErrors(t, s.ValidateWith(deep))
	want := []problem{{"targets[0].url", "has no scheme"}, {"scenarios[0].steps[0].url", "deep a"},
		{"scenarios[1].name", "needs a name"}, {"scenarios[2].steps[0].url", "deep c"}, {"load.rate", "out of range"}}
	if len(got) != len(want) {
		t.Fatalf("ValidateWith = %v; want %v", got, want)
	}
	for i, w := range want {
		if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.msg) {
			t.Errorf("problem %d = %q, want field %q with %q", i, got[i], w.field, w.msg)
		}
	}
	if strings.Join(seen, " ") != "scenarios[0] scenarios[2]" {
		t.Errorf("the deep check saw %q; want scenarios[0] and scenarios[2]", seen)
	}
	if got := fieldErrors(t, s.Validate()); len(got) != 3 {
		t.Errorf("Validate = %v; want the 3 problems without the deep check's", got)
	}
}

// TestDefaulted: a spec has its defaults once WithDefaults gave them, and
// loses them with any field WithDefaults would set.
func TestDefaulted(t *testing.T) {
	d := validSpec().WithDefaults()
	if validSpec().Defaulted() || !d.Defaulted() {
		t.Fatalf("Defaulted: %v before WithDefaults, %v after; want false, true", validSpec().Defaulted(), d.Defaulted())
	}
	for name, unset := range map[string]func(*RunSpec){
		"version":       func(s *RunSpec) { s.Version = 0 },
		"timeout":       func(s *RunSpec) { s.Timeout = 0 },
		"connections":   func(s *RunSpec) { s.Connections = 0 },
		"load shape":    func(s *RunSpec) { s.Load.Shape = "" },
		"target method": func(s *RunSpec) { s.Targets = []Target{{URL: "http://a/", Name: "GET http://a/", Weight: 1}} },
		"target weight": func(s *RunSpec) { s.Targets = []Target{{URL: "http://a/", Name: "GET http://a/", Method: "GET"}} },
	} {
		s := d
		unset(&s)
		if s.Defaulted() {
			t.Errorf("without its %s: Defaulted", name)
		}
	}
}
