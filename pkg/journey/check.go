package journey

import "github.com/barrage-load/barrage/events"

// Linking this package in makes events.RunSpec.Validate compile every
// scenario: a typo in a variable, filter, JSON path, regular expression or
// secret reference fails the spec before any traffic.
func init() { events.RegisterScenarioChecker(check) }

func check(sc *events.Scenario, field string) []error {
	if _, err := Compile(*sc, Options{}); err != nil {
		return fieldErrors(field, err)
	}
	return nil
}
