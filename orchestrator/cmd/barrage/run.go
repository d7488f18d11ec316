package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/report"
)

func defineRun(fs *flagSet) runner {
	f := newRunFlags(fs)
	f.runOnlyFlags(fs)
	return func(pos []string, std stdio) error { return cmdRun(f, pos, std) }
}

// cmdRun runs a test to its report: barrage run [SPEC] [flags]. Its flags
// are parsed (defineRun); then it reads the spec (specFromFlags), chooses
// the backend and prepares the spec for it (newBackend), and runs it to
// its report, prints the report and says what the exit status is (runOn).
func cmdRun(f *runFlags, pos []string, std stdio) error {
	s, err := specFromFlags(f, pos, std.in)
	if err != nil {
		return err
	}
	if f.metricsAddr != "" {
		ms, err := serveMetrics(f.metricsAddr, std.err)
		if err != nil {
			return err
		}
		defer ms.Close()
		f.metrics = ms.m
	}
	b, stop, err := newBackend(&s, f, std.err)
	if err != nil {
		return err
	}
	defer stop()
	ints, stopInts := interrupts(std.err, f.backend)
	defer stopInts()
	defer startProfiling()()
	return runOn(b, s, f, ints, std.out, std.err)
}

// newBackend returns the backend --backend names, with s prepared for it:
// its defaults and checks (awsBackend), and locally also the demo target,
// the secrets and the hosts (localBackend). stop releases what it started.
func newBackend(s *events.RunSpec, f *runFlags, stderr io.Writer) (_ orchestrator.Backend, stop func(), err error) {
	switch f.backend {
	case "aws":
		b, err := awsBackend(s, f)
		if err != nil {
			return nil, nil, err
		}
		return b, func() {}, nil
	case "local":
		lb, stop, err := localBackend(s, f, stderr)
		if err != nil {
			return nil, nil, err
		}
		return lb, stop, nil
	}
	return nil, nil, badInput("unknown backend %q (want local or aws)", f.backend)
}

// awsBackend prepares a deployed run of s: defaults and the checks of
// the spec; the deployment's API checks the rest (hosts, secrets, quotas)
// when the run is submitted.
func awsBackend(s *events.RunSpec, f *runFlags) (*orchestrator.APIBackend, error) {
	if f.demo || f.procs {
		return nil, badInput("--demo and --procs are for the local backend")
	}
	p, err := prepare.File(*s, f.specName)
	if err != nil {
		return nil, badInput("%v", err)
	}
	*s = p
	c, err := f.aws.client(context.Background())
	if err != nil {
		return nil, err
	}
	return &orchestrator.APIBackend{Client: c, Kind: f.kind}, nil
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
	if *s, err = prepare.File(*s, f.specName); err != nil {
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

// runOn runs s on b to its report (execute), prints the report (render),
// and returns what decides the exit status (exitError).
func runOn(b orchestrator.Backend, s events.RunSpec, f *runFlags, ints <-chan struct{}, stdout, stderr io.Writer) error {
	local, _ := b.(*orchestrator.LocalBackend)
	out, err := execute(b, local, s, f, ints, stderr)
	if err != nil {
		return err
	}
	if err := render(stdout, out, f, local); err != nil {
		return err
	}
	return exitError(out)
}

// execute runs s on b to its report (orchestrator.Execute), showing its
// plan and progress on stderr. local is b when it is the local backend.
// The error says why there is no report, and where to look.
func execute(b orchestrator.Backend, local *orchestrator.LocalBackend, s events.RunSpec, f *runFlags,
	ints <-chan struct{}, stderr io.Writer) (*orchestrator.Outcome, error) {
	show := func(sub *orchestrator.Submitted) orchestrator.Display {
		if local == nil {
			fmt.Fprint(stderr, plan.Summary(sub.Plan))
		} else {
			for _, w := range sub.Plan.Warnings {
				fmt.Fprintln(stderr, "plan: "+w)
			}
		}
		d := orchestrator.Display(newProgress(stderr, f.quiet, sub))
		if f.metrics != nil {
			d = metricsDisplay{d, f.metrics, sub.RunID}
		}
		return d
	}
	out, err := orchestrator.Execute(context.Background(), b, s, orchestrator.ExecOptions{Interrupts: ints, Show: show, Log: stderr})
	var rejected *orchestrator.RejectedError
	var late *orchestrator.NotFinishedError
	switch {
	case errors.As(err, &rejected):
		return nil, badInput("%v", err)
	case errors.As(err, &late) && local != nil:
		return nil, fmt.Errorf("%w; see the run folder %s", err, local.Folder(late.RunID))
	case errors.As(err, &late):
		return nil, fmt.Errorf("%w; see: barrage status %s", err, late.RunID)
	case err != nil:
		return nil, err
	}
	if f.metrics != nil {
		f.metrics.Final(out.RunID, out.Report)
	}
	return out, nil
}

// render prints a run's report to stdout: report.json with --json, else
// the text report and, for a local run, where its folder is.
func render(stdout io.Writer, out *orchestrator.Outcome, f *runFlags, local *orchestrator.LocalBackend) error {
	if f.json {
		return writeJSON(stdout, out.Report)
	}
	if err := report.Text(stdout, out.Report); err != nil || local == nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "\nRun folder: %s\n", local.Folder(out.RunID))
	return err
}

// exitError is what decides the exit status of a run with a report
// (exitStatus): interrupted (130), nothing sent (3), stopped by a
// threshold's abort or a threshold failed (1), else nil (0).
func exitError(out *orchestrator.Outcome) error {
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
