package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/stack"
)

// plainPlan is a plan of n shards, each of one window of d, on backend.
func plainPlan(backend string, n int, d time.Duration) *events.Plan {
	p := &events.Plan{RunID: "r", Backend: backend}
	for k := range n {
		p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: fmt.Sprintf("s%05d", k),
			Index: k, Count: n, WindowTo: events.Duration(d)}})
	}
	return p
}

func targets(n int) *events.RunSpec {
	s := &events.RunSpec{}
	for i := range n {
		s.Targets = append(s.Targets, events.Target{URL: fmt.Sprintf("http://a/%d", i)})
	}
	return s
}

// TestReducerChoice: the reducer Lambda while the estimate stays within
// half its time and memory, a Fargate task past that, and the figures in
// the reason.
func TestReducerChoice(t *testing.T) {
	for _, c := range []struct {
		name  string
		plan  *events.Plan
		spec  *events.RunSpec
		want  string
		inWhy string // a part of the reason
	}{
		// A small run: seconds of CPU, a few MB.
		{"10 shards × 1 min", plainPlan(BackendAWS, 10, time.Minute), targets(1), ReducerLambda, "1,200 per-second histograms of 10 shards over 60 s"},
		// 100 shards × 14 min, 2 targets: within the Lambda.
		{"100 shards × 14 min", plainPlan(BackendAWS, 100, 14*time.Minute), targets(2), ReducerLambda, "336,000 per-second histograms"},
		// The sizes: both beyond the Lambda.
		{"1,000 shards × 1 h", plainPlan(BackendAWS, 1000, time.Hour), targets(2), ReducerFargate, "14,400,000 per-second histograms of 1000 shards over 3,600 s (2 series targets)"},
		{"10,000 shards × 14 min", plainPlan(BackendAWS, 10000, 14*time.Minute), targets(1), ReducerFargate, "16,800,000 per-second histograms"},
		// Memory alone: few shards, but 16 targets' seconds for 14 minutes.
		{"4 shards × 14 min × 16 targets", plainPlan(BackendAWS, 4, 14*time.Minute), targets(16), ReducerFargate, "(16 series targets)"},
		// More than 16 targets keep no per-target seconds.
		{"4 shards × 14 min × 17 targets", plainPlan(BackendAWS, 4, 14*time.Minute), targets(17), ReducerLambda, "(0 series targets)"},
		// Locally the run's own process reduces it.
		{"local", plainPlan(BackendLocal, 10000, 14*time.Minute), targets(1), ReducerLambda, ""},
	} {
		got := Reducer(c.plan, c.spec)
		if got.Kind != c.want || !strings.Contains(got.Reason, c.inWhy) {
			t.Errorf("%s: %s (%v CPU, %d MB): %q; want %s, the reason naming %q", c.name, got.Kind, got.CPU, got.MemoryMB, got.Reason, c.want, c.inWhy)
		}
		fits := got.CPU <= time.Duration(ReducerLambdaShare*stack.ReducerTimeoutSeconds)*time.Second &&
			float64(got.MemoryMB) <= ReducerLambdaShare*stack.ReducerMemoryMB
		if c.plan.Backend == BackendAWS && fits != (got.Kind == ReducerLambda) {
			t.Errorf("%s: %s with an estimate of %v and %d MB", c.name, got.Kind, got.CPU, got.MemoryMB)
		}
	}
}

// TestPlanNamesReducer: an AWS plan's reasons end with the reducer's line.
func TestPlanNamesReducer(t *testing.T) {
	spec := events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}, Load: events.Load{Rate: 100},
		Duration: events.Duration(time.Minute)}
	p, err := Make(spec, Options{RunID: "r", Backend: BackendAWS, Now: time.Unix(1_800_000_000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if last := p.Reasons[len(p.Reasons)-1]; !strings.HasPrefix(last, "reducer: the reducer Lambda") {
		t.Errorf("last reason %q; want the reducer's", last)
	}
}

// TestReduceTime: the reducer Lambda's timeout for a small plan; a large
// one's reducer task may take longer, and the wait grows with it.
func TestReduceTime(t *testing.T) {
	lambda := time.Duration(stack.ReducerTimeoutSeconds) * time.Second
	if got := ReduceTime(plainPlan(BackendAWS, 10, time.Minute)); got != lambda {
		t.Errorf("10 shards × 1 min: %v; want the Lambda's %v", got, lambda)
	}
	big, bigger := ReduceTime(plainPlan(BackendAWS, 1000, time.Hour)), ReduceTime(plainPlan(BackendAWS, 10000, time.Hour))
	if big <= lambda || bigger <= big {
		t.Errorf("1,000 × 1 h: %v, 10,000 × 1 h: %v; want each beyond the Lambda's %v and growing", big, bigger, lambda)
	}
}
