package journey

import (
	"errors"

	"github.com/barrage-load/barrage/events"
)

// Linking this package in makes events.RunSpec.Validate compile every
// scenario: a typo in a variable, filter, JSON path, regular expression or
// secret reference fails the spec before any traffic.
func init() { events.RegisterScenarioChecker(check) }

func check(sc *events.Scenario, field string) []error {
	if _, err := Compile(*sc, Options{}); err != nil {
		var out []error
		list := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		}
		for _, e := range list {
			if j, ok := e.(interface{ Unwrap() []error }); ok {
				for _, f := range j.Unwrap() {
					out = append(out, under(field, f))
				}
				continue
			}
			out = append(out, under(field, e))
		}
		return out
	}
	return nil
}

func under(field string, err error) error {
	var fe *events.FieldError
	if errors.As(err, &fe) {
		return &events.FieldError{Field: join(field, fe.Field), Msg: fe.Msg}
	}
	return &events.FieldError{Field: field, Msg: err.Error()}
}
