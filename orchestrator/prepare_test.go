package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestServedSpecPrepared: `barrage serve`'s backend prepares what it is
// submitted, as the deployed API does: it stores the prepared spec, and a
// scenario that does not compile is a field error naming it.
func TestServedSpecPrepared(t *testing.T) {
	r := newLocalRuns(t.TempDir())
	ctx := context.Background()
	raw := events.RunSpec{Targets: []events.Target{{URL: "http://127.0.0.1:1/"}}, Load: events.Load{Rate: 10}}
	if _, _, err := r.Submit(ctx, raw, "raw", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := r.Store().Get(ctx, store.SpecKey("raw"))
	if err != nil {
		t.Fatal(err)
	}
	var stored events.RunSpec
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	if want, _ := prepare.Spec(raw); !stored.Defaulted() || !reflect.DeepEqual(stored, want) {
		t.Errorf("stored spec %s\nwant it prepared: %+v", b, want)
	}
	typo := events.RunSpec{Scenarios: []events.Scenario{{Name: "s", Steps: []events.ScenarioStep{{URL: "http://127.0.0.1:1/{{nope}}"}}}}}
	var fe *events.FieldError
	if _, _, err := r.Submit(ctx, typo, "typo", "", time.Now()); !errors.As(err, &fe) || fe.Field != "scenarios[0].steps[0].url" ||
		!strings.Contains(fe.Msg, `unknown variable "nope"`) {
		t.Errorf("a scenario that does not compile: %v; want a field error at scenarios[0].steps[0].url", err)
	}
}

// TestSearchRunsPrepared: each run of a find-max binary search is a spec
// the command line makes, and it is prepared before it is submitted, as a
// spec from a file is: defaults given (its duration the warm-up and one
// step), valid.
func TestSearchRunsPrepared(t *testing.T) {
	s, err := prepare.Spec(events.RunSpec{Name: "fm", Targets: []events.Target{{URL: "http://a/"}},
		Load: events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Factor: 2, Max: 800,
			Step: events.Duration(5 * time.Second), Warmup: events.Duration(10 * time.Second), Search: 2,
			SLO: events.SLO{P99: events.Duration(100 * time.Millisecond)}}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := &events.Report{FindMax: &events.FindMaxReport{MaxSustainableRate: 200, FirstFailingRate: 400, StoppedBy: events.StoppedBySLO}}
	var segs []events.RunSpec
	changed, err := searchMax(s, rep, func(seg events.RunSpec) (*events.Report, error) {
		segs = append(segs, seg)
		return &events.Report{RunID: "seg", Steps: []events.StepReport{{Kind: "step", Verdict: events.VerdictPass}}}, nil
	}, io.Discard)
	if err != nil || !changed || len(segs) != 2 {
		t.Fatalf("searchMax: changed %v, %v, %d runs; want 2 runs", changed, err, len(segs))
	}
	for i, seg := range segs {
		if !seg.Defaulted() || seg.Duration.D() != 10*time.Second || seg.Version != events.RunSpecVersion {
			t.Errorf("search run %d: %+v; want it prepared, lasting its warm-up (cut to a step) and a step", i+1, seg)
		}
		if err := prepare.Validate(&seg); err != nil {
			t.Errorf("search run %d: %v", i+1, err)
		}
	}
}
