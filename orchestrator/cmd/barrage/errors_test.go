package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// targetErrors is a report.json target as a script reads it: its error
// breakdown by name, so the test also pins the field names.
type targetErrors struct {
	Name          string                           `json:"name"`
	Requests      int64                            `json:"requests"`
	StatusCodes   map[string]int64                 `json:"status_codes"`
	Errors        map[string]int64                 `json:"errors"`
	ErrorDetails  map[string]int64                 `json:"error_details"`
	ErrorMessages map[string][]events.ErrorMessage `json:"error_messages"`
}

// TestStepErrorsInReport runs a scenario of two steps whose second answers
// 403 to every other iteration, and 200 without the value its extractor
// wants to the others. The report says which step failed and how, per
// target: the scenario's iterations have unexpected_status "second: 403"
// and extract "second: v", with their messages, in report.json and under
// the target's row of the text report; the step's row shows its 403s.
func TestStepErrorsInReport(t *testing.T) {
	var seconds atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/first":
			fmt.Fprint(w, `{"token": "t1"}`)
		case "/second":
			if seconds.Add(1)%2 == 1 {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			fmt.Fprint(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	spec := writeSpec(t, fmt.Sprintf(`
duration: 1s
load: {rate: 20}
scenarios:
  - name: checkout
    steps:
      - name: first
        url: %[1]s/first
        extract: [{var: token, from: json, expr: $.token}]
      - name: second
        url: %[1]s/second?t={{token}}
        extract: [{var: v, from: json, expr: $.v}]
`, srv.URL))
	out := t.TempDir()
	r := barrage(t, 30*time.Second, "run", spec, "--json", "--quiet", "--out", out)
	if r.code != exitThreshold { // nothing succeeded
		t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, exitThreshold, r.stderr)
	}
	var rep struct {
		RunID   string         `json:"run_id"`
		Targets []targetErrors `json:"targets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s", err, r.stdout)
	}
	byName := map[string]targetErrors{}
	for _, tr := range rep.Targets {
		byName[tr.Name] = tr
	}
	it, second := byName["checkout"], byName["checkout/second"]
	forbidden, missing := it.ErrorDetails["unexpected_status second: 403"], it.ErrorDetails["extract second: v"]
	if it.Requests < 10 || forbidden == 0 || missing == 0 || forbidden+missing != it.Requests ||
		it.Errors["unexpected_status"] != forbidden || it.Errors["extract"] != missing {
		t.Errorf("checkout: %d iterations, errors %v, details %v; want every one failed at step second, by 403 or by v",
			it.Requests, it.Errors, it.ErrorDetails)
	}
	wantMsgs := map[string]string{"unexpected_status": "step second: unexpected_status 403", "extract": "step second: extract v"}
	for class, msg := range wantMsgs {
		if m := it.ErrorMessages[class]; len(m) != 1 || m[0].Message != msg || m[0].Count != it.Errors[class] {
			t.Errorf("checkout: %s messages %v; want %q ×%d", class, m, msg, it.Errors[class])
		}
	}
	if second.StatusCodes["403"] != forbidden || len(second.Errors) != 0 {
		t.Errorf("checkout/second: statuses %v, errors %v; want %d 403s and no error", second.StatusCodes, second.Errors, forbidden)
	}

	// The text report, rendered from the run folder, says it under the rows.
	rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", out, "--format", "text")
	lines := strings.Split(rr.stdout, "\n")
	under := func(row string) string { // the lines under the table row that starts with row
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), row+" ") {
				var notes []string
				for _, n := range lines[i+1:] {
					if !strings.HasPrefix(n, "    ") || strings.Contains(n, "  checkout") {
						break
					}
					notes = append(notes, n)
				}
				return strings.Join(notes, "\n")
			}
		}
		return ""
	}
	notes := under("checkout (iterations)")
	for _, s := range []string{
		fmt.Sprintf("unexpected_status %d (second: 403 ×%d)", forbidden, forbidden),
		fmt.Sprintf("extract %d (second: v ×%d)", missing, missing),
	} {
		if !strings.Contains(notes, s) {
			t.Errorf("text report: the checkout row's notes lack %q; notes:\n%s\nreport:\n%s", s, notes, rr.stdout)
		}
	}
	if notes := under("checkout/second"); !strings.Contains(notes, fmt.Sprintf("403 ×%d", forbidden)) {
		t.Errorf("text report: the checkout/second row's notes lack its 403s; notes:\n%s\nreport:\n%s", notes, rr.stdout)
	}
}

// TestNoRequestReason: a run whose every shard fails to start (its flow's
// discovery document, served when the run was submitted, answers 500 when
// the workers fetch it) exits 3 with a line on stderr that says why: the
// only line with --quiet, the last without. report.json's first warning,
// the run folder's report.txt and barrage report say it too.
func TestNoRequestReason(t *testing.T) {
	var out atomic.Pointer[string] // the run folder's root of the run under way
	submitted := func() bool {     // the run folder has its spec: the workers' turn
		m, _ := filepath.Glob(filepath.Join(*out.Load(), "runs", "*", "spec.json"))
		return len(m) > 0
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if submitted() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"issuer": %q, "token_endpoint": "%[1]s/token"}`, srv.URL)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("BARRAGE_TEST_CLIENT_SECRET", "s3cret")
	spec := writeSpec(t, fmt.Sprintf(`
duration: 1s
load: {rate: 10}
scenarios:
  - name: login
    flow: {grant: client_credentials, issuer: %s, client_id: c, client_secret: "env:BARRAGE_TEST_CLIENT_SECRET"}
`, srv.URL))
	why := fmt.Sprintf("no request was sent: 2 of 2 shards failed: scenario login: discovery: GET %s/.well-known/openid-configuration: 500 Internal Server Error", srv.URL)
	for _, quiet := range []bool{true, false} {
		dir := t.TempDir()
		out.Store(&dir)
		args := []string{"run", spec, "--workers", "2", "--json", "--out", dir}
		if quiet {
			args = append(args, "--quiet")
		}
		r := barrage(t, 30*time.Second, args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != exitNoResult || lines[len(lines)-1] != "barrage: "+why || quiet && len(lines) != 1 {
			t.Fatalf("quiet %v: exit %d, stderr:\n%s\nwant %d and, last, the line %q", quiet, r.code, r.stderr, exitNoResult, "barrage: "+why)
		}
		rep := decodeReport(t, r)
		if len(rep.Warnings) == 0 || rep.Warnings[0] != why {
			t.Errorf("quiet %v: warnings %q; want first %q", quiet, rep.Warnings, why)
		}
		for _, n := range []string{"report.json", "report.txt"} {
			b, _ := os.ReadFile(filepath.Join(dir, "runs", rep.RunID, n))
			if !strings.Contains(string(b), why) {
				t.Errorf("quiet %v: the run folder's %s lacks %q:\n%s", quiet, n, why, b)
			}
		}
		rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", dir)
		if i, j := strings.Index(rr.stdout, why), strings.Index(rr.stdout, "Started"); rr.code != exitNoResult || i < 0 || i > j {
			t.Errorf("quiet %v: barrage report: exit %d, the reason at %d, the figures at %d; want 3 and the reason first\n%s%s",
				quiet, rr.code, i, j, rr.stdout, rr.stderr)
		}
	}
}
