package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestLoadFlags: --rate, --ramp-to and --duration set the numbers of the
// spec's load shape and never change the shape: on a spec without a load
// they make one; a constant load takes a rate, a ramp its ends; a flag
// that would turn one shape into another, or set a staged load's rates or
// length, is bad input naming the flag and the spec's load.
func TestLoadFlags(t *testing.T) {
	specs := map[string]string{ // shape → spec file
		"none":     "", // no SPEC file: flags only
		"no load":  "duration: 1m\n",
		"constant": "load: {rate: 200}\nduration: 1m\n",
		"closed":   "load: {rate: 0}\nduration: 1m\nmax_inflight: 8\n",
		"ramp":     "load: {shape: ramp, from: 50, to: 500}\nduration: 1m\n",
		"stages":   "load:\n  shape: stages\n  stages:\n    - {duration: 30s, rate: 100}\n    - {duration: 1m, rate: 100, ramp_to: 500}\n",
		"find-max": "load:\n  shape: find-max\n  find_max: {start: 100, factor: 2, step: 10s, warmup: 5s, max: 400, slo: {p99: 100ms}}\n",
	}
	constant := func(rate float64, d time.Duration) loadWant {
		return loadWant{load: events.Load{Shape: events.ShapeConstant, Rate: rate}, d: d}
	}
	ramp := func(from, to float64, d time.Duration) loadWant {
		return loadWant{load: events.Load{Shape: events.ShapeRamp, From: from, To: to}, d: d}
	}
	refused := func(msg string) loadWant { return loadWant{err: msg} }
	const m, m2 = time.Minute, 2 * time.Minute
	tests := []struct {
		shape string
		flags []string
		want  loadWant
	}{
		// Without a spec, or a spec without a load, the flags make the load.
		{"none", nil, loadWant{d: 10 * time.Second}},
		{"none", []string{"--rate", "300"}, constant(300, 10*time.Second)},
		{"none", []string{"--ramp-to", "600"}, ramp(50, 600, 10*time.Second)},
		{"none", []string{"--rate", "300", "--ramp-to", "600"}, ramp(300, 600, 10*time.Second)},
		{"none", []string{"--duration", "2m"}, loadWant{d: m2}},
		{"no load", []string{"--rate", "300"}, constant(300, m)},
		{"no load", []string{"--rate", "300", "--ramp-to", "600"}, ramp(300, 600, m)},
		{"no load", []string{"--duration", "2m"}, loadWant{d: m2}},
		// A constant load takes a rate and a duration, not an end rate.
		{"constant", []string{"--rate", "300"}, constant(300, m)},
		{"constant", []string{"--ramp-to", "600"}, refused("--ramp-to: the spec's load is constant (200/s)")},
		{"constant", []string{"--rate", "300", "--ramp-to", "600"}, refused("--ramp-to: the spec's load is constant (200/s)")},
		{"constant", []string{"--duration", "2m"}, constant(200, m2)},
		// A closed loop is a constant load at rate 0: --rate opens it.
		{"closed", []string{"--rate", "300"}, constant(300, m)},
		{"closed", []string{"--ramp-to", "600"}, refused("--ramp-to: the spec's load is a closed loop (rate 0)")},
		// A ramp takes its start from --rate and its end from --ramp-to.
		{"ramp", []string{"--rate", "300"}, ramp(300, 500, m)},
		{"ramp", []string{"--ramp-to", "600"}, ramp(50, 600, m)},
		{"ramp", []string{"--rate", "300", "--ramp-to", "600"}, ramp(300, 600, m)},
		{"ramp", []string{"--duration", "2m"}, ramp(50, 500, m2)},
		// Staged loads set their own rates and length.
		{"stages", []string{"--rate", "300"}, refused("--rate: the spec's load is stages (2 stages, 100–500/s over 1m30s)")},
		{"stages", []string{"--ramp-to", "600"}, refused("--ramp-to: the spec's load is stages (2 stages, 100–500/s over 1m30s)")},
		{"stages", []string{"--duration", "2m"}, refused("--duration: the spec's load is stages (2 stages, 100–500/s over 1m30s)")},
		// The same length as the stages' is no change.
		{"stages", []string{"--duration", "1m30s"}, loadWant{staged: true, d: 90 * time.Second}},
		{"find-max", []string{"--rate", "300"}, refused("--rate: the spec's load is find-max (a warm-up and 3 steps, 100–400/s over 35s)")},
		{"find-max", []string{"--duration", "2m"}, refused("--duration: the spec's load is find-max (a warm-up and 3 steps, 100–400/s over 35s)")},
	}
	for _, tt := range tests {
		args := tt.flags
		if specs[tt.shape] != "" {
			args = append([]string{writeSpec(t, specs[tt.shape])}, args...)
		}
		s, _, err := specFromArgs(args, strings.NewReader(""))
		name := tt.shape + " " + strings.Join(tt.flags, " ")
		var ue *usageError
		switch {
		case tt.want.err != "":
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), tt.want.err) {
				t.Errorf("%s: error %v; want bad input starting %q", name, err, tt.want.err)
			}
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case tt.want.staged:
			if s.Duration.D() != tt.want.d || !s.Load.Staged() {
				t.Errorf("%s: load %+v over %s; want the spec's staged load over %s", name, s.Load, s.Duration, tt.want.d)
			}
		case s.Duration.D() != tt.want.d || s.Load.Shape != tt.want.load.Shape || s.Load.Rate != tt.want.load.Rate ||
			s.Load.From != tt.want.load.From || s.Load.To != tt.want.load.To:
			t.Errorf("%s: load %+v over %s; want %+v over %s", name, s.Load, s.Duration, tt.want.load, tt.want.d)
		}
	}
}

// specFromArgs reads the spec of a barrage run command line (after "run").
func specFromArgs(args []string, stdin io.Reader) (events.RunSpec, *runFlags, error) {
	fs := newFlagSet(lookup("run"))
	f := newRunFlags(fs)
	f.runOnlyFlags(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return events.RunSpec{}, nil, err
	}
	s, err := specFromFlags(f, pos, stdin)
	return s, f, err
}

// loadWant is what a command line makes of a spec's load: a load over a
// duration, the spec's staged load, or an error.
type loadWant struct {
	load   events.Load
	d      time.Duration
	staged bool
	err    string
}
