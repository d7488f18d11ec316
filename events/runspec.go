package events

import (
	"reflect"
	"time"
)

// RunSpecVersion is the RunSpec schema version this package writes.
const RunSpecVersion = 1

// Defaults applied by RunSpec.WithDefaults.
const (
	DefaultRate     = 50               // arrivals per second
	DefaultDuration = 10 * time.Second // how long arrivals are scheduled
	DefaultTimeout  = 30 * time.Second // per-request timeout
	DefaultMethod   = "GET"
	// DefaultLateLimit is how late a worker's scheduler may send an
	// arrival when the spec does not say (RunSpec.LateLimit).
	DefaultLateLimit = 10 * time.Millisecond
)

// Limits beyond which a RunSpec is rejected as absurd rather than attempted.
const (
	MaxRate        = 10_000_000     // arrivals per second over all workers
	MaxDuration    = 24 * time.Hour // one run's scheduling window
	MaxTimeout     = time.Hour      // the histograms' highest trackable value
	MaxInflight    = 1_000_000      // per worker
	MaxWorkers     = 10_000         // shards
	MaxConnections = 10_000         // HTTP/2 connections per worker
	MaxTargets     = 10_000
	MaxWeight      = 1_000_000
)

// Shapes of the arrival rate over the run.
const (
	ShapeConstant = "constant" // Rate arrivals per second for the whole duration
	ShapeRamp     = "ramp"     // linear from From to To arrivals per second
	// ShapeStages and ShapeFindMax are in load.go.
)

// RunSpec is one load test: what to send, how fast, for how long, and over
// which kind of connections. Users write it as YAML or JSON; command-line flags
// fill or override its fields.
type RunSpec struct {
	// Version is the schema version; 0 is read as RunSpecVersion.
	Version int `json:"version,omitempty" yaml:"version"`
	// Name labels the run in reports; optional.
	Name string `json:"name,omitempty" yaml:"name"`
	// Targets are the requests to send. Arrivals are spread over them by
	// Weight, deterministically (a smooth weighted round robin).
	Targets []Target `json:"targets" yaml:"targets"`
	// Scenarios are virtual-user journeys (see Scenario) that share the
	// arrivals with Targets by weight.
	Scenarios []Scenario `json:"scenarios,omitempty" yaml:"scenarios"`
	// Load is the arrival-rate shape over the whole run (all workers together).
	Load Load `json:"load,omitzero" yaml:"load"`
	// Duration is how long arrivals are scheduled. Requests still in flight at
	// the end may take up to Timeout more. A staged load (stages, find-max)
	// sets it: leave it out, or give the same total.
	Duration Duration `json:"duration" yaml:"duration"`
	// Thresholds are pass/fail criteria judged on the merged report; a
	// failed one makes `barrage run` exit 1.
	Thresholds []Threshold `json:"thresholds,omitempty" yaml:"thresholds"`
	// ExpectFailures says that a run in which nothing succeeds is what the
	// test is for (a target that refuses, a rate limiter that answers 429):
	// its report still says so, first, but `barrage run` does not fail it
	// (exit 0 rather than 1) for that alone.
	ExpectFailures bool `json:"expect_failures,omitempty" yaml:"expect_failures"`
	// Workers is the number of shards; 0 lets the planner decide.
	Workers int `json:"workers,omitempty" yaml:"workers"`
	// KeepAlive reuses connections when true (the default); false dials a new
	// connection for every arrival and closes it after the response.
	KeepAlive *bool `json:"keepalive,omitempty" yaml:"keepalive"`
	// HTTP2 speaks HTTP/2 over TLS, negotiated by ALPN (https targets only).
	HTTP2 bool `json:"http2,omitempty" yaml:"http2"`
	// H2C speaks HTTP/2 over cleartext TCP with prior knowledge (http targets only).
	H2C bool `json:"h2c,omitempty" yaml:"h2c"`
	// Insecure skips verification of the target's TLS certificate.
	Insecure bool `json:"insecure,omitempty" yaml:"insecure"`
	// Timeout bounds each request from its actual send to the end of its body.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout"`
	// MaxInflight caps requests in flight per worker; an arrival that finds
	// every slot busy is dropped and counted. 0 lets the planner decide.
	MaxInflight int `json:"max_inflight,omitempty" yaml:"max_inflight"`
	// Connections is the number of HTTP/2 connections per worker over which
	// streams are spread; 0 means 1. Ignored for HTTP/1.1.
	Connections int `json:"connections,omitempty" yaml:"connections"`
	// LateLimit is how late after its due time a worker's scheduler may
	// still send an arrival; one it reaches later (the generator was
	// stalled: CPU starved, a throttled Lambda) is dropped and counted as
	// dropped late, because sending it would make a burst the schedule never
	// asked for. 0 never drops: late arrivals are sent and their lag is
	// counted. Unset means DefaultLateLimit.
	LateLimit *Duration `json:"late_limit,omitempty" yaml:"late_limit"`
	// AllowHosts, if set, are the only hosts the run may contact: a host
	// name, "*.domain" for a domain and its subdomains, or "*" (see
	// pkg/hostguard). Every host of the spec is checked against it before
	// anything is sent, and again at dial time. On AWS it narrows the
	// deployment's allow-list and never widens it.
	AllowHosts []string `json:"allow_hosts,omitempty" yaml:"allow_hosts"`
	// Monitor names Prometheus endpoints of the server under test and the
	// series to keep of each: they are scraped every second during the run
	// and reported beside the load (Report.Monitor).
	Monitor []Monitor `json:"monitor,omitempty" yaml:"monitor"`
	// SubmittedBy is who started the run: on AWS, the API sets it from the
	// caller's IAM identity (a user or role ARN) and replaces whatever a
	// request says; a schedule's runs say the schedule. Not read from spec
	// files.
	SubmittedBy string `json:"submitted_by,omitempty" yaml:"-"`
}

// Target is one request template.
type Target struct {
	// Name labels the target in reports; defaults to "METHOD URL".
	Name string `json:"name,omitempty" yaml:"name"`
	// Method is the HTTP method; defaults to GET.
	Method string `json:"method,omitempty" yaml:"method"`
	// URL is absolute, with an http or https scheme.
	URL string `json:"url" yaml:"url"`
	// Headers are sent with every request. Host, if present, overrides the
	// URL's host in the Host header.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// Body is sent with every request.
	Body string `json:"body,omitempty" yaml:"body"`
	// BodyFile names a file whose content becomes Body when the spec is
	// loaded (relative to the spec file). A stored spec has it inlined.
	BodyFile string `json:"body_file,omitempty" yaml:"body_file"`
	// Weight is the target's share of arrivals relative to the other targets;
	// 0 means 1.
	Weight int `json:"weight,omitempty" yaml:"weight"`
}

// Load is the arrival-rate shape of a run.
type Load struct {
	// Shape is ShapeConstant (default), ShapeRamp, ShapeStages or
	// ShapeFindMax.
	Shape string `json:"shape,omitempty" yaml:"shape"`
	// Rate is the constant arrival rate per second. 0 runs a closed loop: each
	// in-flight slot sends its next request as soon as the last one ends. A
	// spec without any load runs at DefaultRate (WithDefaults); write
	// "load: {rate: 0}" for a closed loop.
	Rate float64 `json:"rate" yaml:"rate"`
	// From and To are the ramp's rates at the start and at the end of Duration.
	From float64 `json:"from,omitempty" yaml:"from"`
	To   float64 `json:"to,omitempty" yaml:"to"`
	// Stages are the stages of ShapeStages, run one after the other.
	Stages []Stage `json:"stages,omitempty" yaml:"stages"`
	// FindMax configures ShapeFindMax.
	FindMax *FindMax `json:"find_max,omitempty" yaml:"find_max"`
}

// KeepAliveOn reports whether connections are reused (KeepAlive unset means yes).
func (s *RunSpec) KeepAliveOn() bool { return s.KeepAlive == nil || *s.KeepAlive }

// ClosedLoop reports whether the run sends as fast as MaxInflight allows.
func (l Load) ClosedLoop() bool { return l.shape() == ShapeConstant && l.Rate == 0 }

func (l Load) shape() string {
	if l.Shape == "" {
		return ShapeConstant
	}
	return l.Shape
}

// MeanRate is the average planned arrival rate over the run.
func (l Load) MeanRate() float64 {
	switch l.shape() {
	case ShapeRamp:
		return (l.From + l.To) / 2
	case ShapeStages, ShapeFindMax:
		return l.stagedMean()
	}
	return l.Rate
}

// Defaulted reports whether s has every default WithDefaults sets: whether
// WithDefaults would leave it as it is. Every spec that pkg/prepare returns
// is, so every spec a run stores: a worker checks it instead of applying
// the defaults again.
func (s RunSpec) Defaulted() bool { return reflect.DeepEqual(s.WithDefaults(), s) }

// WithDefaults returns a copy of s with every unset field at its default.
// Slices and maps are shared with s.
func (s RunSpec) WithDefaults() RunSpec {
	if s.Version == 0 {
		s.Version = RunSpecVersion
	}
	if s.Load.isZero() { // no load given at all: the default rate, not a closed loop
		s.Load.Rate = DefaultRate
	}
	if s.Load.Shape == "" {
		s.Load.Shape = ShapeConstant
	}
	s.Load = s.Load.withDefaults()
	if s.Duration == 0 && s.Load.Staged() {
		s.Duration = Duration(s.Load.Length())
	}
	if s.Duration == 0 {
		s.Duration = Duration(DefaultDuration)
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultTimeout)
	}
	if s.Connections == 0 {
		s.Connections = 1
	}
	if len(s.Targets) > 0 {
		ts := make([]Target, len(s.Targets))
		for i, t := range s.Targets {
			if t.Method == "" {
				t.Method = DefaultMethod
			}
			if t.Weight == 0 {
				t.Weight = 1
			}
			if t.Name == "" {
				t.Name = t.Method + " " + t.URL
			}
			ts[i] = t
		}
		s.Targets = ts
	}
	return s
}
