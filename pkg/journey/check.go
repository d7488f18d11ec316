package journey

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/secret"
)

// CheckScenario compiles scenario sc, at field of its spec, and returns
// its problems as *events.FieldError under field: a typo in a variable,
// filter, JSON path, regular expression or secret reference, found before
// any traffic. It is an events.ScenarioChecker, which pkg/prepare hands to
// events.RunSpec.ValidateWith.
func CheckScenario(sc *events.Scenario, field string) []error {
	if _, err := Compile(*sc, Options{}); err != nil {
		return fieldErrors(field, err)
	}
	return nil
}

var _ events.ScenarioChecker = CheckScenario

// CheckSecrets resolves every secret reference of s's scenarios with a
// Resolver of its own reading srcs (besides env: and file:; the mains pass
// the AWS sources, see package awsenv), so that a run whose secret cannot
// be read fails before any traffic, each problem naming its field. The
// values are dropped: workers resolve their own.
func CheckSecrets(ctx context.Context, s *events.RunSpec, srcs secret.Sources) error {
	res := secret.NewResolver(secret.WithSources(srcs))
	var errs []error
	try := func(field, ref string) {
		if _, err := res.Resolve(ctx, ref); err != nil {
			errs = append(errs, &events.FieldError{Field: field, Msg: err.Error()})
		}
	}
	for i, sc := range s.Scenarios {
		for _, k := range slices.Sorted(maps.Keys(sc.Secrets)) {
			try(fmt.Sprintf("scenarios[%d].secrets.%s", i, k), sc.Secrets[k])
		}
		if sc.Flow != nil && sc.Flow.ClientSecret != "" {
			try(fmt.Sprintf("scenarios[%d].flow.client_secret", i), sc.Flow.ClientSecret)
		}
	}
	return errors.Join(errs...)
}
