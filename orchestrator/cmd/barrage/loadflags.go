package main

import (
	"fmt"
	"strconv"

	"github.com/barrage-load/barrage/events"
)

// applyLoadFlags sets the numbers of s's load from --rate, --ramp-to and
// --duration, without ever changing its shape behind the user's back.
// Without a load in the spec, the flags make one: constant at --rate, or a
// ramp from --rate to --ramp-to. With one, they set the numbers of its
// shape: a constant load's rate (0 is a closed loop), a ramp's start
// (--rate) and end (--ramp-to), and either one's duration. A flag that
// would turn a constant load into a ramp, or set a staged load's rates or
// length (its stages and steps set them), is bad input naming the flag and
// the spec's load; --duration equal to a staged load's length changes
// nothing and is accepted.
func applyLoadFlags(s *events.RunSpec, f *runFlags, set map[string]bool) error {
	l := &s.Load
	refuse := func(flag, why string) error {
		return badInput("--%s: the spec's load is %s, %s", flag, describeLoad(*l), why)
	}
	switch {
	case l.Shape == "": // no load in the spec
		if set["rate"] || set["ramp-to"] {
			*l = events.Load{Shape: events.ShapeConstant, Rate: f.rate}
		}
		if set["ramp-to"] {
			*l = events.Load{Shape: events.ShapeRamp, From: f.rate, To: f.rampTo}
		}
	case l.Staged():
		for _, name := range []string{"rate", "ramp-to"} {
			if set[name] {
				return refuse(name, "whose steps set the rates: change them in the spec")
			}
		}
		if set["duration"] && f.duration.D() != l.Length() {
			return refuse("duration", "whose steps set its length: leave out --duration")
		}
	case l.Shape == events.ShapeRamp:
		if set["rate"] {
			l.From = f.rate
		}
		if set["ramp-to"] {
			l.To = f.rampTo
		}
	default: // constant, or a closed loop
		if set["ramp-to"] {
			return refuse("ramp-to", "and an end rate would make it a ramp: write load {shape: ramp, from, to} in the spec")
		}
		if set["rate"] {
			l.Rate = f.rate
		}
	}
	if set["duration"] || s.Duration == 0 && !l.Staged() { // a staged load sets its own
		s.Duration = f.duration
	}
	return nil
}

// describeLoad names a load's shape with its rates, as in "constant
// (200/s)" or "stages (2 stages, 100–500/s over 1m30s)".
func describeLoad(l events.Load) string {
	switch {
	case l.Staged():
		steps := l.Steps()
		lo, hi := l.PeakRate(), 0.0
		n := 0
		for _, st := range steps {
			lo, hi = min(lo, st.Rate, st.RampTo), max(hi, st.Rate, st.RampTo)
			if !st.Warmup {
				n++
			}
		}
		what := plural(n, "stage")
		if l.Shape == events.ShapeFindMax {
			what = plural(n, "step")
			if len(steps) > n {
				what = "a warm-up and " + what
			}
		}
		rates := rateText(lo)
		if hi != lo {
			rates += "–" + rateText(hi)
		}
		return fmt.Sprintf("%s (%s, %s/s over %s)", l.Shape, what, rates, l.Length())
	case l.Shape == events.ShapeRamp:
		return fmt.Sprintf("a ramp (%s→%s/s)", rateText(l.From), rateText(l.To))
	case l.ClosedLoop():
		return "a closed loop (rate 0)"
	}
	return fmt.Sprintf("constant (%s/s)", rateText(l.Rate))
}

// rateText writes a rate without needless decimals: 300, 2.5.
func rateText(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// plural writes n things: "1 stage", "3 stages".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
