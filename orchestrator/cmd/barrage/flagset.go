package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
)

// flagSet is a command's flags: a flag.FlagSet whose flags are named
// --flag in its usage and its errors, listed in sections of the usage.
// Register flags on it as on a flag.FlagSet, after the section that lists
// them (fs.section).
type flagSet struct {
	*flag.FlagSet
	cmd      *command
	sections []*section
	bad      error // the value the last Parse refused, said in full
}

// section is a titled group of a command's flags in its usage.
type section struct {
	title string
	flags []flagDoc
}

// flagDoc is a flag as its usage shows it: --name ARG, then what it does.
type flagDoc struct {
	name, arg, usage, def string
}

func newFlagSet(c *command) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(c.name, flag.ContinueOnError), cmd: c}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// section starts a section of the usage: the flags registered after it,
// up to the next section, are listed under title.
func (fs *flagSet) section(title string) {
	fs.collect()
	fs.sections = append(fs.sections, &section{title: title})
}

// collect files the flags registered since the last section under it, in
// the order of their names, and makes their values' errors name them.
func (fs *flagSet) collect() {
	known := map[string]bool{}
	for _, s := range fs.sections {
		for _, d := range s.flags {
			known[d.name] = true
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if known[f.Name] {
			return
		}
		if len(fs.sections) == 0 {
			fs.sections = append(fs.sections, &section{})
		}
		s := fs.sections[len(fs.sections)-1]
		arg, usage := flag.UnquoteUsage(f)
		if p, ok := f.Value.(interface{ placeholder() string }); ok {
			arg = p.placeholder()
		}
		s.flags = append(s.flags, flagDoc{name: f.Name, arg: arg, usage: usage, def: f.DefValue})
		f.Value = &namedValue{Value: f.Value, name: f.Name, fs: fs}
	})
}

// parse parses args, whose flags may come before or after the positional
// arguments ("barrage run spec.yaml --rate 10"), and returns the
// positional ones. A bad flag is bad input naming the flag and what it
// wants; --help or -h is flag.ErrHelp.
func (fs *flagSet) parse(args []string) ([]string, error) {
	fs.collect()
	var pos []string
	for {
		fs.bad = nil
		if err := fs.Parse(args); err != nil {
			switch {
			case errors.Is(err, flag.ErrHelp):
				return nil, err
			case fs.bad != nil:
				return nil, fs.bad
			}
			return nil, fs.syntaxError(err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// syntaxError rewrites the flag package's other errors, which it gives as
// text only: a flag the command does not have, and a flag without a value.
func (fs *flagSet) syntaxError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return badInput("unknown flag --%s (barrage help %s lists the flags)", strings.TrimPrefix(name, "-"), fs.cmd.name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		name = strings.TrimPrefix(name, "-")
		if f := fs.Lookup(name); f != nil {
			if nv, ok := f.Value.(*namedValue); ok && want(nv.Value, "") != "" {
				return badInput("--%s needs a value: %s", name, want(nv.Value, ""))
			}
		}
		return badInput("--%s needs a value", name)
	}
	return badInput("%s", msg)
}

// usage prints the command's help: its usage line, what it does, and its
// flags by section, each with what it does and its default.
func (fs *flagSet) usage(w io.Writer) {
	c := fs.cmd
	fmt.Fprintf(w, "Usage: barrage %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), capitalize(c.summary))
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	for _, s := range fs.sections {
		title := s.title
		if title == "" {
			title = "Flags"
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, d := range s.flags {
			fmt.Fprintln(w, strings.TrimRight("  --"+d.name+" "+d.arg, " "))
			text := d.usage
			if d.def != "" && d.def != "false" && d.def != "0" {
				text += " (default " + d.def + ")"
			}
			for _, l := range wrap(text, 72) {
				fmt.Fprintln(w, "      "+l)
			}
		}
	}
}

// wrap breaks text into lines of at most width bytes, between words.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// namedValue is a flag's value whose errors name the flag and say what it
// wants, as in `--rate: "abc" is not a number of arrivals per second`.
type namedValue struct {
	flag.Value
	name string
	fs   *flagSet
}

func (v *namedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil {
		if w := want(v.Value, s); w != "" {
			v.fs.bad = badInput("--%s: %q is not %s", v.name, s, w)
		} else {
			v.fs.bad = badInput("--%s: %v", v.name, err)
		}
	}
	return err
}

// IsBoolFlag tells the flag package that a switch needs no value.
func (v *namedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// want says what kind of value v takes, for the input s: "a number", "a
// duration (try 5s)"; "" when it cannot say.
func want(v flag.Value, s string) string {
	if w, ok := v.(interface{ want() string }); ok {
		return w.want()
	}
	g, ok := v.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case bool:
		return "true or false"
	case int, int64, uint, uint64:
		return "a whole number"
	case float64:
		return "a number"
	case time.Duration, *events.Duration:
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "a duration (try " + s + "s)"
		}
		return "a duration (such as 30s or 1m30s)"
	}
	return ""
}

// perSecondValue is a rate flag: a finite number of arrivals per second.
type perSecondValue float64

// perSecond sets *p to def and returns it as a rate flag's value.
func perSecond(p *float64, def float64) *perSecondValue {
	*p = def
	return (*perSecondValue)(p)
}

func (r *perSecondValue) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("not a rate")
	}
	*r = perSecondValue(v)
	return nil
}

func (r *perSecondValue) String() string { return rateText(float64(*r)) }
func (r *perSecondValue) Get() any       { return float64(*r) }
func (r *perSecondValue) want() string   { return "a number of arrivals per second" }

// choiceValue is a flag that takes one of a few words.
type choiceValue struct {
	p       *string
	choices []string
}

// oneOf sets *p to def and returns it as the value of a flag that takes
// one of choices.
func oneOf(p *string, def string, choices ...string) *choiceValue {
	*p = def
	return &choiceValue{p, choices}
}

func (c *choiceValue) Set(s string) error {
	for _, ch := range c.choices {
		if s == ch {
			*c.p = s
			return nil
		}
	}
	return errors.New("not a choice")
}

func (c *choiceValue) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}

func (c *choiceValue) Get() any            { return *c.p }
func (c *choiceValue) want() string        { return "one of " + strings.Join(c.choices, ", ") }
func (c *choiceValue) placeholder() string { return strings.Join(c.choices, "|") }
