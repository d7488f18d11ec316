package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/help")

// run runs the command line in this process and returns its exit status,
// stdout and stderr.
func run(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := cli(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// commandNames are barrage's commands, in the order of its help.
var commandNames = []string{"run", "plan", "report", "compare", "worker", "serve", "status", "abort", "help", "version"}

// TestHelpGolden: each command's help (COMMAND --help, help COMMAND) and
// barrage's own (help, --help) are on stdout with exit 0, and match
// testdata/help/NAME.txt (go test -run TestHelpGolden -update rewrites
// them).
func TestHelpGolden(t *testing.T) {
	t.Setenv("BARRAGE_API_URL", "https://example.com/from-env/") // defaults do not come from the environment
	t.Setenv("BARRAGE_STACK", "FromEnv")
	golden := map[string][][]string{"barrage": {{"help"}, {"--help"}, {"-h"}}}
	for _, name := range commandNames {
		golden[name] = [][]string{{name, "--help"}, {"help", name}, {name, "-h"}}
	}
	for name, calls := range golden {
		var first string
		for i, args := range calls {
			code, stdout, stderr := run(args...)
			if code != exitOK || stderr != "" {
				t.Errorf("barrage %s: exit %d, stderr %q; want 0 and none", strings.Join(args, " "), code, stderr)
			}
			if i == 0 {
				first = stdout
			} else if stdout != first {
				t.Errorf("barrage %s printed\n%s\nbarrage %s printed\n%s", strings.Join(args, " "), stdout, strings.Join(calls[0], " "), first)
			}
		}
		path := filepath.Join("testdata", "help", name+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run TestHelpGolden -update writes it)", err)
		}
		if first != string(want) {
			t.Errorf("barrage %s:\n%s\nwant (%s):\n%s", strings.Join(calls[0], " "), first, path, want)
		}
	}
}

// TestHelpStyle: every command's help has the same parts: a usage line, a
// one-line description, and its own flags only, each named --flag on a
// line of its own, followed by its meaning and default.
func TestHelpStyle(t *testing.T) {
	flagLine := regexp.MustCompile(`^  --[a-z0-9-]+( .+)?$`)
	for _, name := range commandNames {
		_, out, _ := run("help", name)
		lines := strings.Split(out, "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "Usage: barrage "+name) || lines[1] != "" || !strings.HasSuffix(lines[2], ".") {
			t.Errorf("help %s does not start with a usage line, a blank line and a description:\n%s", name, out)
			continue
		}
		for i, l := range lines {
			if strings.HasPrefix(l, "  -") && !flagLine.MatchString(l) {
				t.Errorf("help %s, line %d: %q is not a --flag line", name, i+1, l)
			}
			if flagLine.MatchString(l) && (i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "      ")) {
				t.Errorf("help %s, line %d: flag %q has no description under it", name, i+1, l)
			}
		}
	}
	_, plan, _ := run("help", "plan")
	for _, runOnly := range []string{"--out", "--procs", "--demo", "--quiet", "--debug", "--api"} {
		if strings.Contains(plan, "  "+runOnly+" ") || strings.Contains(plan, "  "+runOnly+"\n") {
			t.Errorf("help plan lists %s, which plan does not use", runOnly)
		}
	}
	_, runHelp, _ := run("help", "run")
	if strings.Contains(runHelp, "--lambda-concurrency") || !strings.Contains(runHelp, "  --rate R\n") {
		t.Errorf("help run lists plan's quota flags, or not --rate R:\n%s", runHelp)
	}
}

// TestFlagErrors: a flag given a value it cannot take, or no value, or
// one the command does not have, is bad input: one line naming the flag
// and what it wants, exit 2.
func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // stderr
	}{
		// A rate is a number of arrivals per second.
		{[]string{"run", "--rate", "abc"}, `--rate: "abc" is not a number of arrivals per second`},
		{[]string{"plan", "--ramp-to", "NaN"}, `--ramp-to: "NaN" is not a number of arrivals per second`},
		// A duration needs a unit; a number is given one as a hint.
		{[]string{"run", "--duration", "5"}, `--duration: "5" is not a duration (try 5s)`},
		{[]string{"run", "--timeout", "soon"}, `--timeout: "soon" is not a duration (such as 30s or 1m30s)`},
		{[]string{"worker", "--idle-exit", "2.5"}, `--idle-exit: "2.5" is not a duration (try 2.5s)`},
		// Counts are whole numbers; switches true or false.
		{[]string{"run", "--workers", "many"}, `--workers: "many" is not a whole number`},
		{[]string{"run", "--max-inflight", "1.5"}, `--max-inflight: "1.5" is not a whole number`},
		{[]string{"run", "--keepalive=maybe"}, `--keepalive: "maybe" is not true or false`},
		{[]string{"plan", "--fargate-vcpu", "x"}, `--fargate-vcpu: "x" is not a number`},
		// Choices list what they take.
		{[]string{"run", "--backend", "gcp"}, `--backend: "gcp" is not one of local, aws`},
		{[]string{"plan", "--kind", "ec2"}, `--kind: "ec2" is not one of lambda, fargate`},
		{[]string{"report", "some-run", "--format", "xml"}, `--format: "xml" is not one of text, json, md, html`},
		// A flag without its value says what it wants.
		{[]string{"run", "--rate"}, `--rate needs a value: a number of arrivals per second`},
		// An unknown flag, or one of another command.
		{[]string{"run", "--rat", "5"}, `unknown flag --rat (barrage help run lists the flags)`},
		{[]string{"plan", "--out", "dir"}, `unknown flag --out (barrage help plan lists the flags)`},
		{[]string{"status", "r1", "--format", "md"}, `unknown flag --format (barrage help status lists the flags)`},
		// Help about a command that does not exist.
		{[]string{"help", "fly"}, `unknown command "fly" (want run, plan, report, compare, worker, serve, status, abort, help or version)`},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(tt.args...)
		if code != exitBadInput || stderr != "barrage: "+tt.want+"\n" || stdout != "" {
			t.Errorf("barrage %s: exit %d, stderr %q, stdout %q\nwant 2, %q", strings.Join(tt.args, " "), code, stderr, stdout, "barrage: "+tt.want+"\n")
		}
	}
}

// TestVersion: version and --version print the same line.
func TestVersion(t *testing.T) {
	c1, v1, _ := run("version")
	c2, v2, _ := run("--version")
	if c1 != exitOK || c2 != exitOK || v1 != v2 || !strings.HasPrefix(v1, "barrage ") || strings.Count(v1, "\n") != 1 {
		t.Errorf("version: exit %d %q; --version: exit %d %q; want 0 and one line starting \"barrage \", twice", c1, v1, c2, v2)
	}
}

// TestVersionLine: the version line has the module version, the commit and
// whether the tree was modified, and the Go version.
func TestVersionLine(t *testing.T) {
	tests := []struct {
		bi   *debug.BuildInfo
		want string
	}{
		// go run, go build -buildvcs=false, or outside a checkout.
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "barrage (devel), go1.26.8"},
		// go build in a clone with changes not committed.
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261123101500-7b4c670e1d2a+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "7b4c670e1d2a3b4c5d6e7f8091a2b3c4d5e6f708"},
				{Key: "vcs.time", Value: "2026-11-23T10:15:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			"barrage v0.0.0-20261123101500-7b4c670e1d2a+dirty, commit 7b4c670e1d2a3b4c5d6e7f8091a2b3c4d5e6f708 (modified), go1.26.8"},
		// go install at a release.
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}}, "barrage v1.2.0, go1.26.8"},
		// No build information at all.
		{nil, "barrage (unknown version)"},
	}
	for _, tt := range tests {
		if got := versionLine(tt.bi); got != tt.want {
			t.Errorf("versionLine = %q\nwant %q", got, tt.want)
		}
	}
}

// TestVersionBuilt builds barrage with go build and checks that its
// version line says what the build recorded (go version -m): the module
// version, and the commit where the build found one (a clone; a git
// worktree is not stamped by the go command).
func TestVersionBuilt(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "barrage")
	if out, err := exec.Command(goTool, "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var version, revision string
	for _, l := range strings.Split(string(info), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := string(out)
	if version == "" || !strings.HasPrefix(line, "barrage "+version+",") {
		t.Errorf("--version printed %q; want the module version %q", line, version)
	}
	if revision != "" && !strings.Contains(line, ", commit "+revision) || revision == "" && strings.Contains(line, "commit") {
		t.Errorf("--version printed %q; the build recorded commit %q", line, revision)
	}
	t.Logf("%s", line)
}
