package report

import (
	"fmt"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// outcomes counts what became of a run's arrivals: each is a request of a
// plain target or an iteration of a scenario (whose step requests are parts
// of it), sent or dropped, and sent ones succeeded or not. A report without
// targets (built by hand) counts its totals.
func outcomes(r *events.Report) (sent, dropped, ok int64, iterations bool) {
	if len(r.Targets) == 0 {
		return r.Requests, r.Dropped, r.Success, false
	}
	for _, t := range r.Targets {
		if t.Kind == events.TargetStep {
			continue
		}
		iterations = iterations || t.Kind == events.TargetIteration
		sent += t.Requests
		dropped += t.Dropped
		ok += t.Success
	}
	return sent, dropped, ok, iterations
}

// nothingSucceeded reports whether r's run had arrivals and not one of them
// succeeded, and if so says so in one line: what was sent, what answered,
// and whether the spec expected it.
func nothingSucceeded(r *events.Report) (bool, string) {
	sent, dropped, ok, iterations := outcomes(r)
	if ok > 0 || sent+dropped == 0 {
		return false, ""
	}
	what := "requests"
	if iterations {
		what = "requests and iterations"
	}
	var line string
	if sent == 0 {
		line = fmt.Sprintf("every one of the %d arrivals was dropped; none was sent", dropped)
	} else {
		var answers []string
		if len(r.StatusCodes) > 0 {
			answers = append(answers, "status codes "+countsLine(r.StatusCodes))
		}
		if len(r.Errors) > 0 {
			answers = append(answers, "errors "+countsLine(r.Errors))
		}
		line = fmt.Sprintf("not one of the %d %s sent was a success", sent, what)
		if len(answers) > 0 {
			line += " (" + strings.Join(answers, "; ") + ")"
		}
		if dropped > 0 {
			line += fmt.Sprintf(", and %d arrivals were dropped", dropped)
		}
	}
	if r.ExpectFailures {
		return true, "nothing succeeded, as the spec expects (expect_failures: true): " + line
	}
	return true, "nothing succeeded: " + line + ". The latencies and rates describe failures, not the target's service; " +
		"if failures are what this test is for, say so in the spec (expect_failures: true)"
}
