package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// The lean HTTP/2 client (h2conn.go) against net/http's own HTTP/2 server
// and scripted servers: flow control both ways, the server's stream limit,
// GOAWAY mid-run, RST_STREAM, timeouts, request headers, stream ids
// running out. Every test counts; none times.

// h2Server starts handler speaking HTTP/2: h2c with prior knowledge, or
// TLS with ALPN h2; conf, if set, adjusts the server's HTTP/2 settings.
func h2Server(t *testing.T, protocol Protocol, handler http.Handler, conf func(*http.HTTP2Config)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	if conf != nil {
		srv.Config.HTTP2 = &http.HTTP2Config{}
		conf(srv.Config.HTTP2)
	}
	if protocol == H2C {
		startH2C(srv)
	} else {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return srv
}

// bothH2 runs f for h2c and for TLS, in parallel.
func bothH2(t *testing.T, f func(t *testing.T, protocol Protocol)) {
	for _, p := range []struct {
		name     string
		protocol Protocol
	}{{"h2c", H2C}, {"tls", HTTP2}} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			f(t, p.protocol)
		})
	}
}

// wantAllOK fails t unless every one of n requests succeeded with 200.
func wantAllOK(t *testing.T, res *Result, n int64) {
	t.Helper()
	c := res.Counts
	if c.Requests != n || c.Success != n || c.StatusCodes["200"] != n || c.Errors != nil {
		t.Fatalf("requests %d, success %d, statuses %v, errors %v %v; want %d all 200",
			c.Requests, c.Success, c.StatusCodes, c.ErrorDetails, c.ErrorMessages, n)
	}
	if got := lastOpenConns(t, res); got != 0 {
		t.Errorf("open connections at the end: got %d, want 0", got)
	}
}

// TestHTTP2LargeBodies: responses of 3 MB, three times the window the
// client announces per stream (and 48 times the protocol's initial 65,535
// bytes), and request bodies of 300 KB against a server whose receive
// window is 64 KiB per stream and per connection: both sides wait for
// flow-control credit, which each gives back, and nothing stalls.
func TestHTTP2LargeBodies(t *testing.T) {
	const respSize, reqSize, n = 3 << 20, 300 << 10, 10
	resp := bytes.Repeat([]byte("r"), respSize)
	reqBody := bytes.Repeat([]byte("q"), reqSize)
	bothH2(t, func(t *testing.T, protocol Protocol) {
		var got, good atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got.Add(int64(len(b)))
			if bytes.Equal(b, reqBody) {
				good.Add(1)
			}
			w.Write(resp)
		})
		srv := h2Server(t, protocol, h, func(c *http.HTTP2Config) {
			c.MaxReceiveBufferPerStream = 64 << 10
			c.MaxReceiveBufferPerConnection = 64 << 10
		})
		tg := events.Target{Name: "t", Method: "POST", URL: srv.URL + "/", Body: string(reqBody), Weight: 1}
		res := run(t, Config{Targets: []events.Target{tg}, Pacer: pacer.Constant{R: 50, D: 200 * time.Millisecond},
			MaxInflight: n, Timeout: 10 * time.Second, KeepAlive: true, Protocol: protocol, Insecure: true})
		wantAllOK(t, res, n)
		if c := res.Counts; c.BytesIn != n*respSize || c.BytesOut != n*reqSize {
			t.Errorf("bytes in %d, out %d; want %d, %d", c.BytesIn, c.BytesOut, n*respSize, n*reqSize)
		}
		if got.Load() != n*reqSize || good.Load() != n {
			t.Errorf("server read %d body bytes, %d whole bodies; want %d, %d", got.Load(), good.Load(), n*reqSize, n)
		}
	})
}

// TestHTTP2StreamLimit: 40 requests in flight at once against a server
// that allows 3 streams per connection. The client opens no more than 3
// at a time: the others wait for a stream, and all succeed.
func TestHTTP2StreamLimit(t *testing.T) {
	const limit, n = 3, 40
	bothH2(t, func(t *testing.T, protocol Protocol) {
		var cur, peak atomic.Int64
		release := make(chan struct{})
		var once sync.Once
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := cur.Add(1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			if now == limit { // the server is full: from now on requests go through
				once.Do(func() { close(release) })
			}
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
			cur.Add(-1)
			w.Write([]byte("ok"))
		})
		srv := h2Server(t, protocol, h, func(c *http.HTTP2Config) { c.MaxConcurrentStreams = limit })
		res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")}, Pacer: pacer.Constant{R: 400, D: 100 * time.Millisecond},
			MaxInflight: n, Timeout: 10 * time.Second, KeepAlive: true, Protocol: protocol, Insecure: true})
		wantAllOK(t, res, n)
		if p := peak.Load(); p > limit {
			t.Errorf("server saw %d streams at once, want at most %d", p, limit)
		}
		if res.Health.Dials != 1 {
			t.Errorf("dials: got %d, want 1", res.Health.Dials)
		}
	})
}

// TestHTTP2ShutdownMidRun: the server shuts down gracefully after 20 of 60
// requests (GOAWAY NO_ERROR, its streams finish) and a second server takes
// the listener. The GOAWAY is counted, the connection replaced, and every
// request either succeeds or, sent before the GOAWAY arrived and above its
// last stream id, fails as goaway NO_ERROR.
func TestHTTP2ShutdownMidRun(t *testing.T) {
	const n = 60
	ln := newCountingListener(t)
	conns := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	var served atomic.Int64
	var a, b *http.Server
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 20 {
			once.Do(func() {
				go b.Serve(newChanListener(ln, conns))
				go a.Shutdown(context.Background())
			})
		}
		w.Write([]byte("ok"))
	})
	newServer := func() *http.Server {
		s := &http.Server{Handler: h, Protocols: new(http.Protocols)}
		s.Protocols.SetUnencryptedHTTP2(true)
		return s
	}
	a, b = newServer(), newServer()
	go a.Serve(newChanListener(ln, conns))
	defer func() { a.Close(); b.Close(); ln.Close() }()

	res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
		Pacer: pacer.Constant{R: 300, D: 200 * time.Millisecond}, MaxInflight: n, Timeout: 5 * time.Second,
		KeepAlive: true, Protocol: H2C})
	c := res.Counts
	if c.Requests != n || c.Success+c.Errors["goaway"] != n || c.Success < 20 || c.Success != served.Load() {
		t.Errorf("requests %d, success %d (server served %d), errors %v %v; want %d, at least 20, the rest goaway",
			c.Requests, c.Success, served.Load(), c.ErrorDetails, c.ErrorMessages, n)
	}
	if got := res.Health.GoAways; fmt.Sprint(got) != fmt.Sprint(map[string]int64{"NO_ERROR": 1}) {
		t.Errorf("Health.GoAways: got %v, want NO_ERROR: 1", got)
	}
	if res.Health.Dials != 2 || ln.accepted.Load() != 2 {
		t.Errorf("dials %d, accepted %d; want 2 (the first connection and its replacement)", res.Health.Dials, ln.accepted.Load())
	}
	if got := lastOpenConns(t, res); got != 0 {
		t.Errorf("open connections at the end: got %d, want 0", got)
	}
}

// chanListener hands out the connections an accept loop sends it, until
// it is closed (which leaves the real listener open).
type chanListener struct {
	net.Listener
	conns  <-chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(ln net.Listener, conns <-chan net.Conn) *chanListener {
	return &chanListener{Listener: ln, conns: conns, closed: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c, ok := <-l.conns:
		if !ok {
			return nil, net.ErrClosed
		}
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// TestHTTP2Reset: RST_STREAM from the server fails the stream, classified
// by its code, and the connection goes on (one dial for all requests).
func TestHTTP2Reset(t *testing.T) {
	tests := []struct {
		code   http2.ErrCode
		class  string
		detail string
	}{
		{http2.ErrCodeRefusedStream, "refused_stream", "refused_stream REFUSED_STREAM"},
		{http2.ErrCodeCancel, "reset", "reset CANCEL"},
		{http2.ErrCodeInternal, "other", "other INTERNAL_ERROR"},
	}
	const n = 5
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			t.Parallel()
			ln := h2cScript(t, func(fr *http2.Framer, id uint32) bool {
				fr.WriteRSTStream(id, tt.code)
				return false
			})
			res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
				Pacer: h1Arrivals, MaxInflight: 10, Timeout: 2 * time.Second, KeepAlive: true, Protocol: H2C})
			c := res.Counts
			if c.Requests != n || c.Errors[tt.class] != n || c.ErrorDetails[tt.detail] != n {
				t.Errorf("requests %d, errors %v %v; want %d %s", c.Requests, c.Errors, c.ErrorDetails, n, tt.detail)
			}
			if res.Health.Dials != 1 {
				t.Errorf("dials: got %d, want 1", res.Health.Dials)
			}
		})
	}
}

// TestHTTP2TimeoutResets: a server that never answers. Each request times
// out (class timeout), and the client resets its stream with CANCEL, which
// the server counts, on the one connection.
func TestHTTP2TimeoutResets(t *testing.T) {
	const n = 5
	var cancels atomic.Int64
	ln := h2cFrames(t, func(fr *http2.Framer, f http2.Frame) bool {
		if r, ok := f.(*http2.RSTStreamFrame); ok && r.ErrCode == http2.ErrCodeCancel {
			cancels.Add(1)
		}
		return false
	})
	res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
		Pacer: h1Arrivals, MaxInflight: 10, Timeout: 100 * time.Millisecond, KeepAlive: true, Protocol: H2C})
	if c := res.Counts; c.Requests != n || c.Errors["timeout"] != n {
		t.Errorf("requests %d, errors %v; want %d timeouts", c.Requests, c.ErrorDetails, n)
	}
	if !eventually(func() bool { return cancels.Load() == n }) {
		t.Errorf("server saw %d RST_STREAM CANCEL, want %d", cancels.Load(), n)
	}
	if res.Health.Dials != 1 {
		t.Errorf("dials: got %d, want 1", res.Health.Dials)
	}
}

// TestHTTP2Headers: the request's method, authority, path and query,
// custom headers and User-Agent reach the server; statuses come back.
func TestHTTP2Headers(t *testing.T) {
	bothH2(t, func(t *testing.T, protocol Protocol) {
		var mu sync.Mutex
		var seen []string
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s %s %s %q %q %q", r.Method, r.Host, r.URL.RequestURI(),
				r.Header.Get("X-Custom"), r.Header.Get("User-Agent"), r.Header.Get("Accept")))
			mu.Unlock()
			w.WriteHeader(418)
		})
		srv := h2Server(t, protocol, h, nil)
		tg := events.Target{Name: "t", Method: "DELETE", URL: srv.URL + "/a/b?c=d&e=f", Weight: 1,
			Headers: map[string]string{"X-Custom": "v, with: colons", "Host": "example.test", "Accept": "text/plain"}}
		res := run(t, Config{Targets: []events.Target{tg}, Pacer: h1Arrivals, MaxInflight: 10,
			Timeout: 2 * time.Second, KeepAlive: true, Protocol: protocol, Insecure: true})
		if c := res.Counts; c.Requests != 5 || c.StatusCodes["418"] != 5 || c.Errors != nil {
			t.Errorf("requests %d, statuses %v, errors %v; want 5 × 418", c.Requests, c.StatusCodes, c.ErrorDetails)
		}
		want := fmt.Sprintf("DELETE example.test /a/b?c=d&e=f %q %q %q", "v, with: colons", UserAgent, "text/plain")
		mu.Lock()
		defer mu.Unlock()
		for _, s := range seen {
			if s != want {
				t.Errorf("server saw %s, want %s", s, want)
			}
		}
	})
}

// TestHTTP2StreamIDsRunOut: with the highest stream id lowered to 5, a
// connection carries streams 1, 3 and 5, then the pool opens a new one:
// 5 requests take two connections, and all succeed.
func TestHTTP2StreamIDsRunOut(t *testing.T) {
	srv := h2Server(t, H2C, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }), nil)
	e, err := New(Config{Targets: []events.Target{target(srv.URL + "/")}, Pacer: h1Arrivals, MaxInflight: 10,
		Timeout: 2 * time.Second, KeepAlive: true, Protocol: H2C, Proc: noProc, LateLimit: NoLateLimit})
	if err != nil {
		t.Fatal(err)
	}
	e.h2.maxID = 5
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	res, err := e.Run(ctx, ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAllOK(t, res, 5)
	if res.Health.Dials != 2 {
		t.Errorf("dials: got %d, want 2", res.Health.Dials)
	}
}

// TestHTTP2ClosedLoopKeepsConnection: in a closed loop of 8 slots over 4
// connections each slot keeps to one connection, so the server sees 4
// connections with at most 2 streams open at once on each (taking the
// connections in turn, a connection would carry up to all 8).
func TestHTTP2ClosedLoopKeepsConnection(t *testing.T) {
	bothH2(t, func(t *testing.T, protocol Protocol) {
		var mu sync.Mutex
		cur, peak := map[string]int{}, map[string]int{}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			cur[r.RemoteAddr]++
			peak[r.RemoteAddr] = max(peak[r.RemoteAddr], cur[r.RemoteAddr])
			mu.Unlock()
			time.Sleep(time.Millisecond) // streams overlap
			mu.Lock()
			cur[r.RemoteAddr]--
			mu.Unlock()
			w.Write([]byte("ok"))
		})
		srv := h2Server(t, protocol, h, nil)
		res := run(t, Config{Targets: []events.Target{target(srv.URL + "/")}, Duration: 300 * time.Millisecond,
			MaxInflight: 8, Connections: 4, Timeout: 10 * time.Second, KeepAlive: true, Protocol: protocol, Insecure: true})
		if c := res.Counts; c.Requests == 0 || c.Success != c.Requests {
			t.Fatalf("requests %d, success %d, errors %v", c.Requests, c.Success, c.ErrorDetails)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(peak) != 4 {
			t.Errorf("server saw %d connections, want 4: %v", len(peak), peak)
		}
		for addr, p := range peak {
			if p > 2 {
				t.Errorf("connection %s had %d streams open at once, want at most 2", addr, p)
			}
		}
	})
}
