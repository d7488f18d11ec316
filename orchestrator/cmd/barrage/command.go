package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one of barrage's commands: what its usage says, and what it
// does. Every command parses its flags, prints its help and names its
// errors the same way (flagSet).
type command struct {
	name    string
	args    string // the usage's words after the name, such as "[SPEC] [flags]"
	summary string // what it does, on one line, from a lower-case verb
	about   string // more about it, after the summary; may be ""
	// define registers the command's flags on fs and returns what runs the
	// command, once they are parsed, with the positional arguments.
	define func(fs *flagSet) runner
}

// runner runs a command whose flags are parsed, with its positional
// arguments.
type runner func(pos []string, std stdio) error

// stdio is a command's standard input, output and error.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// commands lists barrage's commands in the order of its help (CONTRACT.md
// lists the same usage lines).
func commands() []*command {
	return []*command{
		{name: "run", args: "[SPEC] [flags]", summary: "run a test; print the text report; write the run folder",
			about: specAbout + "\n\n" + exitAbout, define: defineRun},
		{name: "plan", args: "[SPEC] [flags]", summary: "print the shard plan, its reasons and its cost estimate; send nothing",
			about: specAbout, define: definePlan},
		{name: "report", args: "RUN [flags]", summary: "render a stored run: a run folder, a run id under --out, or s3://bucket[/prefix]/runs/ID",
			about: "Exit status 1 when a threshold of the run failed.", define: defineReport},
		{name: "compare", args: "RUN_A RUN_B [flags]", summary: "compare two stored runs: their figures side by side with the change; --fail-if gates regressions",
			about: compareAbout, define: defineCompare},
		{name: "worker", args: "--store S --queue Q [flags]", summary: "run shards from a queue until idle (local worker processes, the Fargate task)",
			about: "BARRAGE_S3_ENDPOINT and BARRAGE_SQS_ENDPOINT override the AWS endpoints.", define: defineWorker},
		{name: "serve", args: "[flags]", summary: "serve the REST API on 127.0.0.1 over the local backend",
			about: serveAbout, define: defineServe},
		{name: "status", args: "RUN [flags]", summary: "print a deployed run's state (aws backend)", define: defineStatus},
		{name: "abort", args: "RUN [flags]", summary: "stop a deployed run; its report still comes (aws backend)", define: defineAbort},
		{name: "help", args: "[COMMAND]", summary: "print this help, or a command's usage and flags", define: defineHelp},
		{name: "version", summary: "print barrage's version and the commit it was built from", define: defineVersion},
	}
}

const (
	specAbout = `SPEC is a YAML or JSON RunSpec file; - reads standard input, whose body_file
and csv.file paths are relative to the working directory. Flags override the
spec; --rate, --ramp-to and --duration set the numbers of its load but never
change its shape.`
	exitAbout = `Exit status: 0 the run completed and every threshold held; 1 a threshold
failed; 2 bad input; 3 no result; 130 interrupted (after the partial report).`
)

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// unknownCommand is the error for a command barrage does not have.
func unknownCommand(name string) error {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return badInput("unknown command %q (want %s or %s)", name, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// exec parses args with c's flags and runs c; --help prints its usage.
func (c *command) exec(args []string, std stdio) error {
	fs := newFlagSet(c)
	run := c.define(fs)
	pos, err := fs.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.usage(std.out)
		return errHelp
	}
	if err != nil {
		return err
	}
	return run(pos, std)
}

// overview is barrage's own help: its commands.
func overview(w io.Writer) {
	fmt.Fprint(w, "barrage is a distributed HTTP load generator.\n\nUsage: barrage COMMAND [ARGS] [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\n\"barrage help COMMAND\" (or \"barrage COMMAND --help\") prints a command's usage and flags.\n"+
		"Exit status: 0 success; 1 a threshold failed; 2 bad input; 3 no result; 130 interrupted.\n")
}

func defineHelp(fs *flagSet) runner {
	return func(pos []string, std stdio) error {
		switch {
		case len(pos) == 0:
			overview(std.out)
		case len(pos) > 1:
			return badInput("help takes one COMMAND, got %d: %s", len(pos), strings.Join(pos, " "))
		case lookup(pos[0]) == nil:
			return unknownCommand(pos[0])
		default:
			c := lookup(pos[0])
			cfs := newFlagSet(c)
			c.define(cfs)
			cfs.collect()
			cfs.usage(std.out)
		}
		return nil
	}
}
