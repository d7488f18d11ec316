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
	// exitInterrupted: the user interrupted the run (SIGINT, SIGTERM); its
	// partial report was written and printed first.
	exitInterrupted = 130
)

// usageError is bad input: the message is printed as one line, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// cli runs the command line and returns the exit status.
func cli(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		overview(stderr)
		return exitBadInput
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		return exitStatus(unknownCommand(name), stderr)
	}
	return exitStatus(c.exec(args[1:], stdio{stdin, stdout, stderr}), stderr)
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
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitNoResult
}

// thresholdError reports failed thresholds (exit 1).
type thresholdError struct{ msg string }

func (e *thresholdError) Error() string { return e.msg }

var errHelp = errors.New("help shown")

// errInterrupted ends a run the user interrupted, after its report (exit
// 130).
var errInterrupted = errors.New("interrupted: the report covers the run until it stopped")
