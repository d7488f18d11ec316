package flows

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// runJourney, sent and targets are pkg/journey's own test helpers
// (journey_test.go), written again here: this module sees only the
// exported API.

// runJourney runs j through the engine: n arrivals over d.
func runJourney(t *testing.T, j *journey.Journey, rate float64, d time.Duration) *engine.Result {
	t.Helper()
	if err := j.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Config{Journeys: []engine.Journey{j}, Pacer: pacer.Constant{R: rate, D: d},
		MaxInflight: 100, Timeout: 5 * time.Second, KeepAlive: true, LateLimit: engine.NoLateLimit})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	res, err := e.Run(ctx, ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sent checks that every one of planned arrivals of journey name was run
// (the engine sends late arrivals, NoLateLimit, so a loaded machine drops
// none), and returns how many ran.
func sent(t *testing.T, tg map[string]engine.TargetResult, name string, planned int64) int64 {
	t.Helper()
	c := tg[name].Counts
	if c.Requests != planned || c.Dropped != 0 {
		t.Fatalf("%s: %d iterations + %d dropped, want all %d planned run", name, c.Requests, c.Dropped, planned)
	}
	return c.Requests
}

// targets indexes a shard result's targets by name.
func targets(res *engine.Result) map[string]engine.TargetResult {
	m := map[string]engine.TargetResult{}
	for _, t := range res.Targets {
		m[t.Name] = t
	}
	return m
}

// result is how a run of the barrage command ended.
type result struct {
	code           int
	stdout, stderr string
}

// barrage builds the barrage command (the root module, through this
// module's replace; go.mod lists it as a tool so that go.sum holds what it
// needs) and runs it with args, waiting at most limit.
func barrage(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "barrage")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/barrage-load/barrage/orchestrator/cmd/barrage").CombinedOutput(); err != nil {
		t.Fatalf("build barrage: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}
