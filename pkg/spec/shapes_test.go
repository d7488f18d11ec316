package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestDecodeShapesAndThresholds: stages, find-max and thresholds read the
// same from YAML and JSON, with a threshold's value a duration or a number.
func TestDecodeShapesAndThresholds(t *testing.T) {
	to := 500.0
	ratio := 0.02
	want := events.RunSpec{Targets: []events.Target{{URL: "http://a/"}},
		Load: events.Load{Shape: events.ShapeStages, Stages: []events.Stage{
			{Duration: events.Duration(30 * time.Second), Rate: 100},
			{Duration: events.Duration(time.Minute), Rate: 100, RampTo: &to}}},
		Thresholds: []events.Threshold{
			{Metric: "p99", Value: events.DurationLimit(500 * time.Millisecond), Step: 2,
				Abort: &events.ThresholdAbort{After: events.Duration(30 * time.Second)}},
			{Metric: "error_ratio", Op: "<=", Value: events.NumberLimit(0.01)}}}
	yaml := `
targets: [{url: "http://a/"}]
load:
  shape: stages
  stages:
    - {duration: 30s, rate: 100}
    - {duration: 1m, rate: 100, ramp_to: 500}
thresholds:
  - {metric: p99, value: 500ms, step: 2, abort: {after: 30s}}
  - {metric: error_ratio, op: "<=", value: 0.01}
`
	json := `{"targets": [{"url": "http://a/"}],
  "load": {"shape": "stages", "stages": [{"duration": "30s", "rate": 100}, {"duration": "1m", "rate": 100, "ramp_to": 500}]},
  "thresholds": [{"metric": "p99", "value": "500ms", "step": 2, "abort": {"after": "30s"}},
                 {"metric": "error_ratio", "op": "<=", "value": 0.01}]}`
	for name, doc := range map[string]string{"s.yaml": yaml, "s.json": json} {
		got, err := Decode([]byte(doc), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	fm := `
targets: [{url: "http://a/"}]
load:
  shape: find-max
  find_max: {start: 100, increment: 50, step: 10s, warmup: 5s, max: 300, slo: {p99: 200ms, error_ratio: 0.02}}
`
	got, err := Decode([]byte(fm), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantFM := &events.FindMax{Start: 100, Increment: 50, Step: events.Duration(10 * time.Second),
		Warmup: events.Duration(5 * time.Second), Max: 300, SLO: events.SLO{P99: events.Duration(200 * time.Millisecond), ErrorRatio: &ratio}}
	if !reflect.DeepEqual(got.Load.FindMax, wantFM) {
		t.Errorf("find_max = %+v; want %+v", got.Load.FindMax, wantFM)
	}
	if d := got.WithDefaults().Duration.D(); d != 55*time.Second {
		t.Errorf("duration %v; want 55s (5 s warm-up, 5 steps of 10 s: 100 to 300 by 50)", d)
	}
}

// TestDecodeThresholdErrors: a bad threshold value is named with its field
// and line.
func TestDecodeThresholdErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"y.yaml", "targets: [{url: \"http://a/\"}]\nthresholds:\n  - {metric: p99, value: fast}\n",
			`y.yaml:3: thresholds[0].value: invalid threshold value "fast"`},
		{"j.json", "{\"targets\": [{\"url\": \"http://a/\"}],\n\"thresholds\": [{\"metric\": \"p99\", \"value\": true}]}",
			`j.json:2: thresholds[0].value: want a duration such as "500ms" or a number such as 0.01, got true`},
	} {
		_, err := Decode([]byte(tc.doc), tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v; want %q", tc.name, err, tc.want)
		}
	}
}

// TestExamples: every spec in examples/ decodes and validates.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) < 4 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := Check(s.WithDefaults(), f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
