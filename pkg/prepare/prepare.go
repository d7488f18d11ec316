package prepare

import (
	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/spec"
)

// Spec returns s with its defaults, once it has checked it: the checks of
// events.RunSpec.Validate and each scenario compiled (Validate), on s with
// its defaults. Every problem is reported at once, joined with errors.Join,
// each an *events.FieldError naming its field; then the spec returned is
// the zero RunSpec. Spec is idempotent: Spec of a spec it returned returns
// that spec unchanged. It reads no secret and makes no request
// (journey.CheckSecrets and journey.CheckDiscovery do).
func Spec(s events.RunSpec) (events.RunSpec, error) {
	s = s.WithDefaults()
	if err := Validate(&s); err != nil {
		return events.RunSpec{}, err
	}
	return s, nil
}

// File is Spec for the spec named name (a file, or what the command line
// calls it): its problems on one line, prefixed by name (spec.OneLine).
func File(s events.RunSpec, name string) (events.RunSpec, error) {
	p, err := Spec(s)
	return p, spec.OneLine(name, err)
}

// Validate reports every problem of s as written, and changes nothing:
// events.RunSpec.ValidateWith with journey.CheckScenario, which compiles
// each scenario whose own fields are valid and reports its problems in the
// scenario's place.
func Validate(s *events.RunSpec) error { return s.ValidateWith(journey.CheckScenario) }
