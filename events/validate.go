package events

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
)

// FieldError names the field of a document that is wrong and why.
type FieldError struct {
	Field string // path such as "targets[2].url" or "load.rate"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// problems collects FieldErrors.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate reports every problem of s that package events can see on its
// own, all at once (joined with errors.Join, each a *FieldError), and
// changes nothing. It judges s as written: call it on s.WithDefaults() to
// judge what will run. It does not compile the scenarios' templates,
// extractors and datasets, whatever is linked in: pkg/prepare.Spec, where a
// spec enters barrage, does (ValidateWith).
func (s *RunSpec) Validate() error { return s.ValidateWith(nil) }

// ValidateWith is Validate with deep, if not nil, checking each scenario
// whose own fields Validate found no problem with; deep's problems are
// reported in the scenario's place, among the others.
func (s *RunSpec) ValidateWith(deep ScenarioChecker) error {
	var p problems
	if s.Version != 0 && s.Version != RunSpecVersion {
		p.add("version", "unsupported version %d (this barrage reads %d)", s.Version, RunSpecVersion)
	}
	if len(s.Targets) == 0 && len(s.Scenarios) == 0 {
		p.add("targets", "no target (give --target URL, --targets FILE, or targets: or scenarios: in the spec)")
	}
	if len(s.Targets) > MaxTargets {
		p.add("targets", "%d targets; at most %d", len(s.Targets), MaxTargets)
	}
	for i := range s.Targets {
		s.Targets[i].validate(fmt.Sprintf("targets[%d]", i), s, &p)
	}
	s.validateScenarios(&p, deep)
	s.Load.validate(&p)
	if d := s.Duration.D(); d < 0 || d > MaxDuration {
		p.add("duration", "%s is out of range (0 < duration ≤ %s)", d, MaxDuration)
	} else if d == 0 && s.Duration != 0 {
		p.add("duration", "must be positive")
	} else if l := s.Load.Length(); s.Load.Staged() && d != 0 && l != 0 && d != l {
		p.add("duration", "%s does not match the %s load's total of %s (leave duration out: the load sets it)", d, s.Load.Shape, l)
	}
	s.validateThresholds(&p)
	s.validateMonitor(&p)
	if d := s.Timeout.D(); d < 0 || d > MaxTimeout {
		p.add("timeout", "%s is out of range (0 < timeout ≤ %s)", d, MaxTimeout)
	}
	if l := s.LateLimit; l != nil && (l.D() < 0 || l.D() > MaxTimeout) {
		p.add("late_limit", "%s is out of range (0 ≤ late_limit ≤ %s; 0 never drops)", l, MaxTimeout)
	}
	checkCount(&p, "workers", s.Workers, MaxWorkers)
	checkCount(&p, "max_inflight", s.MaxInflight, MaxInflight)
	checkCount(&p, "connections", s.Connections, MaxConnections)
	if s.HTTP2 && s.H2C {
		p.add("h2c", "choose one of http2 (over TLS) and h2c (cleartext)")
	}
	return errors.Join(p...)
}

func checkCount(p *problems, field string, v, max int) {
	if v < 0 || v > max {
		p.add(field, "%d is out of range (0 ≤ %s ≤ %d)", v, field, max)
	}
}

func (l Load) validate(p *problems) {
	rate := func(field string, r float64) {
		if math.IsNaN(r) || r < 0 || r > MaxRate {
			p.add(field, "%v is out of range (0 ≤ rate ≤ %d per second)", r, MaxRate)
		}
	}
	switch l.shape() {
	case ShapeConstant:
		rate("load.rate", l.Rate)
	case ShapeRamp:
		rate("load.from", l.From)
		rate("load.to", l.To)
		if l.From == 0 && l.To == 0 {
			p.add("load", "a ramp from 0 to 0 sends nothing")
		}
	case ShapeStages:
		l.validateStages(p, rate)
	case ShapeFindMax:
		l.validateFindMax(p, rate)
	default:
		p.add("load.shape", "unknown shape %q (want %s, %s, %s or %s)", l.Shape, ShapeConstant, ShapeRamp, ShapeStages, ShapeFindMax)
	}
	l.validateUnused(p)
}

func (t *Target) validate(field string, s *RunSpec, p *problems) {
	if t.Method != "" && !IsToken(t.Method) {
		p.add(field+".method", "%q is not a valid HTTP method", t.Method)
	}
	if t.Weight < 0 || t.Weight > MaxWeight {
		p.add(field+".weight", "%d is out of range (0 ≤ weight ≤ %d)", t.Weight, MaxWeight)
	}
	for _, k := range slices.Sorted(maps.Keys(t.Headers)) { // sorted: the same input, the same message
		v := t.Headers[k]
		if !IsToken(k) {
			p.add(field+".headers", "%q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			p.add(field+".headers", "the value of %q contains a line break or NUL", k)
		}
	}
	if t.Body != "" && t.BodyFile != "" {
		p.add(field, "give body or body_file, not both")
	}
	if t.URL == "" {
		p.add(field+".url", "missing")
		return
	}
	u, err := url.Parse(t.URL)
	switch {
	case err != nil:
		p.add(field+".url", "%q is not a URL", t.URL)
	case u.Scheme == "" || u.Host == "" && u.Opaque != "":
		p.add(field+".url", "%q has no scheme (want http:// or https://)", t.URL)
	case u.Scheme != "http" && u.Scheme != "https":
		p.add(field+".url", "scheme %q is not supported (want http or https)", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		p.add(field+".url", "%q has no host", t.URL)
	case s.HTTP2 && u.Scheme != "https":
		p.add(field+".url", "http2 needs an https URL (use h2c for cleartext HTTP/2)")
	case s.H2C && u.Scheme != "http":
		p.add(field+".url", "h2c needs an http URL (use http2 for HTTP/2 over TLS)")
	case u.User != nil:
		p.add(field+".url", "credentials in the URL are not supported (send an Authorization header)")
	}
}
