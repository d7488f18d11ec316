package engine

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestNewConnectionPerRequest: with KeepAlive false every arrival opens its
// own connection and closes it after the response, over every protocol; at
// the end no connection is open on either side and the process holds as
// many file descriptors as before. The rows run one after another: the fd
// count is the whole process's.
func TestNewConnectionPerRequest(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	tests := []struct {
		name     string
		protocol Protocol
		start    func(s *httptest.Server)
	}{
		// Plain HTTP/1.1.
		{"http1", HTTP1, func(s *httptest.Server) { s.Start() }},
		// HTTP/1.1 over TLS: a handshake per request.
		{"http1 tls", HTTP1, func(s *httptest.Server) { s.StartTLS() }},
		// HTTP/2 over TLS: a client connection per request, closed after it.
		{"http2", HTTP2, func(s *httptest.Server) { s.EnableHTTP2 = true; s.StartTLS() }},
		// HTTP/2 cleartext with prior knowledge.
		{"h2c", H2C, startH2C},
	}
	const n = 20 // 50/s for 0.4 s
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := newCountingListener(t)
			srv := httptest.NewUnstartedServer(ok)
			srv.Listener.Close()
			srv.Listener = ln
			tt.start(srv)
			defer srv.Close()
			before := fdCount(t)

			res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")},
				// A slot for every arrival: a handshake slowed by a loaded
				// machine must not drop one.
				Pacer: pacer.Constant{R: 50, D: 400 * time.Millisecond}, MaxInflight: n,
				Timeout: 2 * time.Second, KeepAlive: false, Protocol: tt.protocol, Insecure: true})

			c := res.Counts
			if c.Requests != n || c.Success != n || c.Dropped != 0 {
				t.Fatalf("requests %d, success %d, dropped %d; want %d, %d, 0 (errors %v)",
					c.Requests, c.Success, c.Dropped, n, n, c.ErrorDetails)
			}
			if got := ln.accepted.Load(); got != n {
				t.Errorf("server accepted %d connections, want one per request: %d", got, n)
			}
			if got := res.Health.Dials; got != n {
				t.Errorf("Health.Dials: got %d, want %d", got, n)
			}
			if got := lastOpenConns(t, res); got != 0 {
				t.Errorf("open connections in the last health sample: got %d, want 0", got)
			}
			if !eventually(func() bool { return ln.closed.Load() == ln.accepted.Load() }) {
				t.Errorf("server closed %d of %d connections", ln.closed.Load(), ln.accepted.Load())
			}
			var after int
			if !eventually(func() bool { after = fdCount(t); return after <= before }) {
				t.Errorf("open fds: %d before the run, %d after", before, after)
			}
		})
	}
}
