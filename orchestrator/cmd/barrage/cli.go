package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes (CONTRACT.md).
const (
	exitOK        = 0 // the run completed and every threshold held
	exitThreshold = 1 // a threshold failed
	exitBadInput  = 2 // bad input: one line on stderr, nothing sent
	exitNoResult  = 3 // the run produced no result
)

// usageError is bad input: the message is printed as one line, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

const usage = `barrage: a distributed HTTP load generator

Usage:
  barrage run    [SPEC] [flags]   run a test; prints the text report; writes the run folder
  barrage plan   [SPEC] [flags]   print the shard plan, its reasons and its cost estimate; sends nothing
  barrage report RUN [--format text|json|md|html]   render a stored run
  barrage worker --store S --queue Q   run shards from a queue (local processes, Fargate)
  barrage status RUN [--json]     a deployed run's state (aws backend)
  barrage abort  RUN              stop a deployed run (aws backend)
  barrage help   [run]            show this help, or the flags of run

Run "barrage run --help" for the flags. SPEC is a YAML or JSON RunSpec; - reads stdin.
`

// cli runs the command line and returns the exit status.
func cli(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadInput
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdin, stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout)
	case "plan":
		err = cmdPlan(args[1:], stdin, stdout)
	case "worker":
		err = cmdWorker(args[1:], stderr)
	case "status":
		err = cmdStatus(args[1:], stdout)
	case "abort":
		err = cmdAbort(args[1:], stdout)
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "run" {
			fs, _ := runFlagSet()
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = badInput("unknown command %q (want run, plan, report, worker, status or abort; see barrage help)", args[0])
	}
	return exitStatus(err, stderr)
}

// exitStatus prints err as one line and maps it to an exit status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if re, ok := errors.AsType[*refusedError](err); ok { // bad input, a line per problem
		for _, l := range re.lines {
			fmt.Fprintln(stderr, "barrage: "+l)
		}
		return exitBadInput
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintln(stderr, "barrage: "+msg)
	var ue *usageError
	var te *thresholdError
	switch {
	case errors.As(err, &ue):
		return exitBadInput
	case errors.As(err, &te):
		return exitThreshold
	}
	return exitNoResult
}

// thresholdError reports failed thresholds (exit 1).
type thresholdError struct{ msg string }

func (e *thresholdError) Error() string { return e.msg }

var errHelp = errors.New("help shown")
