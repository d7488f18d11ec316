package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// runFlags are the flags of barrage run (CONTRACT.md).
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
	connections int
	out         string
	backend     string
	procs       bool
	json        bool
	name        string
	demo        bool
	quiet       bool
	debug       int
	kind        string
	allowHosts  string
	specName    string // the SPEC file's name, or "flags"
	aws         awsFlags
	quotas      quotaFlags // barrage plan --backend aws
}

func runFlagSet() (*flag.FlagSet, *runFlags) {
	f := &runFlags{duration: events.Duration(events.DefaultDuration), timeout: events.Duration(events.DefaultTimeout)}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Var(&f.targets, "target", "target `URL`; repeatable")
	fs.StringVar(&f.targetsFile, "targets", "", "targets `FILE` in vegeta's HTTP format")
	fs.StringVar(&f.method, "method", "GET", "HTTP method for --target")
	fs.Var(&f.headers, "header", "request header `\"K: V\"`; repeatable")
	fs.StringVar(&f.body, "body", "", "request body `STRING`, or @FILE to read it from a file")
	fs.Float64Var(&f.rate, "rate", events.DefaultRate, "arrivals per `R`/s over all workers; 0 runs a closed loop as fast as --max-inflight allows")
	fs.Float64Var(&f.rampTo, "ramp-to", 0, "ramp linearly from --rate to this `R`/s over --duration")
	fs.TextVar(&f.duration, "duration", &f.duration, "how long arrivals are scheduled (Go `duration`)")
	fs.IntVar(&f.workers, "workers", 0, "number of shards (`N`); 0 lets barrage decide")
	fs.BoolVar(&f.keepalive, "keepalive", true, "reuse connections; --keepalive=false opens a new connection per arrival")
	fs.BoolVar(&f.http2, "http2", false, "HTTP/2 over TLS (ALPN)")
	fs.BoolVar(&f.h2c, "h2c", false, "HTTP/2 over cleartext TCP with prior knowledge")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.TextVar(&f.timeout, "timeout", &f.timeout, "per-request timeout (Go `duration`)")
	fs.IntVar(&f.maxInflight, "max-inflight", 0, "in-flight cap per worker (`N`); arrivals beyond it are dropped and counted")
	fs.IntVar(&f.connections, "connections", 0, "HTTP/2 connections per worker (`N`) over which streams are spread (default 1)")
	fs.StringVar(&f.out, "out", "./barrage-runs", "where run folders go: `DIR`/runs/{run_id}/")
	fs.StringVar(&f.backend, "backend", "local", "where workers run: local or aws")
	fs.BoolVar(&f.procs, "procs", false, "local backend: run each shard in its own process")
	fs.BoolVar(&f.json, "json", false, "print report.json instead of the text report")
	fs.StringVar(&f.name, "name", "", "a name for the run in reports")
	fs.BoolVar(&f.demo, "demo", false, "start a small HTTP server on 127.0.0.1 and, without other targets, load it (to try barrage)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.IntVar(&f.debug, "debug", 0, "print the first `N` scenario steps' requests and responses to stderr, secrets and tokens redacted (local backend, without --procs)")
	fs.StringVar(&f.kind, "kind", "", "aws backend: worker kind, lambda or fargate (default: the planner decides)")
	fs.StringVar(&f.allowHosts, "allow-hosts", "", "the only hosts the run may contact, comma-separated: `HOSTS` such as api.example.com,*.example.net (the spec's allow_hosts)")
	f.aws.register(fs)
	f.quotas.register(fs)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: barrage run [SPEC] [flags]\n\nSPEC is a YAML or JSON RunSpec (- reads stdin); flags override it.\n\nFlags:")
		fs.VisitAll(func(fl *flag.Flag) {
			name, use := flag.UnquoteUsage(fl)
			fmt.Fprintf(w, "  --%s %s\n    \t%s", fl.Name, name, use)
			if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" {
				fmt.Fprintf(w, " (default %s)", fl.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	return fs, f
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("barrage run spec.yaml --rate 10"), returning the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fs.SetOutput(os.Stdout)
				fs.Usage()
				return nil, errHelp
			}
			return nil, badInput("%s", flagMessage(err))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagMessage rewrites the flag package's messages to name flags as --flag.
func flagMessage(err error) string {
	msg := err.Error()
	msg = strings.Replace(msg, "flag provided but not defined: -", "unknown flag --", 1)
	msg = strings.Replace(msg, "for flag -", "for flag --", 1)
	msg = strings.Replace(msg, "flag needs an argument: -", "flag needs an argument: --", 1)
	return msg
}
