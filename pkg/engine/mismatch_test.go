package engine

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/events"
)

// TestProtocolMismatch: HTTP/2 against a server that does not speak it, or
// breaks it, fails every request with class protocol and a detail that says
// how, not with "other" and nothing (an h2c run against an HTTP/1.1 server
// reported "other: 1500" without a word).
func TestProtocolMismatch(t *testing.T) {
	h1 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello over h1")) })
	tests := []struct {
		name     string
		protocol Protocol
		server   func(t *testing.T) string // returns the target URL
		detail   string
	}{
		// An HTTP/1.1 server answers the h2c preface with an HTTP/1.1 error.
		{"h2c to an HTTP/1.1 server", H2C, func(t *testing.T) string {
			srv := httptest.NewServer(h1)
			t.Cleanup(srv.Close)
			return srv.URL
		}, "http1_response"},
		// A TLS server that offers only http/1.1 by ALPN.
		{"http2 to a TLS server without h2", HTTP2, func(t *testing.T) string {
			srv := httptest.NewTLSServer(h1)
			t.Cleanup(srv.Close)
			return srv.URL
		}, "no_h2_alpn"},
		// An h2c server that sends a DATA frame on stream 0.
		{"malformed frame", H2C, func(t *testing.T) string {
			ln := h2cScript(t, func(fr *http2.Framer, id uint32) bool {
				fr.WriteRawFrame(http2.FrameData, 0, 0, []byte("x"))
				return true
			})
			return "http://" + ln.Addr().String() + "/"
		}, "PROTOCOL_ERROR"},
	}
	const n = 5 // h1Arrivals
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, Config{Targets: []events.Target{target(tt.server(t))}, Pacer: h1Arrivals,
				MaxInflight: 10, Timeout: 2 * time.Second, KeepAlive: true, Protocol: tt.protocol, Insecure: true})
			c := res.Counts
			if c.Requests != n || c.Success != 0 || c.Errors["protocol"] != n || c.ErrorDetails["protocol "+tt.detail] != n {
				t.Errorf("requests %d, success %d, errors %v, details %v; want %d, 0, protocol: %d, \"protocol %s\": %d",
					c.Requests, c.Success, c.Errors, c.ErrorDetails, n, n, tt.detail, n)
			}
			// One message says what went wrong, for every request.
			if m := c.ErrorMessages["protocol"]; len(m) != 1 || m[0].Count != n || m[0].Message == "" {
				t.Errorf("protocol messages %v, want one for all %d requests", m, n)
			} else {
				t.Logf("message: %s", m[0].Message)
			}
			if got := lastOpenConns(t, res); got != 0 {
				t.Errorf("open connections at the end: got %d, want 0", got)
			}
		})
	}
}
