package main

import (
	"errors"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/targets"
)

// specFromFlags reads the spec of run or plan: the parsed flags f and an
// optional SPEC file (pos), flags overriding the file. It does not
// validate: the caller applies defaults and checks.
func specFromFlags(f *runFlags, pos []string, stdin io.Reader) (events.RunSpec, error) {
	if len(pos) > 1 {
		return events.RunSpec{}, badInput("at most one SPEC file, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	var s events.RunSpec
	f.specName = "flags"
	if len(pos) == 1 {
		f.specName = pos[0]
		if pos[0] == "-" {
			f.specName = "stdin"
		}
		var err error
		if s, err = spec.LoadFrom(pos[0], stdin); err != nil {
			return events.RunSpec{}, badInput("%v", err)
		}
	}
	if err := applyFlags(&s, f, f.set()); err != nil {
		return events.RunSpec{}, err
	}
	return s, nil
}

// applyFlags overrides s with the flags that were set: the targets of
// --target and --targets replace the spec's, each row of specOverrides
// whose flag was given sets its field, and the load flags set the numbers
// of the load (applyLoadFlags). A spec without a timeout takes --timeout's
// default. The duration and the timeout must then be positive.
func applyFlags(s *events.RunSpec, f *runFlags, set map[string]bool) error {
	in, err := readFlagInputs(f, set)
	if err != nil {
		return err
	}
	if len(in.targets) > 0 {
		s.Targets = in.targets
	}
	for _, o := range specOverrides {
		if set[o.flag] {
			o.apply(s, in)
		}
	}
	if err := applyLoadFlags(s, f, set); err != nil {
		return err
	}
	if s.Timeout == 0 {
		s.Timeout = f.timeout
	}
	if s.Duration.D() < 0 || s.Duration == 0 && !s.Load.Staged() {
		return badInput("--duration must be positive, got %s", s.Duration)
	}
	if s.Timeout.D() <= 0 {
		return badInput("--timeout must be positive, got %s", s.Timeout)
	}
	return nil
}

// override sets a field of the spec from the flags.
type override func(s *events.RunSpec, in flagInputs)

// specOverrides says how each flag that overrides a field of the spec sets
// it; a row applies when its flag was given. The targets (--target,
// --targets) and the load (--rate, --ramp-to, --duration) are not rows:
// they replace or reshape more than a field (applyFlags, applyLoadFlags).
// TestOverridesCoverFlags checks that every flag of run and plan is a row
// or named as one of those.
var specOverrides = []struct {
	flag  string
	apply override
}{
	{"method", eachTarget(func(t *events.Target, in flagInputs) { t.Method = in.method })},
	{"body", eachTarget(func(t *events.Target, in flagInputs) { t.Body, t.BodyFile = in.body, "" })},
	{"header", eachTarget(func(t *events.Target, in flagInputs) { t.Headers = mergeHeaders(t.Headers, in.headers) })},
	{"timeout", func(s *events.RunSpec, in flagInputs) { s.Timeout = in.timeout }},
	{"workers", func(s *events.RunSpec, in flagInputs) { s.Workers = in.workers }},
	{"keepalive", func(s *events.RunSpec, in flagInputs) { s.KeepAlive = &in.keepalive }},
	{"http2", func(s *events.RunSpec, in flagInputs) { s.HTTP2 = in.http2 }},
	{"h2c", func(s *events.RunSpec, in flagInputs) { s.H2C = in.h2c }},
	{"insecure", func(s *events.RunSpec, in flagInputs) { s.Insecure = in.insecure }},
	{"max-inflight", func(s *events.RunSpec, in flagInputs) { s.MaxInflight = in.maxInflight }},
	{"late-limit", func(s *events.RunSpec, in flagInputs) { s.LateLimit = &in.lateLimit }},
	{"connections", func(s *events.RunSpec, in flagInputs) { s.Connections = in.connections }},
	{"name", func(s *events.RunSpec, in flagInputs) { s.Name = in.name }},
	{"allow-hosts", func(s *events.RunSpec, in flagInputs) { s.AllowHosts = hostguard.Split(in.allowHosts) }},
}

// eachTarget is the override that sets a field of every target.
func eachTarget(set func(t *events.Target, in flagInputs)) override {
	return func(s *events.RunSpec, in flagInputs) {
		for i := range s.Targets {
			set(&s.Targets[i], in)
		}
	}
}

// mergeHeaders returns a new map of a target's headers with the flags'
// over them.
func mergeHeaders(target, flags map[string]string) map[string]string {
	m := make(map[string]string, len(target)+len(flags))
	maps.Copy(m, target)
	maps.Copy(m, flags)
	return m
}

// flagInputs are the flags as the overrides read them: the parsed flags,
// and what some flags stand for, read or parsed first so that their errors
// come before anything is set.
type flagInputs struct {
	*runFlags
	body    string            // --body, or the file of --body @FILE
	headers map[string]string // --header by name, a repeated name's values joined with ", "
	targets []events.Target   // --target's URLs, then the targets of --targets' file
}

// readFlagInputs reads --body's file, parses the --header values and reads
// --targets' file, in that order.
func readFlagInputs(f *runFlags, set map[string]bool) (flagInputs, error) {
	in := flagInputs{runFlags: f}
	var err error
	if set["body"] {
		if in.body, err = readBody(f.body); err != nil {
			return in, err
		}
	}
	if in.headers, err = parseHeaders(f.headers); err != nil {
		return in, err
	}
	for _, u := range f.targets {
		in.targets = append(in.targets, events.Target{URL: u})
	}
	if set["targets"] {
		ts, err := targets.ParseFile(f.targetsFile)
		if err != nil {
			return in, badInput("%v", err)
		}
		in.targets = append(in.targets, ts...)
	}
	return in, nil
}

// readBody returns the body --body gives: the text itself, or with @FILE
// the file's content.
func readBody(flag string) (string, error) {
	rest, ok := strings.CutPrefix(flag, "@")
	if !ok {
		return flag, nil
	}
	b, err := os.ReadFile(rest)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", badInput("--body: cannot read body file %s: %v", rest, err)
	}
	return string(b), nil
}

// parseHeaders parses --header's "Name: value" values into a map; the
// values of a repeated name are joined with ", ".
func parseHeaders(hs []string) (map[string]string, error) {
	headers := map[string]string{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, badInput("--header %q: want \"Name: value\"", h)
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if old, dup := headers[k]; dup {
			v = old + ", " + v
		}
		headers[k] = v
	}
	return headers, nil
}
