package prepare_test

// This file imports neither pkg/journey nor anything that registers a
// check: what Spec finds, it finds because package prepare compiles the
// scenarios itself.

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/spec"
)

// typo is a scenario whose only problem is one that compiling it finds:
// its step's header names a variable nobody declares.
func typo() events.Scenario {
	return events.Scenario{Name: "login", Steps: []events.ScenarioStep{{Name: "token",
		URL: "https://id.example.com/token", Header: map[string]string{"Authorization": "Bearer {{tokn}}"}}}}
}

// problems lists the "field: message" lines of err, in order.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("%v (%T) joins no problems", err, err)
	}
	for _, e := range j.Unwrap() {
		var fe *events.FieldError
		if !errors.As(e, &fe) {
			t.Errorf("%v (%T) is not a *events.FieldError", e, e)
		}
		out = append(out, e.Error())
	}
	return out
}

// TestSpecCompilesScenarios: a scenario's compile error is reported by
// Spec, naming its field in the spec, in the scenario's place among the
// other problems; RunSpec.Validate, in this binary that links the
// compiler in, does not report it (it never compiles, whatever is linked).
func TestSpecCompilesScenarios(t *testing.T) {
	s := events.RunSpec{Scenarios: []events.Scenario{typo()}}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate = %v; want nil: it does not compile scenarios", err)
	}
	const want = `scenarios[0].steps[0].headers.Authorization: template "Bearer {{tokn}}": byte 9: unknown variable "tokn"`
	_, err := prepare.Spec(s)
	if got := problems(t, err); len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("Spec: %q; want one problem %q…", got, want)
	}
	if err := prepare.Validate(&s); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Validate: %v; want %q…", err, want)
	}

	// Among other problems: the scenario's in its place (after the
	// targets', before the load's); a scenario with a problem of its own
	// is not compiled, so its typo is not reported on top.
	s.Targets = []events.Target{{URL: "example.com"}}
	s.Scenarios = append(s.Scenarios, typo())
	s.Scenarios[1].Name = ""
	s.Load = events.Load{Rate: -1}
	_, err = prepare.Spec(s)
	got := problems(t, err)
	wantFields := []string{"targets[0].url", "scenarios[0].steps[0].headers.Authorization", "scenarios[1].name", "load.rate"}
	if len(got) != len(wantFields) {
		t.Fatalf("Spec: %q; want problems at %q", got, wantFields)
	}
	for i, f := range wantFields {
		if !strings.HasPrefix(got[i], f+": ") {
			t.Errorf("problem %d: %q; want it at %s", i, got[i], f)
		}
	}
}

// TestFile: the command line's form, one line prefixed by the spec's
// name, which still unwraps to the problems.
func TestFile(t *testing.T) {
	s := events.RunSpec{Scenarios: []events.Scenario{typo()}, Load: events.Load{Rate: -1}}
	p, err := prepare.File(s, "spec.yaml")
	const want = `spec.yaml: scenarios[0].steps[0].headers.Authorization: template "Bearer {{tokn}}": byte 9: unknown variable "tokn"`
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "; load.rate: -1 is out of range") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("File: %v; want one line %q…; load.rate: …", err, want)
	}
	var fe *events.FieldError
	if !errors.As(err, &fe) || fe.Field != "scenarios[0].steps[0].headers.Authorization" {
		t.Errorf("File's error unwraps to %v; want the scenario's *events.FieldError", fe)
	}
	if !reflect.DeepEqual(p, events.RunSpec{}) {
		t.Errorf("File returned %+v with its error; want the zero spec", p)
	}
	if _, err := prepare.File(events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}}, "x"); err != nil {
		t.Errorf("File of a valid spec: %v", err)
	}
}

// specs are the specs of the repository: the examples, the decoder's good
// files and the wire fixtures of a spec.
func specs(t *testing.T) map[string]events.RunSpec {
	t.Helper()
	out := map[string]events.RunSpec{}
	var files []string
	for _, g := range []string{"../../examples/*.yaml", "../spec/testdata/good.*", "../../events/testdata/runspec*.json"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		s, err := spec.Load(f)
		if strings.Contains(f, "events/testdata") {
			// The wire fixtures name files that are not there.
			var b []byte
			if b, err = os.ReadFile(f); err == nil {
				s, err = spec.Decode(b, f)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		out[f] = s
	}
	if len(out) < 8 {
		t.Fatalf("found %d specs; the globs are wrong", len(out))
	}
	// And one with nothing set but a target.
	out["bare"] = events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}}
	return out
}

// TestSpecIdempotent: preparing a prepared spec changes nothing, so the
// API may prepare again what the command line prepared; the spec stored
// (JSON) and read back by a worker still has its defaults, which is what
// the worker checks (Defaulted) instead of preparing it again.
func TestSpecIdempotent(t *testing.T) {
	for name, s := range specs(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			if name == "bare" && s.Defaulted() {
				t.Fatal("a bare spec is Defaulted")
			}
			p, err := prepare.Spec(s)
			if err != nil {
				t.Fatal(err)
			}
			again, err := prepare.Spec(p)
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Errorf("Spec(Spec(s)) = %+v, %v\nwant Spec(s) = %+v", again, err, p)
			}
			if !p.Defaulted() {
				t.Errorf("Spec(s) is not Defaulted: %+v", p)
			}
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var stored events.RunSpec
			if err := json.Unmarshal(b, &stored); err != nil {
				t.Fatal(err)
			}
			if !stored.Defaulted() || !reflect.DeepEqual(stored, p) {
				t.Errorf("stored and read back: %+v (Defaulted %v)\nwant %+v", stored, stored.Defaulted(), p)
			}
		})
	}
}

// TestSpecDefaults: what a prepared spec has that its source did not.
func TestSpecDefaults(t *testing.T) {
	p, err := prepare.Spec(events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := events.RunSpec{Version: events.RunSpecVersion, Load: events.Load{Shape: events.ShapeConstant, Rate: events.DefaultRate},
		Duration: events.Duration(events.DefaultDuration), Timeout: events.Duration(events.DefaultTimeout), Connections: 1,
		Targets: []events.Target{{Name: "GET http://a/", Method: "GET", URL: "http://a/", Weight: 1}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Spec = %+v\nwant %+v", p, want)
	}
	if p.Timeout.D() != 30*time.Second {
		t.Errorf("timeout %s", p.Timeout)
	}
}
