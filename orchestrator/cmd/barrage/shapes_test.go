package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// queueServer answers like a server with one worker that takes 1/capacity
// per request, first come first served: below its capacity a request waits
// about 1/capacity; above it the queue, and so the latency, grows by
// (rate − capacity)/capacity seconds every second.
func queueServer(t *testing.T, capacity float64) *httptest.Server {
	var mu sync.Mutex
	var next time.Time
	service := time.Duration(float64(time.Second) / capacity)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now()
		done := later(now, next).Add(service)
		next = done
		mu.Unlock()
		time.Sleep(time.Until(done))
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// rateServer admits capacity requests per second and answers the rest 503
// at once: a token bucket that refills at capacity per second up to burst
// tokens, each admitted request taking one. Its verdicts do not depend on
// how fast this machine is, only on the rate the requests arrive at, which
// the generator sets:
//
//   - at a rate R above capacity C the bucket empties after burst/(R − C)
//     seconds, and from then on R − C requests a second fail, whenever they
//     arrive: requests arriving in bunches only empty it sooner;
//   - at R below C the bucket stays full, and a request fails only when a
//     bunch of more than burst requests arrives at once. The generator never
//     sends one (an arrival it reaches more than 10 ms late is dropped), so
//     only a stall of this server of burst/R seconds, while the generator
//     goes on, makes one.
func rateServer(t *testing.T, capacity, burst float64) *httptest.Server {
	var mu sync.Mutex
	tokens, last := burst, time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now()
		tokens = min(burst, tokens+capacity*now.Sub(last).Seconds())
		last = now
		ok := tokens >= 1
		if ok {
			tokens--
		}
		mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// writeSpec writes a YAML spec to a temporary file.
func writeSpec(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeReport(t *testing.T, r result) events.Report {
	t.Helper()
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

// TestFindMaxEndToEnd runs a find-max staircase (100, 200, 400, 800/s, 3 s
// each after a 2 s warm-up) against a server of capacity 250/s: the steps
// up to 200/s hold p99 ≤ 300 ms, the queue builds from 400/s on (by
// 600 ms a second: p99 well above a second by the step's end). A threshold on step 3
// fails, so barrage exits 1. The SLO is far above the server's 4 ms
// service time so that a stall of this machine (it runs the server too,
// where the generator's lag cannot see it) does not fail a step below the
// capacity.
func TestFindMaxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("a 14 s run")
	}
	srv := queueServer(t, 250)
	spec := writeSpec(t, `
name: capacity
targets: [{url: `+srv.URL+`/}]
load:
  shape: find-max
  find_max: {start: 100, factor: 2, step: 3s, warmup: 2s, max: 800, slo: {p99: 300ms}}
thresholds:
  - {metric: p99, value: 300ms, step: 1}
  - {metric: p99, value: 300ms, step: 3}
`)
	out := t.TempDir()
	r := barrage(t, 40*time.Second, "run", spec, "--json", "--quiet", "--out", out)
	if r.code != exitThreshold {
		t.Fatalf("exit %d; want %d (a threshold failed)\nstderr:\n%s", r.code, exitThreshold, r.stderr)
	}
	rep := decodeReport(t, r)
	f := rep.FindMax
	if f == nil {
		t.Fatalf("report has no find_max: %s", r.stdout)
	}
	verdicts := []string{}
	for _, s := range rep.Steps {
		verdicts = append(verdicts, s.Verdict)
	}
	t.Logf("find_max: %+v; verdicts %v", *f, verdicts)
	for _, s := range rep.Steps {
		t.Logf("step %d %v/s: judged %d s, sent %.1f/s, ok %.1f/s, p99 %.1f ms, %s %v", s.Step, s.Rate, s.JudgedS,
			s.SentRate, s.OKRate, s.LatencyMs.P99, s.Verdict, s.Reasons)
	}
	// Step 3 is above the capacity: the target breaks the SLO, and the
	// staircase ends with it, so step 4 does not run (had the live watch
	// missed the break, it would run and fail). Steps 1 and 2 are below it:
	// they pass, unless this machine is so busy that the generator itself
	// falls behind (late drops), which the judge must then call
	// generator-limited rather than blame the target.
	if len(rep.Steps) != 5 || rep.Steps[3].Verdict != events.VerdictFail ||
		rep.Steps[4].Verdict != events.VerdictNotRun && rep.Steps[4].Verdict != events.VerdictFail {
		t.Fatalf("verdicts %v; want step 3 (400/s) to fail and step 4 not to run", verdicts)
	}
	if rep.Steps[4].Verdict == events.VerdictNotRun && !strings.Contains(r.stderr, "find-max: step 3 (400/s) broke the SLO") {
		t.Errorf("step 4 did not run, but stderr does not say why:\n%s", r.stderr)
	}
	if rep.Steps[4].Verdict == events.VerdictFail {
		t.Logf("the live watch did not end the staircase after step 3 (a busy machine)")
	}
	below := []string{rep.Steps[1].Verdict, rep.Steps[2].Verdict}
	switch {
	case below[0] == events.VerdictPass && below[1] == events.VerdictPass:
		if f.MaxSustainableRate != 200 || f.FirstFailingRate != 400 || f.StoppedBy != events.StoppedBySLO {
			t.Errorf("find_max = %+v; want 200/s sustained, the SLO broken at 400/s", *f)
		}
	case below[0] == events.VerdictFail || below[1] == events.VerdictFail:
		t.Errorf("verdicts %v: a step below the capacity failed", verdicts)
	default:
		t.Logf("the generator limited a step below the capacity (a busy machine): %s", f.Conclusion)
		if f.StoppedBy != events.StoppedByGenerator {
			t.Errorf("find_max = %+v; want it stopped by the generator", *f)
		}
	}
	if len(rep.Thresholds) != 2 || !rep.Thresholds[0].Pass || rep.Thresholds[1].Pass || rep.Passed {
		t.Errorf("thresholds %+v, passed %v; want step 1 to pass and step 3 to fail", rep.Thresholds, rep.Passed)
	}
	if !strings.Contains(r.stderr, "1 of 2 thresholds failed: p99 < 300.0 ms in step 3") {
		t.Errorf("stderr does not name the failed threshold:\n%s", r.stderr)
	}
	// barrage report renders the stored run, with the FAIL line, and exits 1 too.
	rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", out)
	if rr.code != exitThreshold || !strings.Contains(rr.stdout, "\nFAIL threshold p99 < 300.0 ms in step 3") ||
		!strings.Contains(rr.stdout, "Find-max steps") {
		t.Errorf("report: exit %d\n%s%s", rr.code, rr.stdout, rr.stderr)
	}
}

// TestStagesEndToEnd runs three stages (1 s at 50/s, a ramp 50→150/s over
// 1 s, a 1 s pause): 150 arrivals, the duration set by the stages.
func TestStagesEndToEnd(t *testing.T) {
	srv, n := countingServer(t)
	spec := writeSpec(t, `
targets: [{url: `+srv.URL+`/}]
load:
  shape: stages
  stages:
    - {duration: 1s, rate: 50}
    - {duration: 1s, rate: 50, ramp_to: 150}
    - {duration: 1s, rate: 0}
thresholds:
  - {metric: error_ratio, value: 0.01}
  - {metric: rate, op: ">", value: 10}
`)
	r := barrage(t, 30*time.Second, "run", spec, "--workers", "2", "--json", "--quiet", "--out", t.TempDir())
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r)
	if rep.Requests+rep.Dropped != 150 || n.Load() != rep.Requests || len(rep.Steps) != 3 || rep.FindMax != nil {
		t.Errorf("requests %d + dropped %d (server saw %d), %d steps; want 150 arrivals over 3 stages",
			rep.Requests, rep.Dropped, n.Load(), len(rep.Steps))
	}
	if rep.DurationS < 2.9 || rep.DurationS > 3.1 || rep.TargetRate != 50 || !rep.Passed {
		t.Errorf("duration %v s, target rate %v (want 3 s, a mean of 50/s), passed %v", rep.DurationS, rep.TargetRate, rep.Passed)
	}
}

// TestThresholdExitCodes: 0 when thresholds hold, 1 when one fails, 2 when
// one is malformed (named by its field, nothing sent).
func TestThresholdExitCodes(t *testing.T) {
	srv, n := countingServer(t)
	run := func(thresholds string) result {
		spec := writeSpec(t, "targets: [{url: "+srv.URL+"/}]\nload: {rate: 20}\nduration: 1s\nthresholds:\n"+thresholds)
		return barrage(t, 30*time.Second, "run", spec, "--quiet", "--out", t.TempDir())
	}
	if r := run("  - {metric: p99, value: 5s}\n  - {metric: error_ratio, op: '<=', value: 0}\n"); r.code != exitOK ||
		!strings.Contains(r.stdout, "PASS threshold p99 < 5000 ms") {
		t.Errorf("holding thresholds: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("  - {metric: rate, op: '>=', value: 1000}\n"); r.code != exitThreshold ||
		!strings.Contains(r.stdout, "\nFAIL threshold rate >= 1000/s: ") {
		t.Errorf("failing threshold: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := n.Load()
	if r := run("  - {metric: p99, value: 0.5}\n"); r.code != exitBadInput || !strings.Contains(r.stderr, "thresholds[0].value") {
		t.Errorf("malformed threshold: exit %d\n%s", r.code, r.stderr)
	}
	if n.Load() != before {
		t.Errorf("a malformed spec sent %d requests", n.Load()-before)
	}
}

// TestThresholdAbort: a threshold broken from the first second, with abort
// after 2 s, stops a 30 s run within seconds, and it exits 1: p99 < 100 ms
// against a target 300 ms slow, and error_ratio < 0.1 against one that
// answers every request 404 (no transport error: live, as in the report,
// a status outside 2xx/3xx is a failure), whose report also says first that
// nothing succeeded.
func TestThresholdAbort(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	for _, tc := range []struct {
		name, url, threshold, says string
		check                      func(t *testing.T, rep events.Report)
	}{
		{"p99", slow.URL, "{metric: p99, value: 100ms, abort: {after: 2s}}", "threshold p99 < 100ms broken for 2s", nil},
		{"error_ratio of statuses", notFound.URL, "{metric: error_ratio, value: 0.1, abort: {after: 2s}}",
			"threshold error_ratio < 0.1 broken for 2s", func(t *testing.T, rep events.Report) {
				if len(rep.Thresholds) != 1 || rep.Thresholds[0].Pass || rep.Thresholds[0].Actual != 1 {
					t.Errorf("thresholds %+v; want error_ratio failed with 1", rep.Thresholds)
				}
				if len(rep.Warnings) == 0 || !strings.HasPrefix(rep.Warnings[0], "nothing succeeded") || !strings.Contains(rep.Warnings[0], "404") {
					t.Errorf("warnings %q; want first that nothing succeeded (404)", rep.Warnings)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := writeSpec(t, "targets: [{url: "+tc.url+"/}]\nload: {rate: 20}\nduration: 30s\nthresholds:\n  - "+tc.threshold+"\n")
			start := time.Now()
			r := barrage(t, 60*time.Second, "run", spec, "--json", "--out", t.TempDir())
			took := time.Since(start)
			if r.code != exitThreshold || !strings.Contains(r.stderr, tc.says) {
				t.Fatalf("exit %d after %v; want 1, a run stopped by its threshold\nstderr:\n%s", r.code, took, r.stderr)
			}
			rep := decodeReport(t, r)
			// Progress comes about once a second locally: the abort fires
			// about 3 s in; 10 s leaves a busy machine room and is a third of
			// the run.
			if took > 20*time.Second || rep.DurationS > 10 || rep.Shards[0].Status != events.StatusTruncated {
				t.Errorf("the run took %v, sent for %.1f s, shard %s; want it stopped within seconds", took, rep.DurationS, rep.Shards[0].Status)
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

// TestFindMaxSearch: a staircase 100, 200, 400/s against a server that
// admits 275 requests a second (rateServer, with a burst of 55, 200 ms of
// its capacity) breaks the SLO (1 % errors) at 400/s; two binary-search runs
// follow, at 300/s (above the capacity: from 2.2 s on, 25 of every 300
// requests fail, 7 % of the judged seconds) and 250/s (below it: none fail
// unless this server stalls 220 ms while the generator sends), and narrow
// the conclusion to 250/s sustained, broken at 300/s. The rates stand
// 25/s or more from the capacity and the errors do not depend on this
// machine's speed, so any other staircase or search is a defect. The stored
// report is rewritten with the search.
func TestFindMaxSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s run")
	}
	srv := rateServer(t, 275, 55)
	spec := writeSpec(t, `
name: search
targets: [{url: `+srv.URL+`/}]
load:
  shape: find-max
  find_max: {start: 100, factor: 2, step: 3s, warmup: 1s, max: 400, slo: {error_ratio: 0.01}, search: 2}
late_limit: 0 # a loaded machine's late arrivals are sent, not dropped: no step is generator-limited by them
`)
	out := t.TempDir()
	r := barrage(t, 60*time.Second, "run", spec, "--json", "--quiet", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r)
	f := rep.FindMax
	if f == nil || len(rep.Steps) != 4 {
		t.Fatalf("report: %s", r.stdout)
	}
	for _, s := range rep.Steps {
		t.Logf("step %d %v/s: judged %d s, sent %.1f/s, ok %.1f/s, errors %.2f%%, %s %v", s.Step, s.Rate, s.JudgedS,
			s.SentRate, s.OKRate, 100*s.ErrorRatio, s.Verdict, s.Reasons)
	}
	if rep.Steps[1].Verdict != events.VerdictPass || rep.Steps[2].Verdict != events.VerdictPass || rep.Steps[3].Verdict != events.VerdictFail {
		t.Fatalf("the staircase came out %s, %s, %s; want pass, pass, fail (%s)", rep.Steps[1].Verdict,
			rep.Steps[2].Verdict, rep.Steps[3].Verdict, f.Conclusion)
	}
	var rates []float64
	var verdicts []string
	for _, s := range f.Search {
		rates, verdicts = append(rates, s.Rate), append(verdicts, s.Verdict)
		if s.RunID == "" || s.RunID == rep.RunID || s.JudgedS < 1 {
			t.Errorf("search step %+v: want a run of its own, judged", s)
		}
	}
	t.Logf("search %v %v: %s", rates, verdicts, f.Conclusion)
	if len(rates) != 2 || rates[0] != 300 || rates[1] != 250 || verdicts[0] != events.VerdictFail || verdicts[1] != events.VerdictPass {
		t.Fatalf("search %v %v; want 300/s (between 200 and 400) to fail, then 250/s to pass", rates, verdicts)
	}
	if f.MaxSustainableRate != 250 || f.FirstFailingRate != 300 {
		t.Errorf("find_max %+v, want 250/s sustained, broken at 300/s", *f)
	}
	if !strings.Contains(f.Conclusion, "binary search") {
		t.Errorf("conclusion %q does not tell of the search", f.Conclusion)
	}
	rr := barrage(t, 10*time.Second, "report", rep.RunID, "--out", out)
	if rr.code != 0 || !strings.Contains(rr.stdout, "Find-max binary search") {
		t.Errorf("stored report lacks the search: exit %d\n%s%s", rr.code, rr.stdout, rr.stderr)
	}
}
