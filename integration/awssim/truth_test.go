package awssim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
)

// liveLog is a Display that keeps the most failures a status's live
// figures carried.
type liveLog struct {
	mu     sync.Mutex
	failed int64
	notes  []string
}

func (l *liveLog) Update(u orchestrator.Update) {
	if u.Status == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range u.Status.Live {
		l.failed = max(l.failed, s.Failed)
	}
}

func (l *liveLog) Note(s string) { l.mu.Lock(); l.notes = append(l.notes, s); l.mu.Unlock() }
func (l *liveLog) End()          {}

// TestErrorRatioAbortOnStatuses: a two-shard Lambda run of 40 s against a
// target that answers every request 404, with error_ratio < 0.1 and an
// abort after 2 s, followed as `barrage run --backend aws` follows it
// (orchestrator.Execute over the API). The API's status carries the
// shards' failures (live[].failed), although no request failed in
// transport, and the follow loop aborts the run: the workers write
// progress after their first second and every 5 s after, so it stops
// about 6 s in, far before its end.
func TestErrorRatioAbortOnStatuses(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	nf := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	spec := s.Spec(20, 40*time.Second, 2)
	spec.Targets = []events.Target{{URL: nf.URL + "/token"}}
	spec.Thresholds = []events.Threshold{{Metric: events.MetricErrorRatio, Value: events.NumberLimit(0.1),
		Abort: &events.ThresholdAbort{After: events.Duration(2 * time.Second)}}}
	log := &liveLog{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := orchestrator.Execute(ctx, &orchestrator.APIBackend{Client: s.API, Kind: events.KindLambda, Poll: 500 * time.Millisecond},
		spec.WithDefaults(), orchestrator.ExecOptions{Show: func(*orchestrator.Submitted) orchestrator.Display { return log }})
	if err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.failed == 0 {
		t.Error("no status carried a failure in its live figures")
	}
	if !strings.Contains(out.Stopped, "threshold error_ratio < 0.1 broken for 2s") {
		t.Fatalf("stopped %q, notes %q; want the error_ratio threshold to abort the run", out.Stopped, log.notes)
	}
	r := out.Report
	if r.DurationS > 30 || Count(r)[events.StatusTruncated] != 2 {
		t.Errorf("sent for %.1f s, shards %v; want both stopped well before the 40 s%s", r.DurationS, Count(r), Reasons(r))
	}
	// (A request in flight at the abort may end canceled rather than 404.)
	if r.Success != 0 || r.StatusCodes["404"] == 0 || !r.NothingSucceeded || r.Passed {
		t.Errorf("requests %d, success %d, statuses %v, nothing_succeeded %v, passed %v; want 404s only, the run failed",
			r.Requests, r.Success, r.StatusCodes, r.NothingSucceeded, r.Passed)
	}
}
