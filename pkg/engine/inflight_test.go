package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// gate is a handler that holds every request until n are held at once,
// then lets them all through, and every later one at once: with a cap of
// n in-flight slots, the run has had exactly n requests in flight, whatever
// the machine's speed. A request is never held past runLimit.
type gate struct {
	n    int
	mu   sync.Mutex
	held int
	open chan struct{}
}

func newGate(n int) *gate { return &gate{n: n, open: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	if g.held++; g.held == g.n {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-r.Context().Done():
	case <-time.After(runLimit):
	}
	w.Write([]byte("ok"))
}

// maxInflight returns the largest in-flight figure of res's health samples
// and fails t if any is above limit.
func maxInflight(t *testing.T, res *events.ShardResult, limit int) int64 {
	t.Helper()
	var m int64
	for i, s := range res.Health.Samples {
		if s.Inflight > int64(limit) {
			t.Errorf("sample %d: %d in flight, above the cap of %d", i, s.Inflight, limit)
		}
		m = max(m, s.Inflight)
	}
	return m
}

// TestInflightMaxIsCap: a run whose every slot was busy at once reports
// exactly its cap as the most requests in flight, never more, over
// HTTP/1.1, HTTP/2 and journeys, in a closed loop and in the open model.
// The server (gate) holds requests until the cap is reached, so the figure
// does not depend on the machine's speed; it then answers at once, so the
// slots cycle fast, which is when a point sample of started minus finished
// requests goes wrong (a closed loop capped at 64 reported 139, an open
// run at 20,000/s capped at 8 reported 2).
func TestInflightMaxIsCap(t *testing.T) {
	tests := []struct {
		name     string
		protocol Protocol
		pacer    pacer.Pacer // nil: closed loop
		journey  bool
		limit    int
	}{
		{"h1 closed loop 8", HTTP1, nil, false, 8},
		{"h1 closed loop 64", HTTP1, nil, false, 64},
		{"h1 open 20000/s cap 8", HTTP1, pacer.Constant{R: 20000, D: time.Second}, false, 8},
		{"h2c closed loop 8", H2C, nil, false, 8},
		{"h2c open 20000/s cap 8", H2C, pacer.Constant{R: 20000, D: time.Second}, false, 8},
		{"journey closed loop 8", HTTP1, nil, true, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(tt.limit)
			srv := httptest.NewUnstartedServer(g)
			if tt.protocol == H2C {
				startH2C(srv)
			} else {
				srv.Start()
			}
			defer srv.Close()
			cfg := Config{Pacer: tt.pacer, Duration: 1200 * time.Millisecond, MaxInflight: tt.limit,
				Timeout: runLimit, KeepAlive: true, Protocol: tt.protocol}
			if tt.journey {
				cfg.Journeys = []Journey{&fakeJourney{name: "j", host: strings.TrimPrefix(srv.URL, "http://"), steps: []string{"a"}}}
			} else {
				cfg.Targets = []events.Target{target(srv.URL)}
			}
			res := run(t, cfg)
			if res.Counts.Requests < int64(tt.limit) {
				t.Fatalf("%d requests, want at least %d (errors %v)", res.Counts.Requests, tt.limit, res.Counts.ErrorDetails)
			}
			if got := maxInflight(t, res, tt.limit); got != int64(tt.limit) {
				t.Errorf("most in flight: got %d, want the cap, %d", got, tt.limit)
			}
		})
	}
}

// TestInflightBurstBetweenSamples: 50 arrivals in 50 ms, 8 slots, a server
// that answers after 100 ms. The 8 slots are all busy from 7 ms to 100 ms
// and the other 42 arrivals are dropped; by the time the sampler closes
// the run's only interval, nothing is in flight. The sample still reports
// 8: the most in flight during the interval, not at its end.
func TestInflightBurstBetweenSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log arrivalLog
		e := pipeEngine(t, Config{Pacer: pacer.Constant{R: 1000, D: 50 * time.Millisecond},
			Timeout: time.Second}, 8, log.answer(100*time.Millisecond, okLen))
		res := runBubble(t, e, context.Background(), context.Background())
		if c := res.Counts; c.Requests != 8 || c.Dropped != 42 {
			t.Fatalf("requests %d, dropped %d; want 8, 42", c.Requests, c.Dropped)
		}
		if got := maxInflight(t, res, 8); got != 8 {
			t.Errorf("most in flight: got %d, want 8", got)
		}
	})
}
