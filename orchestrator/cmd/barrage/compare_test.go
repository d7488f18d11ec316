package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/compare"
)

// TestCompareRuns makes two real runs of one target, answering at once
// and then after 200 ms, and compares them: p99>+10% holds from the fast
// run to the slow one (exit 1, the change named) and not the other way
// (exit 0). The margin is wide: the fast run's p99 would have to reach
// 180 ms for the verdicts to change.
func TestCompareRuns(t *testing.T) {
	var delay atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	out := t.TempDir()
	runOnce := func(d time.Duration) string {
		delay.Store(int64(d))
		r := barrage(t, 30*time.Second, "run", "--target", srv.URL+"/x", "--rate", "20", "--duration", "1s",
			"--json", "--quiet", "--out", out)
		if r.code != exitOK {
			t.Fatalf("run with a %v server: exit %d\n%s", d, r.code, r.stderr)
		}
		return decodeReport(t, r).RunID
	}
	fast, slow := runOnce(0), runOnce(200*time.Millisecond)
	slowDir := filepath.Join(out, "runs", slow)

	// Fast to slow: a regression. B is given as a folder, A as a run id.
	r := barrage(t, 10*time.Second, "compare", fast, slowDir, "--out", out, "--fail-if", "p99>+10%")
	if r.code != exitThreshold || !strings.Contains(r.stdout, "FAIL p99>+10%: p99 ") ||
		!strings.HasPrefix(r.stderr, "barrage: 1 of 1 --fail-if conditions held: p99>+10%: p99 ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("compare fast slow --fail-if p99>+10%%: exit %d\n%s%s\nwant 1, the condition named", r.code, r.stdout, r.stderr)
	}
	// Slow to fast: no regression, though throughput and p99 changed.
	r = barrage(t, 10*time.Second, "compare", slow, fast, "--out", out, "--fail-if", "p99>+10%,throughput<-50%")
	if r.code != exitOK || r.stderr != "" || !strings.Contains(r.stdout, "ok   p99>+10%: p99 ") {
		t.Errorf("compare slow fast --fail-if p99>+10%%: exit %d\n%s%s\nwant 0", r.code, r.stdout, r.stderr)
	}

	// The JSON: the p99 row, and the target by its name in both runs, whose
	// own p99 gates the same way.
	target := "target=GET " + srv.URL + "/x:p99>+10%"
	r = barrage(t, 10*time.Second, "compare", fast, slow, "--out", out, "--format", "json", "--fail-if", target)
	var c compare.Comparison
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("compare --format json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	if r.code != exitThreshold || c.A.RunID != fast || c.B.RunID != slow || len(c.Targets) != 1 || len(c.Gates) != 1 || !c.Gates[0].Held {
		t.Errorf("compare --format json --fail-if %s: exit %d, %+v", target, r.code, c)
	}
	for _, row := range c.Run {
		if row.Metric == "p99" && (row.A >= 180 || row.B < 200 || row.ChangePct == nil || *row.ChangePct <= 10) {
			t.Errorf("p99 row %+v; want A below 180 ms, B from 200 ms, more than +10%%", row)
		}
	}
	// A target neither run has is bad input, not a pass.
	if r := barrage(t, 10*time.Second, "compare", fast, slow, "--out", out, "--fail-if", "target=nope:p99>+10%"); r.code != exitBadInput ||
		r.stdout != "" || !strings.HasPrefix(r.stderr, `barrage: --fail-if: target=nope:p99>+10%: no target "nope" in both runs (targets: "GET `) {
		t.Errorf("compare --fail-if target=nope:…: exit %d\n%s%s\nwant 2", r.code, r.stdout, r.stderr)
	}
	t.Run("s3", func(t *testing.T) { compareFromS3(t, out, fast, slow) })
	if r := barrage(t, 10*time.Second, "compare", fast, slow, "--out", out, "--format", "md"); r.code != exitOK ||
		!strings.Contains(r.stdout, "| p99 (ms) | ") || !strings.Contains(r.stdout, "## Target GET "+srv.URL+"/x") {
		t.Errorf("compare --format md: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The HTML page: both runs, the gate, and the charts of both (the
	// page's charts are tested in pkg/compare, drawn in pkg/report).
	r = barrage(t, 10*time.Second, "compare", fast, slow, "--out", out, "--format", "html", "--fail-if", "p99>+10%")
	if r.code != exitThreshold || !strings.HasPrefix(r.stdout, "<!doctype html>") || !strings.HasSuffix(r.stdout, "</html>\n") ||
		!strings.Contains(r.stdout, "A: "+fast) || !strings.Contains(r.stdout, "B: "+slow) ||
		!strings.Contains(r.stdout, `<li class="held">FAIL p99&gt;&#43;10%`) ||
		!strings.Contains(r.stdout, `"label":"A p99"`) || !strings.Contains(r.stdout, `{"id":"distribution-target-0"`) {
		t.Errorf("compare --format html: exit %d\n%.2000s\n%s\nwant 1, a page of both runs, the gate and the charts", r.code, r.stdout, r.stderr)
	}
}

// TestCompareBadInput: a malformed condition, a run that is not there, a
// target neither run has, the wrong number of runs: one line, exit 2.
func TestCompareBadInput(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "runs", "r1")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string // stderr
	}{
		// A condition the parser refuses, before any run is read.
		{[]string{"compare", "a", "b", "--fail-if", "p98>+10%"}, `--fail-if: p98>+10%: unknown metric "p98" (want one of p50, p90, p95, p99, p999, max, mean, target_rate, achieved_rate, throughput, error_ratio, dropped, requests)`},
		{[]string{"compare", "a", "b", "--fail-if", "p99>+10"}, `--fail-if: p99>+10: "+10" needs a unit: a latency changes by a duration (try +10ms) or a percentage`},
		{[]string{"compare", "a", "b", "--fail-if", "p99"}, `--fail-if: p99: no comparison: want METRIC OP CHANGE with OP one of >, >=, <, <=, such as p99>+10%`},
		// One run, or three.
		{[]string{"compare", "a"}, `compare takes two runs, RUN_A RUN_B (run folders, run ids or s3:// URLs), got 1`},
		{[]string{"compare", "a", "b", "c"}, `compare takes two runs, RUN_A RUN_B (run folders, run ids or s3:// URLs), got 3`},
		// A run without a report.
		{[]string{"compare", empty, empty}, empty + ` has no report (not a run folder, or a run still going)`},
		// A format not offered.
		{[]string{"compare", "a", "b", "--format", "svg"}, `--format: "svg" is not one of text, json, md, html`},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(tt.args...)
		if code != exitBadInput || stderr != "barrage: "+tt.want+"\n" || stdout != "" {
			t.Errorf("barrage %s: exit %d, stderr %q, stdout %q\nwant 2, %q", strings.Join(tt.args, " "), code, stderr, stdout, "barrage: "+tt.want+"\n")
		}
	}
}

// compareFromS3: a run given as s3://bucket/runs/ID is read from S3 (here
// a fake on 127.0.0.1 serving the slow run's report.json, path-style), as
// barrage report reads it.
func compareFromS3(t *testing.T, out, fast, slow string) {
	body, err := os.ReadFile(filepath.Join(out, "runs", slow, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gets atomic.Int64
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/bucket/team/runs/"+slow+"/report.json" {
			http.NotFound(w, r)
			return
		}
		gets.Add(1)
		w.Write(body)
	}))
	t.Cleanup(s3.Close)
	awsEnv(t, s3.URL, true)
	t.Setenv("BARRAGE_S3_ENDPOINT", s3.URL)
	r := barrage(t, 10*time.Second, "compare", fast, "s3://bucket/team/runs/"+slow, "--out", out, "--fail-if", "p99>+10%")
	if r.code != exitThreshold || gets.Load() != 1 || !strings.Contains(r.stdout, "B: "+slow) {
		t.Errorf("compare RUN s3://…: exit %d, %d GETs of report.json\n%s%s\nwant 1 and one GET", r.code, gets.Load(), r.stdout, r.stderr)
	}
}

// TestCompareNothing: a run that sent no request, or in which nothing
// succeeded, has no figures a gate could judge: compare prints what it has
// and exits 3 naming the run, unless the run's spec expected failures.
func TestCompareNothing(t *testing.T) {
	out := t.TempDir()
	for id, rep := range map[string]string{
		"good":     `{"run_id": "good", "requests": 10, "success": 10, "latency_ms": {"p99": 5}}`,
		"none":     `{"run_id": "none", "requests": 0, "dropped": 0}`,
		"failed":   `{"run_id": "failed", "requests": 10, "success": 0, "nothing_succeeded": true}`,
		"expected": `{"run_id": "expected", "requests": 10, "success": 0, "nothing_succeeded": true, "expect_failures": true}`,
	} {
		dir := filepath.Join(out, "runs", id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(rep), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		a, b   string
		code   int
		stderr string
	}{
		// B sent nothing: its p99 of 0 would pass any latency gate.
		{"good", "none", exitNoResult, "barrage: run B (none) has nothing to compare: no request was sent\n"},
		// A failed throughout: its latencies are those of failures.
		{"failed", "good", exitNoResult, "barrage: run A (failed) has nothing to compare: nothing succeeded\n"},
		// Failures the spec expected are figures like any other.
		{"good", "expected", exitOK, ""},
	}
	for _, tt := range tests {
		code, stdout, stderr := run("compare", tt.a, tt.b, "--out", out, "--fail-if", "p99>+10%")
		if code != tt.code || stderr != tt.stderr || !strings.Contains(stdout, "A: "+tt.a) {
			t.Errorf("compare %s %s: exit %d, stderr %q\n%s\nwant %d, %q, the comparison", tt.a, tt.b, code, stderr, stdout, tt.code, tt.stderr)
		}
	}
}
