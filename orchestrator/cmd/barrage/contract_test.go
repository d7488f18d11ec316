package main

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// contractSection returns CONTRACT.md's command-line section.
func contractSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../../CONTRACT.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Command line")
	if i < 0 {
		t.Fatal("CONTRACT.md has no command-line section")
	}
	s = s[i:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	return s
}

// TestFlagsMatchContract: CONTRACT.md's flag table lists exactly the flags
// of run and plan.
func TestFlagsMatchContract(t *testing.T) {
	sec := contractSection(t)
	cell := regexp.MustCompile(`^\| (.*?) \| `)
	name := regexp.MustCompile("`--([a-z0-9-]+)")
	var table []string
	for _, l := range strings.Split(sec, "\n") {
		if m := cell.FindStringSubmatch(l); m != nil {
			for _, n := range name.FindAllStringSubmatch(m[1], -1) {
				table = append(table, n[1])
			}
		}
	}
	slices.Sort(table)
	code := slices.Concat(flagNames("run"), flagNames("plan"))
	slices.Sort(code)
	code = slices.Compact(code)
	if !slices.Equal(table, code) {
		t.Errorf("flags in CONTRACT.md's table:\n%v\nflags of run and plan:\n%v", table, code)
	}
}

// flagNames lists the flags of the command called name.
func flagNames(name string) []string {
	c := lookup(name)
	fs := newFlagSet(c)
	c.define(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// TestCommandsMatchContract: CONTRACT.md's command-line block has each
// command's usage line and description as its help says them, and names
// every flag of the commands other than run and plan.
func TestCommandsMatchContract(t *testing.T) {
	sec := contractSection(t)
	start := strings.Index(sec, "```\n") + 4
	block := sec[start : start+strings.Index(sec[start:], "```")]
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	var want []string
	for _, c := range commands() {
		want = append(want, strings.Join(strings.Fields("barrage "+c.name+" "+c.args+" "+c.summary), " "))
	}
	if !slices.Equal(lines, want) {
		t.Errorf("CONTRACT.md's commands:\n%s\nbarrage's:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	b, err := os.ReadFile("../../../CONTRACT.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"report", "compare", "worker", "serve", "status", "abort"} {
		for _, f := range flagNames(c) {
			if !strings.Contains(string(b), "--"+f) {
				t.Errorf("CONTRACT.md does not name barrage %s --%s", c, f)
			}
		}
	}
}
