package worker

import (
	"context"
	"fmt"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/secret"
)

// resolver returns a new Resolver reading srcs that tells debug's
// Redactor, if any, every value it resolves.
func resolver(srcs secret.Sources, debug *journey.Debug) *secret.Resolver {
	var red *secret.Redactor
	if debug != nil {
		red = debug.Redactor()
	}
	return secret.NewResolver(secret.WithSources(srcs), secret.WithRedactor(red))
}

// journeys compiles and prepares the spec's scenarios: secrets resolved and
// issuers discovered once per shard, through guard (every endpoint the
// discovery returns must be allowed). close releases their kept
// connections.
func journeys(ctx context.Context, s *events.RunSpec, secrets *secret.Resolver, debug *journey.Debug, guard hostguard.Guard) (js []engine.Journey, close func(), err error) {
	var compiled []*journey.Journey
	close = func() {
		for _, j := range compiled {
			j.Close()
		}
	}
	for i, sc := range s.Scenarios {
		j, err := journey.Compile(sc, journey.Options{Insecure: s.Insecure, HTTP2: s.HTTP2, Secrets: secrets, Debug: debug, Guard: guard})
		if err != nil {
			return nil, close, fmt.Errorf("scenarios[%d]: %w", i, err)
		}
		if err := j.Prepare(ctx); err != nil {
			return nil, close, err
		}
		compiled = append(compiled, j)
		js = append(js, j)
	}
	return js, close, nil
}
