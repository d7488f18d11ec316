package engine

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestDropsWhenSaturated: a target that takes 300 ms, 2 in-flight slots,
// 100/s for 0.5 s. Most arrivals find both slots busy and are dropped, every
// planned arrival is either sent or dropped, and latency from the intended
// send is never below latency from the actual send.
func TestDropsWhenSaturated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")},
		Pacer: pacer.Constant{R: 100, D: 500 * time.Millisecond}, MaxInflight: 2,
		Timeout: 2 * time.Second, KeepAlive: true})

	c := res.Counts
	if c.Dropped <= 0 {
		t.Errorf("dropped: got %d, want > 0", c.Dropped)
	}
	if res.PlannedArrivals != 50 || c.Requests+c.Dropped != res.PlannedArrivals {
		t.Errorf("requests %d + dropped %d = %d, planned %d; want 50 = 50",
			c.Requests, c.Dropped, c.Requests+c.Dropped, res.PlannedArrivals)
	}
	if c.Requests < 2 || c.Requests > 6 || c.Success != c.Requests {
		t.Errorf("requests %d, success %d; want 2..6, all successful (errors %v)", c.Requests, c.Success, c.Errors)
	}
	if got := res.Targets[0].Counts.Dropped; got != c.Dropped {
		t.Errorf("target drops %d, shard drops %d; want equal", got, c.Dropped)
	}
	lat, unc := res.Latency, res.LatencyUncorrected
	if lat.Count() != c.Requests || unc.Count() != c.Requests {
		t.Errorf("latency samples %d and %d, want %d each", lat.Count(), unc.Count(), c.Requests)
	}
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		if l, u := lat.Quantile(q), unc.Quantile(q); l < u {
			t.Errorf("q%g: latency from intended send %v < from actual send %v", q, l, u)
		}
	}
	if lat.Min() < 300*time.Millisecond {
		t.Errorf("latency min %v, want ≥ the server's 300ms", lat.Min())
	}
	var drops int64
	for _, p := range res.Series {
		drops += p.Dropped
		if p.Targets != nil { // one target: its seconds are the run's
			t.Errorf("second %v: %d per-target latencies; want none for a run of one target", p.Start, len(p.Targets))
		}
	}
	if drops != c.Dropped {
		t.Errorf("drops over the series: got %d, want %d", drops, c.Dropped)
	}
}

// TestWeightedTargets: arrival i goes to target table[i mod len(table)], so
// the split over whole tables is exact. Sent and dropped arrivals count per
// target; the server must see each sent request at its target's path.
func TestWeightedTargets(t *testing.T) {
	var mu sync.Mutex
	paths := map[string]int64{}
	ln := rawListen(t, func(c net.Conn) {
		buf := make([]byte, 0, 512)
		b := make([]byte, 1)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
			buf = append(buf, b[0])
			if !strings.HasSuffix(string(buf), "\r\n\r\n") {
				continue
			}
			path := strings.Fields(string(buf))[1]
			buf = buf[:0]
			mu.Lock()
			paths[path]++
			mu.Unlock()
			if _, err := c.Write([]byte(okLen)); err != nil {
				return
			}
		}
	})
	base := "http://" + ln.Addr().String()
	tests := []struct {
		name    string
		weights []int
		rate    float64
		want    []int64
	}{
		{"3:1 over 400", []int{3, 1}, 800, []int64{300, 100}},          // the brief's case
		{"equal over 100", []int{5, 5}, 200, []int64{50, 50}},          // reduced by the GCD to 1:1
		{"1:2:3 over 300", []int{1, 2, 3}, 600, []int64{50, 100, 150}}, // three targets
		{"zero means 1", []int{0, 1}, 200, []int64{50, 50}},            // weight 0 is weight 1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			clear(paths)
			mu.Unlock()
			var tgs []events.Target
			for i, w := range tt.weights {
				tgs = append(tgs, events.Target{Name: fmt.Sprint("t", i), Method: "GET",
					URL: fmt.Sprintf("%s/t%d", base, i), Weight: w})
			}
			res := run(t, Config{Targets: tgs, Pacer: pacer.Constant{R: tt.rate, D: 500 * time.Millisecond},
				MaxInflight: 50, Timeout: 2 * time.Second, KeepAlive: true})
			var total int64
			for i, want := range tt.want {
				total += want
				c := res.Targets[i].Counts
				if got := c.Requests + c.Dropped; got != want {
					t.Errorf("target %d: requests %d + dropped %d = %d, want %d", i, c.Requests, c.Dropped, got, want)
				}
				mu.Lock()
				seen := paths[fmt.Sprintf("/t%d", i)]
				mu.Unlock()
				if seen != c.Requests {
					t.Errorf("target %d: server saw %d requests, result says %d", i, seen, c.Requests)
				}
			}
			if got := res.Counts.Requests + res.Counts.Dropped; got != total || res.PlannedArrivals != total {
				t.Errorf("shard: requests + dropped = %d, planned %d, want %d", got, res.PlannedArrivals, total)
			}
		})
	}
}

// TestWeightTable pins the table: each target appears weight/GCD times,
// spread evenly (the j-th occurrence of t at (j+½)/w_t, ties to the lower
// index).
func TestWeightTable(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		want    []int32
	}{
		{"one target", []int{7}, []int32{0}},                           // reduced to 1
		{"equal", []int{2, 2}, []int32{0, 1}},                          // GCD 2
		{"3:1", []int{3, 1}, []int32{0, 0, 1, 0}},                      // 1/6, 3/6 (tie with 1/2), 5/6
		{"1:2", []int{1, 2}, []int32{1, 0, 1}},                         // 1/4, 1/2, 3/4
		{"zero and negative are 1", []int{0, -3, 1}, []int32{0, 1, 2}}, // max(w, 1)
		{"2:3", []int{2, 3}, []int32{1, 0, 1, 0, 1}},                   // 1/6, 1/4, 1/2, 3/4, 5/6
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := weightTable(tt.weights); !slices.Equal(got, tt.want) {
				t.Errorf("weightTable(%v) = %v, want %v", tt.weights, got, tt.want)
			}
		})
	}
}

// TestWeightTableScaled: weights summing past maxTable are scaled down, each
// target keeping at least one slot, and the table stays within bounds.
func TestWeightTableScaled(t *testing.T) {
	table := weightTable([]int{3 * maxTable, 1})
	if len(table) > maxTable+1 {
		t.Fatalf("table length %d, want ≤ %d", len(table), maxTable+1)
	}
	var ones int
	for _, v := range table {
		if v == 1 {
			ones++
		}
	}
	if ones != 1 {
		t.Errorf("target 1 appears %d times, want 1", ones)
	}
}

// TestClosedLoop: no pacer; MaxInflight slots send back to back for the
// duration, over as many connections, and close them all at the end.
func TestClosedLoop(t *testing.T) {
	ln := rawListen(t, replies(okLen))
	res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
		Duration: 300 * time.Millisecond, MaxInflight: 4, Timeout: time.Second, KeepAlive: true})
	c := res.Counts
	if c.Requests < 10 || c.Success != c.Requests || c.Errors != nil || c.Dropped != 0 {
		t.Errorf("requests %d, success %d, errors %v, dropped %d; want ≥ 10 all successful, no drops",
			c.Requests, c.Success, c.Errors, c.Dropped)
	}
	if c.BytesIn != c.Requests*int64(len(okLen)) {
		t.Errorf("bytes in: got %d, want %d × %d", c.BytesIn, c.Requests, len(okLen))
	}
	if res.PlannedArrivals != 0 || res.PlannedRate != 0 {
		t.Errorf("planned %d at %g/s, want 0 for a closed loop", res.PlannedArrivals, res.PlannedRate)
	}
	if s := res.Send.Seconds(); s < 0.3 || s > 0.5 {
		t.Errorf("send window %gs, want about 0.3s", s)
	}
	if got := ln.accepted.Load(); got != 4 || res.Health.Dials != 4 {
		t.Errorf("connections: server accepted %d, engine dialed %d; want 4 (one per slot)", got, res.Health.Dials)
	}
	if got := lastOpenConns(t, res); got != 0 {
		t.Errorf("open connections at the end: got %d, want 0", got)
	}
	if !eventually(func() bool { return ln.closed.Load() == ln.accepted.Load() }) {
		t.Errorf("server closed %d of %d connections", ln.closed.Load(), ln.accepted.Load())
	}
}

// TestH1TLSKeepAlive: HTTP/1.1 over TLS reuses one connection, and a
// certificate the engine cannot verify fails with class tls unless
// Insecure is set.
func TestH1TLSKeepAlive(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 {
			w.WriteHeader(500)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	tests := []struct {
		name     string
		insecure bool
		errs     map[string]int64
		success  int64
		dials    int64
	}{
		{"insecure", true, nil, 5, 1},                         // one handshake, then reuse
		{"verified", false, map[string]int64{"tls": 5}, 0, 5}, // httptest's CA is not trusted
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")}, Pacer: h1Arrivals,
				MaxInflight: 10, Timeout: time.Second, KeepAlive: true, Insecure: tt.insecure})
			c := res.Counts
			if c.Requests != 5 || c.Success != tt.success || !sameCounts(c.Errors, tt.errs) {
				t.Errorf("requests %d, success %d, errors %v %v; want 5, %d, %v",
					c.Requests, c.Success, c.Errors, c.ErrorDetails, tt.success, tt.errs)
			}
			want := tt.dials
			if want == 1 {
				want = int64(res.Slots) // one handshake per slot (a late answer starts another)
			}
			if res.Health.Dials != want {
				t.Errorf("dials: got %d, want %d (%d slots)", res.Health.Dials, want, res.Slots)
			}
			if tt.errs != nil && res.Health.DialErrors != tt.dials {
				t.Errorf("dial errors: got %d, want %d", res.Health.DialErrors, tt.dials)
			}
		})
	}
}
