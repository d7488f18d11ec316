package engine

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// protoRecorder is a handler that remembers the protocol versions and the
// client addresses of the requests it served.
type protoRecorder struct {
	mu      sync.Mutex
	majors  map[int]int
	remotes map[string]bool
}

func newProtoRecorder() *protoRecorder {
	return &protoRecorder{majors: map[int]int{}, remotes: map[string]bool{}}
}

func (p *protoRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.majors[r.ProtoMajor]++
	p.remotes[r.RemoteAddr] = true
	p.mu.Unlock()
	w.Write([]byte("hello over h2"))
}

func (p *protoRecorder) seen() (map[int]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.majors, len(p.remotes)
}

// TestHTTP2 sends 30 requests (100/s for 0.3 s) over HTTP/2 and checks that
// the server saw every one of them as HTTP/2, from Connections connections.
func TestHTTP2(t *testing.T) {
	tests := []struct {
		name     string
		protocol Protocol
		conns    int
	}{
		{"tls one connection", HTTP2, 1},    // ALPN h2, every stream on one connection
		{"tls three connections", HTTP2, 3}, // round robin over three connections
		{"h2c one connection", H2C, 1},      // cleartext with prior knowledge
		{"h2c three connections", H2C, 3},
	}
	const n = 30
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newProtoRecorder()
			var srv *httptest.Server
			if tt.protocol == H2C {
				srv = httptest.NewUnstartedServer(rec)
				startH2C(srv)
			} else {
				srv = httptest.NewUnstartedServer(rec)
				srv.EnableHTTP2 = true
				srv.StartTLS()
			}
			defer srv.Close()
			res := run(t, Config{Targets: []events.Target{target(srv.URL + "/h2")},
				// A slot per arrival: while a busy machine (the race
				// detector, other tests) completes the first handshake, the
				// arrivals wait in flight instead of being dropped.
				Pacer: pacer.Constant{R: 100, D: 300 * time.Millisecond}, MaxInflight: n,
				Timeout: 2 * time.Second, KeepAlive: true, Protocol: tt.protocol, Connections: tt.conns, Insecure: true})

			c := res.Counts
			if c.Requests != n || c.Success != n || c.StatusCodes["200"] != n || c.Errors != nil {
				t.Fatalf("requests %d, success %d, statuses %v, errors %v; want %d all 200",
					c.Requests, c.Success, c.StatusCodes, c.ErrorDetails, n)
			}
			majors, remotes := rec.seen()
			if fmt.Sprint(majors) != fmt.Sprint(map[int]int{2: n}) {
				t.Errorf("server saw protocol majors %v, want 2: %d", majors, n)
			}
			if remotes != tt.conns {
				t.Errorf("server saw %d client addresses, want %d", remotes, tt.conns)
			}
			if got := res.Health.Dials; got != int64(tt.conns) {
				t.Errorf("Health.Dials: got %d, want %d", got, tt.conns)
			}
			if want := int64(n * len("hello over h2")); c.BytesIn != want {
				t.Errorf("bytes in: got %d, want %d", c.BytesIn, want)
			}
			if got := lastOpenConns(t, res); got != 0 {
				t.Errorf("open connections at the end: got %d, want 0", got)
			}
		})
	}
}

// h2cScript serves scripted HTTP/2 cleartext connections: it reads the
// client preface, sends SETTINGS, acknowledges the client's, and calls
// script for every request's HEADERS frame. After a script that returns
// true it half-closes and drains, so the client sees EOF, not a reset.
func h2cScript(t *testing.T, script func(fr *http2.Framer, id uint32) (done bool)) *countingListener {
	return h2cFrames(t, func(fr *http2.Framer, f http2.Frame) bool {
		h, ok := f.(*http2.HeadersFrame)
		return ok && script(fr, h.StreamID)
	})
}

// h2cFrames is h2cScript for every frame but the client's SETTINGS.
func h2cFrames(t *testing.T, script func(fr *http2.Framer, f http2.Frame) (done bool)) *countingListener {
	return rawListen(t, func(c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, len(http2.ClientPreface))); err != nil {
			return
		}
		fr := http2.NewFramer(c, c)
		if fr.WriteSettings() != nil {
			return
		}
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if sf, ok := f.(*http2.SettingsFrame); ok {
				if !sf.IsAck() {
					fr.WriteSettingsAck()
				}
				continue
			}
			if script(fr, f) {
				c.(*countedConn).Conn.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
				return
			}
		}
	})
}

// respond200 sends a 200 response with a 2-byte body on stream id.
func respond200(fr *http2.Framer, id uint32) {
	var buf bytes.Buffer
	hpack.NewEncoder(&buf).WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: buf.Bytes(), EndHeaders: true})
	fr.WriteData(id, true, []byte("ok"))
}

// TestHTTP2GoAway: a server that sends GOAWAY ENHANCE_YOUR_CALM on every
// connection. Each frame is counted by code, the engine opens a new
// connection for the next request, and a request the GOAWAY refused fails
// with class goaway, detail ENHANCE_YOUR_CALM.
func TestHTTP2GoAway(t *testing.T) {
	const calm = http2.ErrCodeEnhanceYourCalm
	tests := []struct {
		name   string
		script func(fr *http2.Framer, id uint32) bool
		failed bool // every request fails (else every one succeeds)
	}{
		// GOAWAY with last stream 0 refuses the connection's first request.
		{"refused", func(fr *http2.Framer, id uint32) bool {
			fr.WriteGoAway(0, calm, []byte("slow down"))
			return true
		}, true},
		// GOAWAY with last stream id lets that request finish: it succeeds,
		// the frame is still counted, and the next request reconnects.
		{"after accepting", func(fr *http2.Framer, id uint32) bool {
			fr.WriteGoAway(id, calm, nil)
			respond200(fr, id)
			return true
		}, false},
	}
	const n = 5 // 20/s for 0.25 s: one request at a time
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln := h2cScript(t, tt.script)
			res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
				Pacer: h1Arrivals, MaxInflight: 10, Timeout: 2 * time.Second, KeepAlive: true, Protocol: H2C})

			c := res.Counts
			if c.Requests != n {
				t.Fatalf("requests: got %d, want %d", c.Requests, n)
			}
			wantErr, wantDetail, wantSucc := map[string]int64(nil), map[string]int64(nil), int64(n)
			if tt.failed {
				wantErr = map[string]int64{"goaway": n}
				wantDetail = map[string]int64{"goaway ENHANCE_YOUR_CALM": n}
				wantSucc = 0
			}
			if fmt.Sprint(c.Errors) != fmt.Sprint(wantErr) || fmt.Sprint(c.ErrorDetails) != fmt.Sprint(wantDetail) {
				t.Errorf("errors %v %v, want %v %v", c.Errors, c.ErrorDetails, wantErr, wantDetail)
			}
			if c.Success != wantSucc {
				t.Errorf("success: got %d, want %d", c.Success, wantSucc)
			}
			if got, want := res.Health.GoAways, map[string]int64{"ENHANCE_YOUR_CALM": n}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Health.GoAways: got %v, want %v (one per connection)", got, want)
			}
			if got := ln.accepted.Load(); got != n || res.Health.Dials != n {
				t.Errorf("connections: server accepted %d, engine dialed %d; want %d (one per request)",
					got, res.Health.Dials, n)
			}
			if got := lastOpenConns(t, res); got != 0 {
				t.Errorf("open connections at the end: got %d, want 0", got)
			}
		})
	}
}

// TestHTTP2Errors: statuses and timeouts over HTTP/2 (TLS), 5 arrivals.
func TestHTTP2Errors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		status  map[string]int64
		errs    map[string]int64
	}{
		// A 503 is a status, not an error and not a success.
		{"503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, time.Second,
			map[string]int64{"503": 5}, nil},
		// A handler slower than the timeout: class timeout.
		{"stall", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, 150 * time.Millisecond, nil, map[string]int64{"timeout": 5}},
		// Headers sent, then the body stalls past the timeout.
		{"stalled body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, 150 * time.Millisecond, nil, map[string]int64{"timeout": 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(tt.handler)
			srv.EnableHTTP2 = true
			srv.StartTLS()
			defer srv.Close()
			res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")}, Pacer: h1Arrivals,
				MaxInflight: 10, Timeout: tt.timeout, KeepAlive: true, Protocol: HTTP2, Insecure: true})
			c := res.Counts
			if c.Requests != 5 || c.Success != 0 || !sameCounts(c.StatusCodes, tt.status) || !sameCounts(c.Errors, tt.errs) {
				t.Errorf("requests %d, success %d, statuses %v, errors %v %v; want 5, 0, %v, %v",
					c.Requests, c.Success, c.StatusCodes, c.Errors, c.ErrorDetails, tt.status, tt.errs)
			}
			if tt.errs["timeout"] > 0 {
				// The timeout, not the handler's 2 s, ended each request:
				// the upper bound is just short of it, all the room a
				// loaded machine may need.
				lat := res.Latency
				if hi := 2*time.Second - time.Millisecond; lat.Min() < tt.timeout || lat.Max() > hi {
					t.Errorf("timeout latency %v..%v, want within [%v, %v]", lat.Min(), lat.Max(), tt.timeout, hi)
				}
			}
			if res.Health.Dials != 1 {
				t.Errorf("dials: got %d, want 1 (streams share the connection)", res.Health.Dials)
			}
		})
	}
}

// TestHTTP2WarmConnectionLost: the server closes the connection warmed
// before the start, before any request went over it. x/net lets a closed
// connection that never carried a request take requests (to fail them, so
// that an early error is reported), so without a check of its state every
// request of the run failed on it. The engine dials a new connection and
// every request succeeds.
func TestHTTP2WarmConnectionLost(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = &hangUpFirst{Listener: srv.Listener}
	startH2C(srv)
	defer srv.Close()
	res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")},
		Pacer: h1Arrivals, Start: time.Now().Add(300 * time.Millisecond), MaxInflight: 10,
		Timeout: 2 * time.Second, KeepAlive: true, Protocol: H2C})
	if c := res.Counts; c.Requests != 5 || c.Success != 5 {
		t.Errorf("requests %d, success %d (errors %v, %v); want 5, 5", c.Requests, c.Success, c.ErrorDetails, c.ErrorMessages)
	}
	if res.Health.Dials != 2 {
		t.Errorf("dials: got %d, want 2 (the warmed connection, and its replacement)", res.Health.Dials)
	}
}
