package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// closedPort returns a 127.0.0.1 address on which nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestNothingSucceeded: a run in which not one request succeeded exits 1
// with a warning at the top of every rendering of its report, unless its
// spec expects failures (expect_failures: true, exit 0); barrage report of
// the stored run exits as barrage run did, in every format.
func TestNothingSucceeded(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	h1, _ := countingServer(t)
	for _, tc := range []struct {
		name, spec string
		want       int
		says       string // in the warning
	}{
		// Every connection refused: no response at all.
		{"refused", "targets: [{url: http://" + closedPort(t) + "/}]\n", exitThreshold, "connect_refused"},
		// Every response a 404: no transport error at all.
		{"404", "targets: [{url: " + notFound.URL + "/}]\n", exitThreshold, "404"},
		// HTTP/2 with prior knowledge against an HTTP/1.1 server.
		{"h2c to http/1.1", "targets: [{url: " + h1.URL + "/}]\nh2c: true\n", exitThreshold, "nothing succeeded"},
		// The same 404s, expected: a test of how a target fails.
		{"expected", "targets: [{url: " + notFound.URL + "/}]\nexpect_failures: true\n", exitOK, "as the spec expects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			spec := writeSpec(t, tc.spec+"load: {rate: 20}\nduration: 1s\ntimeout: 2s\n")
			r := barrage(t, 30*time.Second, "run", spec, "--json", "--quiet", "--out", out)
			if r.code != tc.want {
				t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, tc.want, r.stderr)
			}
			rep := decodeReport(t, r)
			if len(rep.Warnings) == 0 || !strings.HasPrefix(rep.Warnings[0], "nothing succeeded") ||
				!strings.Contains(rep.Warnings[0], tc.says) || !rep.NothingSucceeded || rep.Success != 0 {
				t.Fatalf("nothing_succeeded %v, warnings %q; want first that nothing succeeded (%s)", rep.NothingSucceeded, rep.Warnings, tc.says)
			}
			if tc.want == exitThreshold && (rep.Passed || !strings.Contains(r.stderr, "nothing succeeded")) {
				t.Errorf("passed %v, stderr %q; want a failed run that says why", rep.Passed, r.stderr)
			}
			if tc.want == exitOK && (!rep.Passed || !rep.ExpectFailures) {
				t.Errorf("passed %v, expect_failures %v; want an expected failure to pass", rep.Passed, rep.ExpectFailures)
			}
			// barrage report of the stored run: the same exit status, and the
			// warning before the figures.
			for _, format := range []string{"text", "md", "html", "json"} {
				rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", out, "--format", format)
				i, j := strings.Index(rr.stdout, "nothing succeeded"), strings.Index(rr.stdout, "Started")
				if format == "json" {
					var got events.Report
					json.Unmarshal([]byte(rr.stdout), &got)
					i, j = 0, 1
					if len(got.Warnings) == 0 || !strings.HasPrefix(got.Warnings[0], "nothing succeeded") {
						i = -1
					}
				}
				if rr.code != tc.want || i < 0 || i > j {
					t.Errorf("report --format %s: exit %d (want %d), the warning at %d, the figures at %d\n%s%s",
						format, rr.code, tc.want, i, j, rr.stdout, rr.stderr)
				}
			}
		})
	}
}

// TestExpectFailuresBadInput: expect_failures is a boolean; anything else
// is bad input, named by its field, and nothing is sent.
func TestExpectFailuresBadInput(t *testing.T) {
	srv, n := countingServer(t)
	spec := writeSpec(t, "targets: [{url: "+srv.URL+"/}]\nexpect_failures: sometimes\nduration: 1s\n")
	r := barrage(t, 30*time.Second, "run", spec, "--quiet", "--out", t.TempDir())
	if r.code != exitBadInput || !strings.Contains(r.stderr, "expect_failures") || n.Load() != 0 {
		t.Errorf("exit %d, %d requests sent\nstderr: %s", r.code, n.Load(), r.stderr)
	}
}

// TestVerdict: what barrage run and barrage report make of a finished
// run's report, the one mapping both use.
func TestVerdict(t *testing.T) {
	failed := []events.ThresholdResult{{Metric: "p99", Op: "<", Value: 100, Unit: "ms", Actual: 200}}
	for _, tt := range []struct {
		name string
		r    events.Report
		want int
		says string
	}{
		{"fine", events.Report{Requests: 10, Success: 10}, exitOK, ""},
		{"no arrival", events.Report{}, exitNoResult, "no request was sent"},
		{"nothing succeeded", events.Report{Requests: 10, NothingSucceeded: true, Warnings: []string{"nothing succeeded: x"}},
			exitThreshold, "nothing succeeded: x"},
		{"expected", events.Report{Requests: 10, NothingSucceeded: true, ExpectFailures: true, Warnings: []string{"nothing succeeded, as"}},
			exitOK, ""},
		{"both", events.Report{Requests: 10, NothingSucceeded: true, Warnings: []string{"nothing succeeded: x"}, Thresholds: failed},
			exitThreshold, "nothing succeeded: x; 1 of 1 thresholds failed: p99 < 100.0 ms: 200.0 ms"},
		// A report of an older barrage, without the field: judged as it was.
		{"older report", events.Report{Requests: 10, Warnings: []string{}}, exitOK, ""},
	} {
		var stderr strings.Builder
		if code := exitStatus(verdict(&tt.r), &stderr); code != tt.want || !strings.Contains(stderr.String(), tt.says) {
			t.Errorf("%s: exit %d, %q; want %d, %q", tt.name, code, stderr.String(), tt.want, tt.says)
		}
	}
}
