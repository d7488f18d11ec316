package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/targets"
)

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, f, err := specFromArgs(args, stdin)
	if err != nil {
		return err
	}
	switch f.backend {
	case "aws":
		if f.demo || f.procs {
			return badInput("--demo and --procs are for the local backend")
		}
		s = s.WithDefaults()
		if err := spec.Check(s, f.specName); err != nil {
			return badInput("%v", err)
		}
		return runAWS(s, f, stdout, stderr)
	case "local":
	default:
		return badInput("unknown backend %q (want local or aws)", f.backend)
	}
	var demo *demoServer
	if f.demo {
		if demo, err = startDemo(); err != nil {
			return fmt.Errorf("start the demo target: %w", err)
		}
		defer demo.Close()
		if len(s.Targets) == 0 {
			s.Targets = []events.Target{{Name: "demo", Method: f.method, URL: demo.URL + "/"}}
		}
		fmt.Fprintf(stderr, "demo target listening on %s/ (try %s/?sleep=20ms)\n", demo.URL, demo.URL)
	}
	s = s.WithDefaults()
	if err := spec.Check(s, f.specName); err != nil {
		return badInput("%v", err)
	}

	// Workers resolve the scenarios' secrets; a reference that cannot be
	// read is bad input, found before anything is sent.
	if err := journey.CheckSecrets(context.Background(), &s, nil); err != nil {
		return badInput("%s: %v", f.specName, err)
	}
	sched, abort, stop := signalContexts()
	defer stop()
	defer startProfiling()()
	p, err := orchestrator.PlanLocal(s, "preview", time.Now())
	if err != nil {
		return badInput("%v", err)
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(stderr, "plan: "+w)
	}
	prog := newProgress(stderr, f.quiet, s.Duration.D(), len(p.Shards))
	sched, stopped := watchThresholds(sched, s.Thresholds, len(p.Shards), prog.update, stderr)
	var debug *journey.Debug
	if f.debug > 0 {
		if f.procs {
			return badInput("--debug shows what in-process workers send: leave out --procs")
		}
		debug = journey.NewDebug(stderr, f.debug, nil)
	}
	// A find-max staircase ends after the step that broke its SLO.
	runSched, progress := watchStaircase(sched, s.Load, stopped.update, stderr)
	opts := orchestrator.LocalOptions{Dir: f.out, Procs: f.procs, Progress: progress, Log: workerLog(stderr, f.quiet), Debug: debug}
	run, err := orchestrator.RunLocal(runSched, abort, s, opts)
	prog.finish()
	if err != nil && (run == nil || !errors.Is(err, orchestrator.ErrNoResult)) {
		return err
	}
	if err == nil && sched.Err() == nil {
		changed, serr := searchMax(s, run.Report, func(seg events.RunSpec) (*events.Report, error) {
			sp, err := orchestrator.PlanLocal(seg, "preview", time.Now())
			if err != nil {
				return nil, err
			}
			sprog := newProgress(stderr, f.quiet, seg.Load.Length(), len(sp.Shards))
			o := opts
			o.Progress = sprog.update
			r, err := orchestrator.RunLocal(sched, abort, seg, o)
			sprog.finish()
			if err != nil {
				return nil, err
			}
			return r.Report, nil
		}, stderr)
		if changed {
			if err := reduce.Replace(context.Background(), store.Dir{Root: f.out}, run.ID, run.Report); err != nil {
				return err
			}
		}
		if serr != nil {
			fmt.Fprintln(stderr, serr)
		}
	}
	if f.json {
		if err := writeJSON(stdout, run.Report); err != nil {
			return err
		}
	} else {
		if err := report.Text(stdout, run.Report); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nRun folder: %s\n", run.Dir)
	}
	if err != nil || run.Report.Requests == 0 && run.Report.Dropped == 0 {
		return fmt.Errorf("%w: no request was sent", orchestrator.ErrNoResult)
	}
	if why := stopped.reason(); why != "" {
		return &thresholdError{why}
	}
	return failedThresholds(run.Report)
}

// specFromArgs reads a command line of run or plan: flags and an optional
// SPEC file, flags overriding the file. It does not validate: the caller
// applies defaults and checks.
func specFromArgs(args []string, stdin io.Reader) (events.RunSpec, *runFlags, error) {
	fs, f := runFlagSet()
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return events.RunSpec{}, nil, err
	}
	if len(pos) > 1 {
		return events.RunSpec{}, nil, badInput("at most one SPEC file, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var s events.RunSpec
	f.specName = "flags"
	if len(pos) == 1 {
		f.specName = pos[0]
		if s, err = loadSpec(pos[0], stdin); err != nil {
			return events.RunSpec{}, nil, badInput("%v", err)
		}
	}
	if err := applyFlags(&s, f, set); err != nil {
		return events.RunSpec{}, nil, err
	}
	return s, f, nil
}

// loadSpec reads a spec file, or stdin for "-".
func loadSpec(path string, stdin io.Reader) (events.RunSpec, error) {
	if path != "-" {
		return spec.Load(path)
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return events.RunSpec{}, fmt.Errorf("read stdin: %w", err)
	}
	return spec.Decode(b, "stdin")
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
	if set["rate"] || set["ramp-to"] {
		s.Load = events.Load{Shape: events.ShapeConstant, Rate: f.rate}
		if set["ramp-to"] {
			s.Load = events.Load{Shape: events.ShapeRamp, From: f.rate, To: f.rampTo}
		}
	}
	if set["duration"] || s.Duration == 0 && !s.Load.Staged() { // a staged load sets its own
		s.Duration = f.duration
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
	if set["connections"] {
		s.Connections = f.connections
	}
	if set["name"] {
		s.Name = f.name
	}
	if s.Duration.D() < 0 || s.Duration == 0 && !s.Load.Staged() {
		return badInput("--duration must be positive, got %s", s.Duration)
	}
	if s.Timeout.D() <= 0 {
		return badInput("--timeout must be positive, got %s", s.Timeout)
	}
	return nil
}

// signalContexts returns a context that ends scheduling at the first SIGINT
// or SIGTERM and one that cuts off requests in flight at the second.
func signalContexts() (sched, abort context.Context, stop func()) {
	sched, endSched := context.WithCancelCause(context.Background())
	abort, endAbort := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				n++
				if n == 1 {
					fmt.Fprintf(os.Stderr, "\n%s: stopping; requests in flight may take up to --timeout (again to cut them off)\n", sig)
					endSched(errors.New("interrupted"))
				} else {
					endAbort(errors.New("aborted"))
				}
			}
		}
	}()
	return sched, abort, func() {
		signal.Stop(ch)
		close(done)
		endSched(nil)
		endAbort(nil)
	}
}
