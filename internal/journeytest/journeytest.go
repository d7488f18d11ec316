// Package journeytest runs a compiled journey through the engine for the
// tests of the journeys (pkg/journey) and of the login flows against the
// test providers (internal/oidctest/flows), and checks what it sent.
package journeytest

import (
	"context"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// Journey is a compiled journey (*journey.Journey) to prepare and run.
type Journey interface {
	engine.Journey
	Prepare(context.Context) error
}

// Run prepares j and runs it through the engine at rate arrivals per
// second for d; late arrivals are sent, not dropped (NoLateLimit), so a
// loaded machine runs every one.
func Run(t *testing.T, j Journey, rate float64, d time.Duration) *engine.Result {
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

// Sent checks that every one of planned arrivals of journey name was run,
// and returns how many ran.
func Sent(t *testing.T, tg map[string]engine.TargetResult, name string, planned int64) int64 {
	t.Helper()
	c := tg[name].Counts
	if c.Requests != planned || c.Dropped != 0 {
		t.Fatalf("%s: %d iterations + %d dropped, want all %d planned run", name, c.Requests, c.Dropped, planned)
	}
	return c.Requests
}

// Targets returns res's targets by name.
func Targets(res *engine.Result) map[string]engine.TargetResult {
	m := map[string]engine.TargetResult{}
	for _, t := range res.Targets {
		m[t.Name] = t
	}
	return m
}
