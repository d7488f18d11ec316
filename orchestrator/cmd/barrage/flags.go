package main

import (
	"flag"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/live"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// runFlags are the flags of barrage run and barrage plan (CONTRACT.md).
type runFlags struct {
	targets     multi
	targetsFile string
	method      string
	headers     multi
	body        string
	rate        float64
	rampTo      float64
	duration    events.Duration
	workers     int
	keepalive   bool
	http2, h2c  bool
	insecure    bool
	timeout     events.Duration
	maxInflight int
	lateLimit   events.Duration
	connections int
	out         string
	backend     string
	procs       bool
	json        bool
	name        string
	demo        bool
	quiet       bool
	debug       int
	metricsAddr string
	kind        string
	specName    string // the SPEC file's name, "stdin", or "flags"
	allowHosts  string
	aws         awsFlags
	quotas      quotaFlags // barrage plan --backend aws
	fs          *flagSet   // where they were parsed

	// metrics, set by cmdRun with --metrics-addr, are the live metrics
	// the run's looks go to (metrics.go); nil without.
	metrics *live.Metrics
}

// newRunFlags registers the flags that run and plan share on fs: those
// that make the spec, and where it runs. Each command adds its own
// (runOnlyFlags, planOnlyFlags).
func newRunFlags(fs *flagSet) *runFlags {
	f := &runFlags{fs: fs, duration: events.Duration(events.DefaultDuration), timeout: events.Duration(events.DefaultTimeout),
		lateLimit: events.Duration(events.DefaultLateLimit)}
	f.requestFlags(fs)
	f.loadFlags(fs)
	f.connectionFlags(fs)
	f.workerFlags(fs)
	return f
}

// The flag groups of run and plan. Each registers its flags under a section
// of the usage, one line a flag; a flag's value goes into a field of
// runFlags, which applyFlags copies into the spec. To add a flag: a field
// above, one line in the group whose commands use it (requestFlags …
// workerFlags: run and plan; runOnlyFlags; planOnlyFlags), with a `WORD`
// in its usage for its value, and its row in specOverrides (specflags.go),
// or, for a flag that sets no field of the spec, its name in
// TestOverridesCoverFlags. Its help, its
// --flag errors and CONTRACT.md's check (TestFlagsMatchContract) follow;
// update the golden help (go test -run TestHelpGolden -update) and
// CONTRACT.md's table. Values that need words of their own: perSecond for
// rates, oneOf for choices; events.Duration with TextVar for durations.

// requestFlags: the targets, the requests sent to them, the run's name.
func (f *runFlags) requestFlags(fs *flagSet) {
	fs.section("Targets and requests")
	fs.Var(&f.targets, "target", "a target `URL`; repeatable")
	fs.StringVar(&f.targetsFile, "targets", "", "targets in vegeta's HTTP format, read from `FILE`")
	fs.StringVar(&f.method, "method", "GET", "the HTTP `METHOD` of --target's requests")
	fs.Var(&f.headers, "header", "a request header, `\"K: V\"`; repeatable")
	fs.StringVar(&f.body, "body", "", "the request body: `STRING`, or @FILE to read it from FILE")
	fs.TextVar(&f.timeout, "timeout", &f.timeout, "the per-request timeout: a duration `D` such as 2s or 500ms")
	fs.StringVar(&f.name, "name", "", "a `NAME` for the run in reports")
	fs.StringVar(&f.allowHosts, "allow-hosts", "", "the only hosts the run may contact, comma-separated: `HOSTS` such as api.example.com,*.example.net (the spec's allow_hosts)")
}

// loadFlags: the arrival rate and how long it lasts. They set the numbers
// of the spec's load, never its shape (applyLoadFlags).
func (f *runFlags) loadFlags(fs *flagSet) {
	fs.section("Load")
	fs.Var(perSecond(&f.rate, events.DefaultRate), "rate",
		"`R` arrivals per second over all workers (a ramp's start); 0 runs a closed loop as fast as --max-inflight allows")
	fs.Var(perSecond(&f.rampTo, 0), "ramp-to", "ramp the rate linearly from --rate to `R` arrivals per second over --duration")
	fs.TextVar(&f.duration, "duration", &f.duration, "how long arrivals are scheduled: a duration `D` such as 30s or 5m")
	fs.IntVar(&f.maxInflight, "max-inflight", 0, "cap the requests in flight at `N` per worker; arrivals beyond it are dropped and counted (default: the planner's)")
	fs.TextVar(&f.lateLimit, "late-limit", &f.lateLimit, "drop an arrival a worker reaches more than `D` late (a duration such as 10ms); 0 sends every arrival however late")
}

// connectionFlags: how requests reach the targets.
func (f *runFlags) connectionFlags(fs *flagSet) {
	fs.section("Connections")
	fs.BoolVar(&f.keepalive, "keepalive", true, "reuse connections; --keepalive=false opens a new connection for every arrival")
	fs.BoolVar(&f.http2, "http2", false, "HTTP/2 over TLS (ALPN)")
	fs.BoolVar(&f.h2c, "h2c", false, "HTTP/2 over cleartext TCP with prior knowledge")
	fs.IntVar(&f.connections, "connections", 0, "spread HTTP/2 streams over `N` connections per worker (default 1)")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
}

// workerFlags: where the run's shards run.
func (f *runFlags) workerFlags(fs *flagSet) {
	fs.section("Workers")
	fs.Var(oneOf(&f.backend, "local", "local", "aws"), "backend", "where the workers run")
	fs.IntVar(&f.workers, "workers", 0, "run `N` shards; 0 lets the planner decide")
	fs.Var(oneOf(&f.kind, "", "lambda", "fargate"), "kind", "aws backend: the workers' kind (default: the planner decides)")
	f.aws.stackFlag(fs)
}

// runOnlyFlags: how barrage run runs a test and shows it.
func (f *runFlags) runOnlyFlags(fs *flagSet) {
	fs.section("Running and output")
	fs.StringVar(&f.out, "out", "./barrage-runs", "where run folders go: `DIR`/runs/{run_id}/")
	fs.BoolVar(&f.procs, "procs", false, "local backend: run each shard in its own barrage worker process")
	f.aws.apiFlag(fs)
	fs.BoolVar(&f.json, "json", false, "print report.json instead of the text report")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.BoolVar(&f.demo, "demo", false, "start a small HTTP server on 127.0.0.1 and, without other targets, load it (to try barrage)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics at http://`HOST:PORT`/metrics while the run runs, HOST one of 127.0.0.1, ::1 and localhost (port 0 picks a free one)")
	fs.IntVar(&f.debug, "debug", 0, "print the first `N` scenario steps' requests and responses to stderr, secrets and tokens redacted (local backend, without --procs)")
}

// planOnlyFlags: how barrage plan shows a plan, and the account's quotas.
func (f *runFlags) planOnlyFlags(fs *flagSet) {
	fs.section("Output and AWS quotas")
	fs.BoolVar(&f.json, "json", false, "print plan.json instead of the plan's summary")
	f.quotas.register(fs)
}

// set returns the names of the flags that were given.
func (f *runFlags) set() map[string]bool {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}
