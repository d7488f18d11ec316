package engine

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// HTTP/1.1 against real servers on 127.0.0.1: raw TCP servers where the exact
// bytes matter (1xx, malformed responses, resets, byte counts), and
// httptest servers for net/http's own framing.

// replies answers every request on a connection with resp, keeping it open.
func replies(resp string) func(net.Conn) {
	return func(c net.Conn) {
		for readRequest(c) {
			if _, err := c.Write([]byte(resp)); err != nil {
				return
			}
		}
	}
}

// replyOnce answers one request with resp, then closes the connection
// (returning from the handler closes it).
func replyOnce(resp string) func(net.Conn) {
	return func(c net.Conn) {
		if readRequest(c) {
			c.Write([]byte(resp))
		}
	}
}

// resetAfter reads one request, optionally answers it with resp, and then
// resets the connection (SO_LINGER 0 makes Close send a RST).
func resetAfter(resp string) func(net.Conn) {
	return func(c net.Conn) {
		if !readRequest(c) {
			return
		}
		if resp != "" {
			c.Write([]byte(resp))
			time.Sleep(20 * time.Millisecond) // let the response arrive before the RST
		}
		c.(*countedConn).Conn.(*net.TCPConn).SetLinger(0)
	}
}

// stall reads one request and never answers; the client gives up first.
func stall(c net.Conn) {
	if readRequest(c) {
		c.Read(make([]byte, 1)) // until the client closes
	}
}

const (
	okLen     = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	okChunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
)

// Responses whose lengths the rows check.
const (
	respToEOF = "HTTP/1.1 200 OK\r\n\r\nbody until EOF"
	respHead  = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
	resp204   = "HTTP/1.1 204 No Content\r\n\r\n"
	resp304   = "HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n"
	resp1xx   = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + okLen
	respClose = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
	resp10    = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
	resp503   = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
	respShort = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
)

// respLarge has a body larger than the 16 KiB read buffer.
var respLarge = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000)

// bigChunked is a chunked body of three 20,000-byte chunks, each larger
// than the read buffer's spare room.
var bigChunked = func() string {
	c := fmt.Sprintf("%x\r\n%s\r\n", 20000, strings.Repeat("c", 20000))
	return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + c + c + c + "0\r\n\r\n"
}()

// h1Arrivals is the schedule of every row: 5 arrivals 250 ms apart, so
// that a keep-alive row sees one connection even when the race detector and
// a busy machine make a request take far longer than on a quiet one.
var h1Arrivals = pacer.Constant{R: 4, D: 1250 * time.Millisecond}

func TestH1Raw(t *testing.T) {
	bigHeader := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 20000) + "\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name    string
		method  string
		serve   func(net.Conn)
		timeout time.Duration // 0 means 2 s
		status  string        // every request gets this status ("" none)
		class   string        // every request fails with this class ("" none)
		detail  string        // and this detail ("" none: no ErrorDetails)
		success bool          // every request succeeds
		bytes   int           // bytes in per request; -1 unchecked
		dials   int           // connections opened; 0 means one per request
	}{
		// Content-Length on a keep-alive connection: one dial for all.
		{"content-length", "GET", replies(okLen), 0, "200", "", "", true, len(okLen), 1},
		// Chunked with an extension and a trailer.
		{"chunked", "GET", replies(okChunked), 0, "200", "", "", true, len(okChunked), 1},
		// No length: the body runs to the close, so the connection is not reused.
		{"close-delimited", "GET", replyOnce(respToEOF), 0, "200", "", "", true, len(respToEOF), 0},
		// HEAD: Content-Length describes a body that is not sent.
		{"head", "HEAD", replies(respHead), 0, "200", "", "", true, len(respHead), 1},
		// 204 has no body.
		{"204", "GET", replies(resp204), 0, "204", "", "", true, len(resp204), 1},
		// 304 has no body whatever its Content-Length says; 3xx is success.
		{"304", "GET", replies(resp304), 0, "304", "", "", true, len(resp304), 1},
		// 100 Continue and 103 Early Hints precede the final response.
		{"1xx", "GET", replies(resp1xx), 0, "200", "", "", true, len(resp1xx), 1},
		// A body larger than the 16 KiB read buffer.
		{"large", "GET", replies(respLarge), 0, "200", "", "", true, len(respLarge), 1},
		// Chunks larger than the read buffer.
		{"large chunked", "GET", replies(bigChunked), 0, "200", "", "", true, len(bigChunked), 1},
		// Connection: close after every response: re-dialed, no errors.
		{"connection close", "GET", replyOnce(respClose), 0, "200", "", "", true, len(respClose), 0},
		// HTTP/1.0 closes by default.
		{"http/1.0", "GET", replyOnce(resp10), 0, "200", "", "", true, len(resp10), 0},
		// The server closes each keep-alive connection (FIN) after one
		// response: the next request fails on the reused connection before
		// any response byte and is retried once on a fresh one.
		{"idle close", "GET", replyOnce(okLen), 0, "200", "", "", true, len(okLen), 0},
		// 5xx is a status, not an error, and not a success.
		{"503", "GET", replies(resp503), 0, "503", "", "", false, len(resp503), 1},
		// The server resets the connection instead of answering.
		{"reset", "GET", resetAfter(""), 0, "", "reset", "ECONNRESET", false, 0, 0},
		// The server stalls past the timeout.
		{"timeout", "GET", stall, 150 * time.Millisecond, "", "timeout", "", false, 0, 0},
		// The server closes without a byte on a fresh connection.
		{"eof", "GET", replyOnce(""), 0, "", "eof", "", false, 0, 0},
		// The body ends early.
		{"truncated body", "GET", replyOnce(respShort), 0, "", "eof", "", false, len(respShort), 0},
		// Malformed: a status that is not three digits.
		{"bad status", "GET", replies("HTTP/1.1 2x0 OK\r\n\r\n"), 0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: not HTTP/1.x at all.
		{"bad version", "GET", replies("HTTP/2.0 200 OK\r\n\r\n"), 0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: a header line without a colon.
		{"bad header", "GET", replies("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
			0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: Content-Length that is not a number.
		{"bad length", "GET", replies("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
			0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: two different Content-Lengths.
		{"conflicting length", "GET", replies("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"),
			0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: a chunk size that is not hex.
		{"bad chunk", "GET", replies("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			0, "", "protocol", "malformed_response", false, -1, 0},
		// Malformed: 101 Switching Protocols to a plain request.
		{"101", "GET", replies("HTTP/1.1 101 Switching Protocols\r\n\r\n"),
			0, "", "protocol", "malformed_response", false, -1, 0},
		// A 20 KB header block: the read buffer grows to hold it.
		{"large header", "GET", replies(bigHeader), 0, "200", "", "", true, len(bigHeader), 1},
		// Malformed: a header block larger than 64 KiB.
		{"huge header", "GET", replies("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 70000) + "\r\n\r\n"),
			0, "", "protocol", "malformed_response", false, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln := rawListen(t, tt.serve)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			tg := target("http://" + ln.Addr().String() + "/path?q=1")
			tg.Method = tt.method
			res := run(t, Config{Targets: []events.Target{tg}, Pacer: h1Arrivals,
				MaxInflight: 10, Timeout: timeout, KeepAlive: true})
			checkRow(t, res, rowWant{status: tt.status, class: tt.class, detail: tt.detail,
				success: tt.success, bytes: tt.bytes, dials: tt.dials})
			if tt.class == "timeout" {
				lat := res.Latency
				if got := lat.Count(); got != 5 {
					t.Errorf("timeouts in the latency histogram: got %d, want 5", got)
				}
				// What matters is that the row's timeout, not the 2 s
				// default, ended the request: the upper bound is just
				// short of the default, all the room a loaded machine may
				// need.
				if hi := 2*time.Second - time.Millisecond; lat.Min() < timeout || lat.Max() > hi {
					t.Errorf("timeout latency: got %v..%v, want within [%v, %v]", lat.Min(), lat.Max(), timeout, hi)
				}
			}
			if got := ln.accepted.Load(); got != res.Health.Dials {
				t.Errorf("server accepted %d connections, Health.Dials = %d", got, res.Health.Dials)
			}
			if got := lastOpenConns(t, res); got != 0 {
				t.Errorf("open connections at the end: got %d, want 0", got)
			}
		})
	}
}

// rowWant is what one run of 5 arrivals must show.
type rowWant struct {
	status, class, detail string
	success               bool
	bytes                 int // per request; -1 unchecked
	minBytes              int // per request, when bytes is -1
	dials                 int // 0 means one per request
}

func checkRow(t *testing.T, res *Result, w rowWant) {
	t.Helper()
	const n = 5
	c := res.Counts
	if c.Requests != n || c.Dropped != 0 || res.PlannedArrivals != n {
		t.Fatalf("requests %d, dropped %d, planned %d; want %d, 0, %d (errors %v)",
			c.Requests, c.Dropped, res.PlannedArrivals, n, n, c.ErrorDetails)
	}
	wantStatus := map[string]int64(nil)
	if w.status != "" {
		wantStatus = map[string]int64{w.status: n}
	}
	if fmt.Sprint(c.StatusCodes) != fmt.Sprint(wantStatus) {
		t.Errorf("status codes: got %v, want %v (errors %v %v)", c.StatusCodes, wantStatus, c.Errors, c.ErrorDetails)
	}
	wantErr, wantDetail := map[string]int64(nil), map[string]int64(nil)
	if w.class != "" {
		wantErr = map[string]int64{w.class: n}
	}
	if w.detail != "" {
		wantDetail = map[string]int64{w.class + " " + w.detail: n}
	}
	if fmt.Sprint(c.Errors) != fmt.Sprint(wantErr) {
		t.Errorf("errors: got %v, want %v (details %v)", c.Errors, wantErr, c.ErrorDetails)
	}
	if fmt.Sprint(c.ErrorDetails) != fmt.Sprint(wantDetail) {
		t.Errorf("error details: got %v, want %v", c.ErrorDetails, wantDetail)
	}
	wantSucc := int64(0)
	if w.success {
		wantSucc = n
	}
	if c.Success != wantSucc {
		t.Errorf("success: got %d, want %d", c.Success, wantSucc)
	}
	switch {
	case w.bytes >= 0 && c.BytesIn != int64(n*w.bytes):
		t.Errorf("bytes in: got %d, want %d × %d = %d", c.BytesIn, n, w.bytes, n*w.bytes)
	case w.bytes < 0 && c.BytesIn < int64(n*w.minBytes):
		t.Errorf("bytes in: got %d, want at least %d", c.BytesIn, n*w.minBytes)
	}
	if c.BytesOut <= 0 {
		t.Errorf("bytes out: got %d, want > 0", c.BytesOut)
	}
	wantDials := int64(w.dials)
	switch w.dials {
	case 0:
		wantDials = n
	case 1:
		// One connection, reused, per slot: a busy machine answering an
		// arrival late makes the next start a second slot, with its own.
		wantDials = int64(res.Slots)
	}
	if got := res.Health.Dials; got != wantDials {
		t.Errorf("dials: got %d, want %d", got, wantDials)
	}
	if len(res.Targets) != 1 || res.Targets[0].Counts.Requests != n {
		t.Errorf("per-target counts: got %+v, want one target with %d requests", res.Targets, n)
	}
}

// TestH1Httptest runs the engine against net/http's server.
func TestH1Httptest(t *testing.T) {
	body := strings.Repeat("y", 50000)
	tests := []struct {
		name    string
		method  string
		handler http.HandlerFunc
		want    rowWant
	}{
		// A small body: net/http sets Content-Length.
		{"200", "GET", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) },
			rowWant{status: "200", success: true, bytes: -1, minBytes: 5, dials: 1}},
		// A flushed body is sent chunked.
		{"chunked", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("part1"))
			w.(http.Flusher).Flush()
			w.Write([]byte("part2"))
		}, rowWant{status: "200", success: true, bytes: -1, minBytes: 10, dials: 1}},
		// A large body, read through the 16 KiB buffer.
		{"large", "GET", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) },
			rowWant{status: "200", success: true, bytes: -1, minBytes: len(body), dials: 1}},
		// HEAD: the server announces the length but sends no body.
		{"head", "HEAD", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "50000")
		}, rowWant{status: "200", success: true, bytes: -1, minBytes: 20, dials: 1}},
		// 204 and 304 carry no body.
		{"204", "GET", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
			rowWant{status: "204", success: true, bytes: -1, dials: 1}},
		{"304", "GET", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(304) },
			rowWant{status: "304", success: true, bytes: -1, dials: 1}},
		// 404 is counted as a status, not a success.
		{"404", "GET", http.NotFound, rowWant{status: "404", bytes: -1, dials: 1}},
		// Connection: close after every response: re-dialed, no errors.
		{"connection close", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}, rowWant{status: "200", success: true, bytes: -1, minBytes: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln := newCountingListener(t)
			srv := httptest.NewUnstartedServer(tt.handler)
			srv.Listener.Close()
			srv.Listener = ln
			srv.Start()
			defer srv.Close()
			tg := target(srv.URL + "/")
			tg.Method = tt.method
			res := run(t, Config{Targets: []events.Target{tg}, Pacer: h1Arrivals,
				MaxInflight: 10, Timeout: 2 * time.Second, KeepAlive: true})
			checkRow(t, res, tt.want)
			if got := ln.accepted.Load(); got != res.Health.Dials {
				t.Errorf("server accepted %d connections, Health.Dials = %d", got, res.Health.Dials)
			}
		})
	}
}

// TestH1IdleResetRetried: a server that resets (RST, not FIN) each
// keep-alive connection after its response is closing idle connections too.
// The next request's write on the dead connection fails with ECONNRESET or
// EPIPE before any response byte, so it must be retried on a fresh
// connection like the FIN case ("idle close" above): no errors, and bytes in
// counting only the responses.
func TestH1IdleResetRetried(t *testing.T) {
	ln := rawListen(t, resetAfter(okLen))
	res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
		Pacer: h1Arrivals, MaxInflight: 10, Timeout: 2 * time.Second, KeepAlive: true})
	checkRow(t, res, rowWant{status: "200", success: true, bytes: len(okLen)})
}
