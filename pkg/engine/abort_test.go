package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestAbortCutsOffInFlight: against a target that never answers (within
// the 4 s timeout), scheduling ends at 150 ms and the abort at 300 ms must
// cut off every request in flight at once, whatever the protocol and
// connection mode: Run returns soon after the abort with a truncated,
// aborted result, not when the requests would have timed out.
func TestAbortCutsOffInFlight(t *testing.T) {
	stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	tests := []struct {
		name      string
		protocol  Protocol
		keepAlive bool
	}{
		{"http1 keep-alive", HTTP1, true}, // interrupt sets past deadlines on the slots' connections
		{"http1 new conns", HTTP1, false}, // the same connections, closed after each request
		{"h2c pooled", H2C, true},         // the pool's connections are closed
		{"h2c new conns", H2C, false},     // each request's own client connection
		{"http2 tls new conns", HTTP2, false},
	}
	const timeout = 4 * time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(stall)
			switch tt.protocol {
			case H2C:
				startH2C(srv)
			case HTTP2:
				srv.EnableHTTP2 = true
				srv.StartTLS()
			default:
				srv.Start()
			}
			defer srv.Close()
			e, err := New(Config{Targets: []events.Target{target(srv.URL + "/")},
				Pacer: pacer.Constant{R: 20, D: time.Second}, MaxInflight: 20, LateLimit: time.Second,
				Timeout: timeout, KeepAlive: tt.keepAlive, Protocol: tt.protocol, Insecure: true, Proc: noProc})
			if err != nil {
				t.Fatal(err)
			}
			sched, cancel1 := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel1()
			abort, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel2()
			began := time.Now()
			res, err := e.Run(sched, abort)
			took := time.Since(began)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if took > time.Second {
				t.Errorf("Run returned %v after it began, want soon after the abort at 300ms (the timeout is %v)", took.Round(time.Millisecond), timeout)
			}
			if res.Status != events.StatusTruncated || res.StopReason != "aborted" {
				t.Errorf("status %q %q, want %q %q", res.Status, res.StopReason, events.StatusTruncated, "aborted")
			}
			if c := res.Counts; c.Requests < 2 || c.Success != 0 {
				t.Errorf("requests %d, success %d; want a few, none successful (errors %v)", c.Requests, c.Success, c.ErrorDetails)
			}
		})
	}
}
