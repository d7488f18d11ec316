package engine

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// Scheduler timing in a synctest bubble, where time is fake and exact: a
// timer fires at precisely its time, and no time passes while goroutines
// run. Real sockets do not belong in a bubble, so Config.Dial hands the
// engine one end of a net.Pipe whose other end a pipeServer serves, and
// CoarseTimer makes the scheduler wait on runtime timers (the fake clock)
// instead of a timerfd.

// pipeServer serves one net.Pipe connection in the bubble; start is when
// arrival 0 was due.
type pipeServer func(c net.Conn, start time.Time)

// pipeEngine builds an engine for cfg with slots in-flight slots whose
// connections are net.Pipes served by serve. Start is now (fake time).
func pipeEngine(t *testing.T, cfg Config, slots int, serve pipeServer) *Engine {
	t.Helper()
	cfg.Targets = []events.Target{target("http://pipe.test/")}
	cfg.Resolve = func(string) []netip.Addr { return nil }
	cfg.Proc = noProc
	cfg.KeepAlive = true
	cfg.MaxInflight = slots
	cfg.CoarseTimer = true
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" || addr != "pipe.test:80" {
			t.Errorf("dial %s %s, want tcp pipe.test:80", network, addr)
		}
		cl, sv := net.Pipe()
		go func() {
			defer sv.Close()
			serve(sv, cfg.Start)
		}()
		return cl, nil
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// runBubble runs e with the given contexts and checks that no connection
// is left open.
func runBubble(t *testing.T, e *Engine, sched, abort context.Context) *Result {
	t.Helper()
	res, err := e.Run(sched, abort)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Not the last health sample: in fake time the run ends on the second
	// at which the sampler closes its last interval, which may come first.
	if got := e.conns.Load(); got != 0 {
		t.Errorf("open connections at the end: got %d, want 0", got)
	}
	return res
}

// exactly reports whether every value in h is d, to the histogram's
// resolution.
func exactly(h *hist.Histogram, d time.Duration) bool {
	w := hist.New()
	w.Record(d)
	return h.Count() > 0 && h.Min() == w.Min() && h.Max() == w.Max()
}

// arrivalLog records when a pipe server read each request, since the start.
type arrivalLog struct {
	mu sync.Mutex
	at []time.Duration
}

func (l *arrivalLog) sorted() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(slices.Values(l.at))
}

// answer returns a server that logs every request and answers it with resp
// after delay.
func (l *arrivalLog) answer(delay time.Duration, resp string) pipeServer {
	return func(c net.Conn, start time.Time) {
		for readRequest(c) {
			l.mu.Lock()
			l.at = append(l.at, time.Since(start))
			l.mu.Unlock()
			time.Sleep(delay)
			if _, err := c.Write([]byte(resp)); err != nil {
				return
			}
		}
	}
}

// silent logs requests and never answers, reading until the client closes.
func (l *arrivalLog) silent(c net.Conn, start time.Time) {
	if readRequest(c) {
		l.mu.Lock()
		l.at = append(l.at, time.Since(start))
		l.mu.Unlock()
		c.Read(make([]byte, 1))
	}
}

// TestScheduleSlots: N/s for 1 s sends exactly N requests, the i-th
// within its slot [i/N, (i+1)/N) (in fake time, exactly at i/N).
func TestScheduleSlots(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		slots int
	}{
		{"10/s one slot", 10, 1},                // the slowest rate, one connection
		{"100/s two slots", 100, 2},             // a slot per connection, reused LIFO
		{"1000/s eight slots", 1000, 8},         // 1 ms apart
		{"333/s uneven spacing", 333, 3},        // due times rounded to the nanosecond
		{"50/s more slots than needed", 50, 16}, // idle slots stay idle
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log arrivalLog
				e := pipeEngine(t, Config{Pacer: pacer.Constant{R: tt.rate, D: time.Second},
					Timeout: time.Second}, tt.slots, log.answer(0, okLen))
				res := runBubble(t, e, context.Background(), context.Background())

				n := int64(tt.rate)
				at := log.sorted()
				if int64(len(at)) != n {
					t.Fatalf("server saw %d requests, want %d", len(at), n)
				}
				for i, d := range at {
					lo := time.Duration(float64(i) / tt.rate * float64(time.Second))
					hi := time.Duration(float64(i+1) / tt.rate * float64(time.Second))
					if d < lo || d >= hi {
						t.Errorf("request %d arrived at %v, want within [%v, %v)", i, d, lo, hi)
					}
				}
				c := res.Counts
				if c.Requests != n || c.Success != n || c.Dropped != 0 || res.PlannedArrivals != n {
					t.Errorf("requests %d, success %d, dropped %d, planned %d; want %d, %d, 0, %d",
						c.Requests, c.Success, c.Dropped, res.PlannedArrivals, n, n, n)
				}
				if res.Send.Seconds() != 1 {
					t.Errorf("send window: got %gs, want 1s", res.Send.Seconds())
				}
				if lag := res.Lag; lag.Count() != n || !exactly(lag, 0) {
					t.Errorf("lag: got %d samples, max %v; want %d, 0", lag.Count(), lag.Max(), n)
				}
				if res.Health.Dials != 1 {
					t.Errorf("dials: got %d, want 1 (the most recently used slot goes first)", res.Health.Dials)
				}
				if len(res.Series) != 1 || res.Series[0].Requests != n {
					t.Errorf("series: got %+v, want one point with %d requests", res.Series, n)
				}
			})
		})
	}
}

// TestScheduleDropsExact: a server that takes 305 ms, 2 slots, 100/s for
// 0.5 s. Slot A takes arrival 0 (0 ms), slot B arrival 1 (10 ms); A is free
// at 305 ms and takes arrival 31 (310 ms), B at 315 ms takes arrival 32
// (320 ms); both are then busy past the window's end. So exactly 4 requests,
// 46 drops, none of them late.
func TestScheduleDropsExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log arrivalLog
		e := pipeEngine(t, Config{Pacer: pacer.Constant{R: 100, D: 500 * time.Millisecond},
			Timeout: time.Second}, 2, log.answer(305*time.Millisecond, okLen))
		res := runBubble(t, e, context.Background(), context.Background())

		want := []time.Duration{0, 10 * time.Millisecond, 310 * time.Millisecond, 320 * time.Millisecond}
		if got := log.sorted(); !slices.Equal(got, want) {
			t.Errorf("server saw requests at %v, want %v", got, want)
		}
		c := res.Counts
		if c.Requests != 4 || c.Success != 4 || c.Dropped != 46 || c.DroppedLate != 0 || res.PlannedArrivals != 50 {
			t.Errorf("requests %d, success %d, dropped %d (late %d), planned %d; want 4, 4, 46 (0), 50",
				c.Requests, c.Success, c.Dropped, c.DroppedLate, res.PlannedArrivals)
		}
		if res.Health.Dials != 2 {
			t.Errorf("dials: got %d, want 2", res.Health.Dials)
		}
		if got := res.Targets[0].Counts.Dropped; got != 46 {
			t.Errorf("target drops: got %d, want 46", got)
		}
		lat, unc := res.Latency, res.LatencyUncorrected
		if !exactly(lat, 305*time.Millisecond) || !exactly(unc, 305*time.Millisecond) {
			t.Errorf("latency %v..%v, uncorrected max %v; want all 305ms", lat.Min(), lat.Max(), unc.Max())
		}
		var drops int64
		for _, s := range res.Health.Samples {
			drops += s.Dropped
		}
		if drops != 46 {
			t.Errorf("drops over the health samples: got %d, want 46", drops)
		}
	})
}

// TestScheduleTimeoutExact: a server that never answers, one slot, 10/s
// for 1 s, Timeout 150 ms. Each request fails with class timeout at exactly
// its send time plus 150 ms; the slot closes the connection and takes the
// next arrival but one on a new connection. So requests at 0, 200, ...,
// 800 ms, five drops, five dials.
func TestScheduleTimeoutExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log arrivalLog
		e := pipeEngine(t, Config{Pacer: pacer.Constant{R: 10, D: time.Second},
			Timeout: 150 * time.Millisecond}, 1, log.silent)
		res := runBubble(t, e, context.Background(), context.Background())

		want := []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond, 800 * time.Millisecond}
		if got := log.sorted(); !slices.Equal(got, want) {
			t.Errorf("server saw requests at %v, want %v", got, want)
		}
		c := res.Counts
		if c.Requests != 5 || c.Errors["timeout"] != 5 || c.Success != 0 || c.Dropped != 5 {
			t.Errorf("requests %d, errors %v, success %d, dropped %d; want 5, timeout: 5, 0, 5",
				c.Requests, c.Errors, c.Success, c.Dropped)
		}
		if res.Health.Dials != 5 {
			t.Errorf("dials: got %d, want 5 (a new connection after each timeout)", res.Health.Dials)
		}
		lat := res.Latency
		if lat.Count() != 5 || !exactly(lat, 150*time.Millisecond) {
			t.Errorf("latency: %d samples %v..%v, want 5 of exactly 150ms", lat.Count(), lat.Min(), lat.Max())
		}
	})
}

// TestScheduleAbort: scheduling stops at 55 ms (arrivals 0..5 sent), the
// server never answers, and the abort at 100 ms cuts the six requests off:
// Run returns at 100 ms with a truncated, aborted result.
func TestScheduleAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log arrivalLog
		start := time.Now()
		e := pipeEngine(t, Config{Pacer: pacer.Constant{R: 100, D: time.Second},
			Timeout: 10 * time.Second}, 10, log.silent)
		sched, cancel1 := context.WithTimeout(context.Background(), 55*time.Millisecond)
		defer cancel1()
		abort, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel2()
		res := runBubble(t, e, sched, abort)

		if got := time.Since(start); got != 100*time.Millisecond {
			t.Errorf("Run returned at %v, want 100ms", got)
		}
		if res.Stopped != StopAborted {
			t.Errorf("stopped %q, want %q", res.Stopped, StopAborted)
		}
		if c := res.Counts; c.Requests != 6 || c.Success != 0 || c.Dropped != 0 || res.PlannedArrivals != 6 {
			t.Errorf("requests %d, success %d, dropped %d, planned %d; want 6, 0, 0, 6",
				c.Requests, c.Success, c.Dropped, res.PlannedArrivals)
		}
		if res.Health.Dials != 6 {
			t.Errorf("dials: got %d, want 6 (one slot per stalled request)", res.Health.Dials)
		}
		if got := res.Send.Seconds(); got != 0.055 {
			t.Errorf("send window: got %gs, want 0.055s", got)
		}
	})
}
