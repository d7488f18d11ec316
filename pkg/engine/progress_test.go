package engine

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

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
	var mu sync.Mutex
	var got []Progress
	res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")},
		Pacer: pacer.Constant{R: 40, D: 2500 * time.Millisecond}, Timeout: 2 * time.Second, KeepAlive: true,
		Progress: func(p Progress) { mu.Lock(); got = append(got, p); mu.Unlock() }})
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("%d progress reports; want one a second", len(got))
	}
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
