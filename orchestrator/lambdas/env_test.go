package lambdas

import (
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/stack"
)

// TestBoundsFailClosed: a variable that bounds a run and does not parse
// stops the function at start, naming the variable; it never lifts the cap.
func TestBoundsFailClosed(t *testing.T) {
	good := map[string]string{stack.EnvMaxRate: "5000", stack.EnvMaxDuration: "10m", stack.EnvWorkerMemoryMB: "1769",
		stack.EnvTaskVCPU: "0.5", stack.EnvLeadTime: "4s", stack.EnvSpot: "false", stack.EnvWorkerFunction: "worker"}
	for _, tc := range []struct {
		env, value string // overrides good
		wantErr    string // "" for none
	}{
		{"", "", ""},
		{stack.EnvMaxRate, "5k", stack.EnvMaxRate},         // a typo must not lift the cap
		{stack.EnvMaxRate, "-1", stack.EnvMaxRate},         // nor a negative one
		{stack.EnvMaxRate, "0", stack.EnvMaxRate},          // nor zero
		{stack.EnvMaxRate, "NaN", stack.EnvMaxRate},        // nor not a number
		{stack.EnvMaxDuration, "10", stack.EnvMaxDuration}, // a number without a unit
		{stack.EnvMaxDuration, "0s", stack.EnvMaxDuration},
		{stack.EnvWorkerMemoryMB, "1.5", stack.EnvWorkerMemoryMB},
		{stack.EnvWorkerMemoryMB, "99999", stack.EnvWorkerMemoryMB},
		{stack.EnvTaskVCPU, "x", stack.EnvTaskVCPU},
		{stack.EnvLeadTime, "soon", stack.EnvLeadTime},
		{stack.EnvSpot, "yes", stack.EnvSpot},
		{stack.EnvMaxRate, "", stack.EnvMaxRate + " is not set"}, // a planning function must have both caps
		{stack.EnvWorkerFunction, "", ""},                        // a worker does not plan
	} {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		if tc.env != "" {
			env[tc.env] = tc.value
		}
		if tc.env == stack.EnvWorkerFunction {
			delete(env, stack.EnvMaxRate)
		}
		var a orchestrator.AWS
		err := bounds(func(k string) string { return env[k] }, &a)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s=%q: %v; want none", tc.env, tc.value, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s=%q: %v; want an error naming %s", tc.env, tc.value, err, tc.wantErr)
		}
	}
	var a orchestrator.AWS
	if err := bounds(func(k string) string { return good[k] }, &a); err != nil || a.Limits.MaxRate != 5000 ||
		a.Limits.MaxDuration != 10*time.Minute || a.WorkerMemoryMB != 1769 || a.TaskVCPU != 0.5 || a.LeadTime != 4*time.Second {
		t.Errorf("good values read as %+v, %v", a, err)
	}
}
