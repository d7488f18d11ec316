package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/cmdtest"
)

// TestMain lets the test binary act as the barrage command when
// BARRAGE_AS_MAIN is set, so the end-to-end tests run the real CLI as a
// subprocess without building it separately.
func TestMain(m *testing.M) {
	if os.Getenv("BARRAGE_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

// barrage runs the command with args and waits at most limit.
func barrage(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	return barrageIn(t, limit, "", nil, args...)
}

// barrageIn runs the command with args in the directory dir ("": this
// one), with stdin as its standard input, and waits at most limit.
func barrageIn(t *testing.T, limit time.Duration, dir string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BARRAGE_AS_MAIN=1")
	cmd.Dir, cmd.Stdin = dir, stdin
	code, stdout, stderr := cmdtest.Run(t, cmd, limit)
	return result{code, stdout, stderr}
}

// countingServer counts the requests it receives.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRunEndToEnd(t *testing.T) {
	srv, n := countingServer(t)
	out := t.TempDir()
	r := barrage(t, 30*time.Second, "run", "--target", srv.URL+"/x", "--rate", "100", "--duration", "1s",
		"--json", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s", err, r.stdout)
	}
	// Every planned arrival is accounted for: sent (and seen by the server)
	// or dropped, which only a starved machine does.
	if rep.Requests+rep.Dropped != 100 || rep.Success != rep.Requests || n.Load() != rep.Requests || rep.Requests < 50 {
		t.Errorf("requests %d + dropped %d, success %d, server saw %d; want 100 planned, all sent ones successful",
			rep.Requests, rep.Dropped, rep.Success, n.Load())
	}
	if rep.TargetRate != 100 || rep.Coverage != 1 || len(rep.TimeSeries) == 0 || rep.LatencyMs.P99 <= 0 {
		t.Errorf("target_rate %v coverage %v series %d p99 %v", rep.TargetRate, rep.Coverage, len(rep.TimeSeries), rep.LatencyMs.P99)
	}
	dir := filepath.Join(out, "runs", rep.RunID)
	for _, f := range []string{"report.json", "report.txt", "report.html", "spec.json", "shards/s0000/result.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
	checkHlog(t, dir, &rep)
	// Not a terminal: the progress display prints plain lines.
	if !strings.Contains(r.stderr, "1s/1s") {
		t.Errorf("stderr has no plain progress line:\n%s", r.stderr)
	}

	// barrage report re-renders the stored run in every format.
	for _, tc := range []struct{ format, want string }{
		{"text", "Latency (ms)"}, {"json", `"run_id": "` + rep.RunID}, {"md", "| Requests |"}, {"html", "<table>"},
	} {
		rr := barrage(t, 10*time.Second, "report", dir, "--format", tc.format)
		if rr.code != 0 || !strings.Contains(rr.stdout, tc.want) {
			t.Errorf("report --format %s: exit %d, output lacks %q:\n%s%s", tc.format, rr.code, tc.want, rr.stdout, rr.stderr)
		}
	}
	// A run id is found under --out.
	if rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", out); rr.code != 0 {
		t.Errorf("report by run id: exit %d: %s", rr.code, rr.stderr)
	}
}

func TestRunDemo(t *testing.T) {
	r := barrage(t, 30*time.Second, "run", "--demo", "--rate", "50", "--duration", "1s", "--out", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "successful (100.00%)") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestBadInput(t *testing.T) {
	srv, n := countingServer(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badYAML := write("bad.yaml", "targets:\n  - url: "+srv.URL+"\nload: {rate: [1\n")
	wrongType := write("type.yaml", "targets:\n  - url: "+srv.URL+"\nload:\n  rate: fast\n")
	unknown := write("unknown.yaml", "targets:\n  - url: "+srv.URL+"\nrat: 5\n")
	badJSON := write("bad.json", "{\"targets\": [{\"url\": \""+srv.URL+"\"}],\n \"load\": {\"rate\": \"x\"}}")
	badTargets := write("targets.txt", "GET "+srv.URL+"\nNot-A-Header\n")
	missingBody := write("body.txt", "POST "+srv.URL+"\n@nope.json\n")
	scenario := func(extra string) string {
		return "scenarios:\n  - name: s\n" + extra + "    steps: [{url: '" + srv.URL + "/', headers: {A: '{{k}}'}}]\n"
	}
	stages := write("stages.yaml", "targets: [{url: '"+srv.URL+"'}]\nload: {shape: stages, stages: [{duration: 5s, rate: 10}]}\n")
	typo := write("typo.yaml", scenario("    vars: {kk: x}\n"))
	unsetSecret := write("secret.yaml", scenario("    secrets: {k: 'env:BARRAGE_TEST_UNSET_SECRET'}\n"))
	badRef := write("ref.yaml", scenario("    secrets: {k: 'vault:kv/x'}\n"))
	tests := []struct {
		name string
		args []string
		want string // a part of the one-line message
	}{
		// An unknown flag is named.
		{"unknown flag", []string{"run", "--target", srv.URL, "--rat", "5"}, "unknown flag --rat"},
		// YAML syntax errors name the file and line.
		{"malformed yaml", []string{"run", badYAML}, "bad.yaml:"},
		// A value of the wrong type names the file and line.
		{"wrong type", []string{"run", wrongType}, "type.yaml:4"},
		// Unknown spec fields are rejected.
		{"unknown field", []string{"run", unknown}, "unknown.yaml:3"},
		// JSON type errors name the line.
		{"json type", []string{"run", badJSON}, "bad.json:2"},
		// A malformed targets file names the file and line.
		{"malformed targets", []string{"run", "--targets", badTargets}, "targets.txt:2"},
		// An unreadable @body in a targets file.
		{"targets body", []string{"run", "--targets", missingBody}, "nope.json"},
		// Negative rates are rejected.
		{"negative rate", []string{"run", "--target", srv.URL, "--rate", "-5"}, "load.rate"},
		// Absurd rates are rejected.
		{"absurd rate", []string{"run", "--target", srv.URL, "--rate", "1e12"}, "load.rate"},
		// A URL needs a scheme.
		{"no scheme", []string{"run", "--target", "example.com/x"}, "has no scheme"},
		// A duration needs a unit.
		{"bad duration", []string{"run", "--target", srv.URL, "--duration", "5"}, "--duration"},
		// A negative duration.
		{"negative duration", []string{"run", "--target", srv.URL, "--duration", "-1s"}, "duration"},
		// An unreadable --body @file.
		{"body file", []string{"run", "--target", srv.URL, "--body", "@/nonexistent/body"}, "cannot read body file"},
		// No target at all.
		{"no target", []string{"run", "--rate", "5"}, "no target"},
		// A header without a colon.
		{"bad header", []string{"run", "--target", srv.URL, "--header", "nocolon"}, "--header"},
		// h2c needs http.
		{"h2c https", []string{"run", "--target", "https://127.0.0.1:1/", "--h2c"}, "h2c needs an http URL"},
		// An unknown command.
		{"unknown command", []string{"fly"}, "unknown command"},
		// A missing spec file.
		{"missing spec", []string{"run", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		// A flag that would replace a staged load's rates names the flag and the load.
		{"rate on stages", []string{"run", stages, "--rate", "300"}, "--rate: the spec's load is stages (1 stage, 10/s over 5s), whose steps set the rates"},
		// A template's unknown variable names the step's field.
		{"scenario typo", []string{"run", typo}, `scenarios[0].steps[0].headers.A: template "{{k}}": byte 2: unknown variable "k"`},
		// A secret that cannot be read is found before anything is sent.
		{"unset secret", []string{"run", unsetSecret}, "scenarios[0].secrets.k: resolve env:BARRAGE_TEST_UNSET_SECRET: not found"},
		// A reference of an unknown kind.
		{"bad secret ref", []string{"run", badRef}, "scenarios[0].secrets.k"},
		// --debug shows in-process workers only.
		{"debug with procs", []string{"run", "--target", srv.URL, "--procs", "--debug", "1"}, "--debug"},
		// The metrics endpoint listens on loopback addresses only.
		{"metrics not loopback", []string{"run", "--target", srv.URL, "--metrics-addr", "0.0.0.0:0"}, `--metrics-addr: "0.0.0.0" is not a loopback address`},
		{"metrics not host:port", []string{"run", "--target", srv.URL, "--metrics-addr", "9464"}, `--metrics-addr: "9464" is not HOST:PORT (such as 127.0.0.1:9464)`},
		// report of something that is not a run.
		{"report not a run", []string{"report", dir}, "not a run folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := barrage(t, 10*time.Second, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d; want 2\nstderr: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr = %q; want one line containing %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stderr has a stack trace: %s", r.stderr)
			}
		})
	}
	if got := n.Load(); got != 0 {
		t.Errorf("bad input sent %d requests; want none", got)
	}
}

// TestInterrupt checks Ctrl-C: scheduling stops, in-flight requests finish,
// the report is still written and printed, and barrage exits 130.
func TestInterrupt(t *testing.T) {
	srv, hits := countingServer(t)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "run", "--target", srv.URL, "--rate", "50", "--duration", "30s", "--json", "--out", out)
	cmd.Env = append(os.Environ(), "BARRAGE_AS_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupted once it has sent 50 requests (a second of the run), however
	// long a busy machine takes to start it.
	for start := time.Now(); hits.Load() < 50; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 25*time.Second {
			cmd.Process.Kill()
			t.Fatalf("the target saw %d requests in 25 s; want 50 before the interrupt\n%s", hits.Load(), stderr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("exit: %v; want exit status 130\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("barrage did not stop within 15 s of SIGINT")
	}
	var rep events.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("no report after SIGINT: %v\n%s", err, stderr.String())
	}
	if rep.DurationS >= 30 || rep.Requests < 50 || rep.Shards[0].Status != events.StatusTruncated {
		t.Errorf("duration %.1f s, %d requests, status %s; want a run truncated short of its 30 s, with the 50 sent before the interrupt",
			rep.DurationS, rep.Requests, rep.Shards[0].Status)
	}
	if _, err := os.Stat(filepath.Join(out, "runs", rep.RunID, "report.json")); err != nil {
		t.Errorf("report.json not written: %v", err)
	}
}

// children returns the pids of pid's child processes (of any of its threads).
func children(pid int) []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(field); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// TestProcsWorkerKilled runs shards in worker processes and kills one with
// SIGKILL mid-shard: the run still ends, reports that shard as lost with
// coverage below 1, and merges the others.
func TestProcsWorkerKilled(t *testing.T) {
	srv, _ := countingServer(t)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "run", "--procs", "--workers", "3", "--target", srv.URL, "--rate", "60",
		"--duration", "4s", "--json", "--out", out)
	cmd.Env = append(os.Environ(), "BARRAGE_AS_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	kids := children(cmd.Process.Pid)
	if len(kids) != 3 {
		cmd.Process.Kill()
		t.Fatalf("found %d worker processes; want 3", len(kids))
	}
	syscall.Kill(kids[0], syscall.SIGKILL)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the run hung after a worker was killed")
	}
	var rep events.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("no report: %v\n%s", err, stderr.String())
	}
	status := map[string]int{}
	for _, s := range rep.Shards {
		status[s.Status]++
	}
	if status[events.StatusLost] != 1 || status[events.StatusComplete] != 2 || rep.Coverage > 0.67 || rep.Coverage < 0.66 {
		t.Errorf("shards %v, coverage %v; want 1 lost, 2 complete, coverage 2/3", status, rep.Coverage)
	}
	if rep.Requests+rep.Dropped != 160 || rep.Requests < 120 {
		t.Errorf("%d requests + %d dropped merged; want the two complete shards' 160 arrivals", rep.Requests, rep.Dropped)
	}
}
