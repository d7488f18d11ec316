package engine

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// runProgress runs 40 arrivals a second for 2.5 s against targets and
// returns the result and every progress reported, at least two.
func runProgress(t *testing.T, targets ...events.Target) (*Result, []Progress) {
	t.Helper()
	var mu sync.Mutex
	var got []Progress
	res := run(t, Config{Targets: targets, Pacer: pacer.Constant{R: 40, D: 2500 * time.Millisecond},
		Timeout: 2 * time.Second, KeepAlive: true,
		Progress: func(p Progress) { mu.Lock(); got = append(got, p); mu.Unlock() }})
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("%d progress reports; want one a second", len(got))
	}
	return res, got
}

// TestProgressCountsFailures: a target that answers every other request
// 404. No request fails in transport, yet half of them are not a success:
// Progress.Failed counts them as the report does (requests − success), so
// that a live error_ratio judges what the report will.
func TestProgressCountsFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	res, got := runProgress(t, target(srv.URL+"/"))
	var failed int64
	for i, p := range got {
		failed += p.IntervalRequests - p.IntervalSuccess
		if p.Failed != failed || p.Errors != 0 {
			t.Errorf("progress %d: failed %d, errors %d; want %d (every request that was not a success so far), 0",
				i, p.Failed, p.Errors, failed)
		}
	}
	last := got[len(got)-1]
	if last.Failed == 0 || res.Counts.Requests-res.Counts.Success < last.Failed {
		t.Errorf("last progress: %d failed of %d; the result: %d of %d not a success",
			last.Failed, last.Requests, res.Counts.Requests-res.Counts.Success, res.Counts.Requests)
	}
}

// TestProgressLiveMetrics: half the arrivals go to a port that refuses
// connections. Each progress carries what the live metrics show: errors
// by class adding up to Errors, and latency buckets, cumulative, counting
// every request that has a latency (all but the refused ones).
func TestProgressLiveMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()
	res, got := runProgress(t, target(srv.URL+"/"), target(refused.URL+"/"))
	for i, p := range got {
		var byClass int64
		for _, n := range p.ErrorClasses {
			byClass += n
		}
		if byClass != p.Errors || p.ErrorClasses[errclass.ConnectRefused] != p.Errors {
			t.Errorf("progress %d: errors by class %v (sum %d); want all %d connect_refused", i, p.ErrorClasses, byClass, p.Errors)
		}
		if p.LatencyCount != p.Requests-p.Errors || p.Latency[len(p.Latency)-1] != p.LatencyCount || p.Sent < p.Requests {
			t.Errorf("progress %d: %d latencies (%d in the last bucket), %d sent; want %d requests − %d errors, all in the last bucket, sent ≥ requests",
				i, p.LatencyCount, p.Latency[len(p.Latency)-1], p.Sent, p.Requests, p.Errors)
		}
		for j := 1; j < len(p.Latency); j++ {
			if p.Latency[j] < p.Latency[j-1] {
				t.Errorf("progress %d: buckets %v are not cumulative", i, p.Latency)
				break
			}
		}
		if p.LatencyCount > 0 && (p.LatencySum <= 0 || p.LatencySum > time.Duration(p.LatencyCount)*2*time.Second) {
			t.Errorf("progress %d: latency sum %v of %d requests", i, p.LatencySum, p.LatencyCount)
		}
	}
	last := got[len(got)-1]
	if last.Errors == 0 || last.LatencyCount == 0 || last.Errors > res.Counts.Errors["connect_refused"] {
		t.Errorf("last progress: %d errors, %d latencies; the result: %v", last.Errors, last.LatencyCount, res.Counts.Errors)
	}
}
