// Package prepare is where a RunSpec enters barrage. Spec gives it its
// defaults (events.RunSpec.WithDefaults), validates it and compiles each of
// its scenarios (journey.CheckScenario), and reports every problem at once;
// the spec it returns is the one a run stores, plans and sends, and the one
// its workers and its reducer trust without preparing it again.
//
// It is called where a spec comes from outside: `barrage run` and `barrage
// plan` (File, which puts the problems on one line naming the spec file),
// each run of a find-max search the command line makes, and
// orchestrator.AWS.Submit, behind the API's POST /runs and the scheduler's
// stored specs. Spec is idempotent, so a spec prepared by the command line
// and prepared again by the API is the same spec.
//
// Layering: package events is the standard library only and cannot compile
// a scenario (pkg/journey, above it, does), so events.RunSpec.Validate
// checks what events can see alone, the same whatever is linked in, and
// ValidateWith takes the deeper check as an argument. This package, above
// both, is the one place that joins them; there is no registry to link in.
//
// A prepared spec keeps the type events.RunSpec rather than a type of its
// own: every backend, the planner and the wire already take that type, and
// a wrapper would change all their signatures for a check made in a handful
// of places. What guards a stored spec instead is
// events.RunSpec.Defaulted, which a worker checks before it runs a shard: a
// spec stored without its defaults (never prepared) fails the shard and
// says so, rather than run with defaults of the worker's choosing.
package prepare
