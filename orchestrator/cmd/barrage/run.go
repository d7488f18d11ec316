package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/targets"
)

func defineRun(fs *flagSet) runner {
	f := newRunFlags(fs)
	f.runOnlyFlags(fs)
	return func(pos []string, std stdio) error { return cmdRun(f, pos, std) }
}

// cmdRun runs a test to its report: barrage run [SPEC] [flags].
func cmdRun(f *runFlags, pos []string, std stdio) error {
	stdout, stderr := std.out, std.err
	s, err := specFromFlags(f, pos, std.in)
	if err != nil {
		return err
	}
	var b orchestrator.Backend
	switch f.backend {
	case "aws":
		if f.demo || f.procs {
			return badInput("--demo and --procs are for the local backend")
		}
		s = s.WithDefaults()
		if err := spec.Check(s, f.specName); err != nil {
			return badInput("%v", err)
		}
		c, err := f.aws.client(context.Background())
		if err != nil {
			return err
		}
		b = &orchestrator.APIBackend{Client: c, Kind: f.kind}
	case "local":
		lb, stop, err := localBackend(&s, f, stderr)
		if err != nil {
			return err
		}
		defer stop()
		b = lb
	default:
		return badInput("unknown backend %q (want local or aws)", f.backend)
	}
	ints, stop := interrupts(stderr, f.backend)
	defer stop()
	defer startProfiling()()
	return runOn(b, s, f, ints, stdout, stderr)
}

// localBackend prepares a local run of s: the demo target if asked for,
// defaults, the checks, and the secrets the workers will resolve (a
// reference that cannot be read is bad input, found before anything is
// sent). stop ends the demo target.
func localBackend(s *events.RunSpec, f *runFlags, stderr io.Writer) (_ *orchestrator.LocalBackend, stop func(), err error) {
	closeDemo := func() {}
	defer func() {
		if err != nil {
			closeDemo()
		}
	}()
	if f.demo {
		demo, err := startDemo()
		if err != nil {
			return nil, nil, fmt.Errorf("start the demo target: %w", err)
		}
		closeDemo = demo.Close
		if len(s.Targets) == 0 {
			s.Targets = []events.Target{{Name: "demo", Method: f.method, URL: demo.URL + "/"}}
		}
		fmt.Fprintf(stderr, "demo target listening on %s/ (try %s/?sleep=20ms)\n", demo.URL, demo.URL)
	}
	*s = s.WithDefaults()
	if err := spec.Check(*s, f.specName); err != nil {
		return nil, nil, badInput("%v", err)
	}
	secrets := (&awsenv.Lazy{}).SecretSources() // ssm:, secretsmanager:, with an AWS configuration loaded when one is read
	if err := journey.CheckSecrets(context.Background(), s, secrets); err != nil {
		return nil, nil, badInput("%s: %v", f.specName, err)
	}
	if err := checkHosts(s, f.specName, stderr); err != nil {
		return nil, nil, err
	}
	var debug *journey.Debug
	if f.debug > 0 {
		if f.procs {
			return nil, nil, badInput("--debug shows what in-process workers send: leave out --procs")
		}
		debug = journey.NewDebug(stderr, f.debug, nil)
	}
	return &orchestrator.LocalBackend{Options: orchestrator.LocalOptions{Dir: f.out, Procs: f.procs,
		Log: workerLog(stderr, f.quiet), Debug: debug, Secrets: secrets}}, closeDemo, nil
}

// runOn runs s on b to its report (orchestrator.Execute), prints the
// report, and returns what decides the exit status.
func runOn(b orchestrator.Backend, s events.RunSpec, f *runFlags, ints <-chan struct{}, stdout, stderr io.Writer) error {
	local, _ := b.(*orchestrator.LocalBackend)
	show := func(sub *orchestrator.Submitted) orchestrator.Display {
		if local == nil {
			fmt.Fprint(stderr, plan.Summary(sub.Plan))
		} else {
			for _, w := range sub.Plan.Warnings {
				fmt.Fprintln(stderr, "plan: "+w)
			}
		}
		return newProgress(stderr, f.quiet, sub)
	}
	out, err := orchestrator.Execute(context.Background(), b, s, orchestrator.ExecOptions{Interrupts: ints, Show: show, Log: stderr})
	var rejected *orchestrator.RejectedError
	var late *orchestrator.NotFinishedError
	switch {
	case errors.As(err, &rejected):
		return badInput("%v", err)
	case errors.As(err, &late) && local != nil:
		return fmt.Errorf("%w; see the run folder %s", err, local.Folder(late.RunID))
	case errors.As(err, &late):
		return fmt.Errorf("%w; see: barrage status %s", err, late.RunID)
	case err != nil:
		return err
	}
	if f.json {
		err = writeJSON(stdout, out.Report)
	} else if err = report.Text(stdout, out.Report); err == nil && local != nil {
		_, err = fmt.Fprintf(stdout, "\nRun folder: %s\n", local.Folder(out.RunID))
	}
	if err != nil {
		return err
	}
	if out.Interrupted {
		return errInterrupted
	}
	if err := noRequest(out.Report); err != nil {
		return err
	}
	if out.Stopped != "" {
		return &thresholdError{out.Stopped}
	}
	return verdict(out.Report)
}

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

// applyFlags overrides s with the flags that were set.
func applyFlags(s *events.RunSpec, f *runFlags, set map[string]bool) error {
	var body string
	if set["body"] {
		body = f.body
		if rest, ok := strings.CutPrefix(f.body, "@"); ok {
			b, err := os.ReadFile(rest)
			if err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return badInput("--body: cannot read body file %s: %v", rest, err)
			}
			body = string(b)
		}
	}
	headers := map[string]string{}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return badInput("--header %q: want \"Name: value\"", h)
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if old, dup := headers[k]; dup {
			v = old + ", " + v
		}
		headers[k] = v
	}
	var fromFlags []events.Target
	for _, u := range f.targets {
		fromFlags = append(fromFlags, events.Target{URL: u})
	}
	if set["targets"] {
		ts, err := targets.ParseFile(f.targetsFile)
		if err != nil {
			return badInput("%v", err)
		}
		fromFlags = append(fromFlags, ts...)
	}
	if len(fromFlags) > 0 {
		s.Targets = fromFlags
	}
	for i := range s.Targets {
		t := &s.Targets[i]
		if set["method"] {
			t.Method = f.method
		}
		if set["body"] {
			t.Body, t.BodyFile = body, ""
		}
		if len(headers) > 0 {
			m := make(map[string]string, len(t.Headers)+len(headers))
			for k, v := range t.Headers {
				m[k] = v
			}
			for k, v := range headers {
				m[k] = v
			}
			t.Headers = m
		}
	}
	if err := applyLoadFlags(s, f, set); err != nil {
		return err
	}
	if set["timeout"] || s.Timeout == 0 {
		s.Timeout = f.timeout
	}
	if set["workers"] {
		s.Workers = f.workers
	}
	if set["keepalive"] {
		s.KeepAlive = &f.keepalive
	}
	if set["http2"] {
		s.HTTP2 = f.http2
	}
	if set["h2c"] {
		s.H2C = f.h2c
	}
	if set["insecure"] {
		s.Insecure = f.insecure
	}
	if set["max-inflight"] {
		s.MaxInflight = f.maxInflight
	}
	if set["late-limit"] {
		s.LateLimit = &f.lateLimit
	}
	if set["connections"] {
		s.Connections = f.connections
	}
	if set["name"] {
		s.Name = f.name
	}
	if set["allow-hosts"] {
		s.AllowHosts = hostguard.Split(f.allowHosts)
	}
	if s.Duration.D() < 0 || s.Duration == 0 && !s.Load.Staged() {
		return badInput("--duration must be positive, got %s", s.Duration)
	}
	if s.Timeout.D() <= 0 {
		return badInput("--timeout must be positive, got %s", s.Timeout)
	}
	return nil
}

// interrupts returns a channel that carries each SIGINT or SIGTERM to
// orchestrator.Execute, which stops the run: locally the first stops
// scheduling and the second cuts off requests in flight; a deployed run is
// aborted at the first. stop ends the watch.
func interrupts(stderr io.Writer, backend string) (<-chan struct{}, func()) {
	ch := make(chan os.Signal, 2)
	out := make(chan struct{}, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case sig := <-ch:
				switch {
				case backend == "aws" && n == 1:
					fmt.Fprintf(stderr, "\n%s: aborting the run (its workers stop within 2 s); waiting for its report\n", sig)
				case n == 1:
					fmt.Fprintf(stderr, "\n%s: stopping; requests in flight may take up to --timeout (again to cut them off)\n", sig)
				}
				select {
				case out <- struct{}{}:
				default: // two are waiting already
				}
			}
		}
	}()
	return out, func() {
		signal.Stop(ch)
		close(done)
	}
}
