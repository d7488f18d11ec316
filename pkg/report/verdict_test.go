package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestNothingSucceeded: a run whose arrivals all failed (or were all
// dropped) is flagged, with a warning before every other, and fails unless
// the spec expected failures; a run with one success, or with no arrival
// at all, is not flagged.
func TestNothingSucceeded(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	target := func(name, kind string, req, ok, dropped int64) events.TargetResult {
		return events.TargetResult{Name: name, Kind: kind, Counts: events.Counts{Requests: req, Success: ok, Dropped: dropped}}
	}
	for _, tt := range []struct {
		name    string
		counts  events.Counts
		targets []events.TargetResult
		expect  bool // the spec's expect_failures
		ths     []events.Threshold
		want    string // the first warning's start; "" not flagged
		passed  bool
	}{
		{name: "all 404", counts: events.Counts{Requests: 20, StatusCodes: map[string]int64{"404": 20}},
			targets: []events.TargetResult{target("t", "", 20, 0, 0)},
			want:    "nothing succeeded: not one of the 20 requests sent was a success (status codes 404: 20). "},
		{name: "all refused, some dropped", counts: events.Counts{Requests: 20, Dropped: 5, Errors: map[string]int64{"connect_refused": 20}},
			targets: []events.TargetResult{target("t", "", 20, 0, 5)},
			want:    "nothing succeeded: not one of the 20 requests sent was a success (errors connect_refused: 20), and 5 arrivals were dropped. "},
		{name: "expected", counts: events.Counts{Requests: 20, StatusCodes: map[string]int64{"429": 20}},
			targets: []events.TargetResult{target("t", "", 20, 0, 0)}, expect: true,
			want: "nothing succeeded, as the spec expects (expect_failures: true): not one of the 20 requests", passed: true},
		// Expected failures do not excuse a failed threshold.
		{name: "expected, threshold failed", counts: events.Counts{Requests: 20, StatusCodes: map[string]int64{"429": 20}},
			targets: []events.TargetResult{target("t", "", 20, 0, 0)}, expect: true,
			ths:  []events.Threshold{{Metric: events.MetricRate, Op: ">", Value: events.NumberLimit(1)}},
			want: "nothing succeeded, as the spec expects"},
		{name: "one success", counts: events.Counts{Requests: 20, Success: 1},
			targets: []events.TargetResult{target("t", "", 20, 1, 0)}, passed: true},
		{name: "all dropped", counts: events.Counts{Dropped: 30, DroppedLate: 30},
			targets: []events.TargetResult{target("t", "", 0, 0, 30)},
			want:    "nothing succeeded: every one of the 30 arrivals was dropped; none was sent. "},
		// Every step answered 200, yet no iteration completed (a value a
		// later step needs was missing): nothing the arrivals started
		// succeeded.
		{name: "iterations", counts: events.Counts{Requests: 10, Success: 10},
			targets: []events.TargetResult{target("shop", events.TargetIteration, 10, 0, 0), target("shop/login", events.TargetStep, 10, 10, 0)},
			want:    "nothing succeeded: not one of the 10 requests and iterations sent"},
		{name: "no arrival", targets: []events.TargetResult{target("t", "", 0, 0, 0)}, passed: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := shard(t, "a", start, nil)
			res.Counts, res.Targets = tt.counts, tt.targets
			r, err := Build(Input{RunID: "r", Results: []*events.ShardResult{res}, ExpectFailures: tt.expect, Thresholds: tt.ths})
			if err != nil {
				t.Fatal(err)
			}
			first := ""
			if len(r.Warnings) > 0 {
				first = r.Warnings[0]
			}
			if r.NothingSucceeded != (tt.want != "") || tt.want != "" && !strings.HasPrefix(first, tt.want) {
				t.Errorf("nothing_succeeded %v, first warning %q; want %q", r.NothingSucceeded, first, tt.want)
			}
			if tt.want == "" && strings.Contains(strings.Join(r.Warnings, "\n"), "nothing succeeded") {
				t.Errorf("warnings %q", r.Warnings)
			}
			if r.Passed != tt.passed || r.ExpectFailures != tt.expect {
				t.Errorf("passed %v, expect_failures %v; want %v, %v", r.Passed, r.ExpectFailures, tt.passed, tt.expect)
			}
		})
	}
}

// TestNothingSucceededOnTop: text, Markdown and HTML show the warning above
// the figures, once.
func TestNothingSucceededOnTop(t *testing.T) {
	r := &events.Report{RunID: "r", NothingSucceeded: true, Requests: 20,
		Warnings: []string{"nothing succeeded: not one of the 20 requests", "shard s stopped early"}}
	for name, render := range map[string]func(io.Writer, *events.Report) error{"text": Text, "md": Markdown, "html": HTML} {
		var b bytes.Buffer
		if err := render(&b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		i, j := strings.Index(out, "nothing succeeded"), strings.Index(out, "Started")
		if i < 0 || i > j || strings.Count(out, "nothing succeeded") != 1 || !strings.Contains(out, "shard s stopped early") {
			t.Errorf("%s: the warning at %d, the figures at %d, %d times:\n%s", name, i, j, strings.Count(out, "nothing succeeded"), out)
		}
	}
}
