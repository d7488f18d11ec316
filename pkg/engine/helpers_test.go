package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/health"
)

// Shared pieces of the engine's tests: a bounded run, and servers on
// 127.0.0.1 that count their connections.

// runLimit bounds every engine run of these tests, whatever its config says.
const runLimit = 15 * time.Second

// target returns one GET target with weight 1.
func target(url string) events.Target {
	return events.Target{Name: "t", Method: "GET", URL: url, Weight: 1}
}

// noProc is a procfs root that does not exist, so the sampler's host figures
// fail fast instead of reading the real /proc.
var noProc = &health.Proc{Root: "/nonexistent-barrage-proc"}

// run builds an engine from cfg and runs it, failing t on any error. The
// Proc defaults to noProc and LateLimit to 1 s; the run is cut off after
// runLimit.
func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	if cfg.Proc == nil {
		cfg.Proc = noProc
	}
	if cfg.LateLimit == 0 {
		cfg.LateLimit = NoLateLimit // a busy test machine must not drop arrivals
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	res, err := e.Run(ctx, ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Stopped != "" {
		t.Fatalf("stopped: %s; want the schedule run to its end", res.Stopped)
	}
	return res
}

// lastOpenConns is the open-connection gauge of the last health sample.
func lastOpenConns(t *testing.T, res *Result) int64 {
	t.Helper()
	s := res.Health.Samples
	if len(s) == 0 {
		t.Fatal("no health samples")
	}
	return s[len(s)-1].OpenConns
}

// startH2C starts srv speaking HTTP/2 over cleartext with prior knowledge
// (h2c) besides HTTP/1.1: net/http's own unencrypted HTTP/2
// (http.Server.Protocols), which replaces x/net's deprecated h2c package.
func startH2C(srv *httptest.Server) {
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
}

// hangUpFirst is a listener that hangs up its first connection once it
// has read the HTTP/2 client preface, and hands on the others.
type hangUpFirst struct {
	net.Listener
	once sync.Once
}

func (l *hangUpFirst) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	first := false
	l.once.Do(func() { first = true })
	if !first {
		return c, nil
	}
	go func() {
		io.ReadFull(c, make([]byte, len(http2.ClientPreface)))
		c.Close()
	}()
	return l.Accept()
}

// countingListener counts the connections it accepts and those whose server
// side has been closed.
type countingListener struct {
	net.Listener
	accepted, closed atomic.Int64
}

func newCountingListener(t *testing.T) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &countingListener{Listener: ln}
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	return &countedConn{Conn: c, l: l}, nil
}

// countedConn counts its first Close in its listener.
type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.closed.Add(1) })
	return c.Conn.Close()
}

// rawListen serves every connection of a new 127.0.0.1 listener with handle,
// in its own goroutine; the listener and the open connections are closed at
// the end of the test. It returns the listener, to count connections.
func rawListen(t *testing.T, handle func(c net.Conn)) *countingListener {
	t.Helper()
	ln := newCountingListener(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			select {
			case <-stop:
				mu.Unlock()
				c.Close()
				return
			default:
			}
			conns = append(conns, c)
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(runLimit))
				handle(c)
			}()
		}
	}()
	return ln
}

// readRequest reads one request head (no body) from r, byte by byte so
// nothing of a later request is consumed. It reports false at EOF or error.
func readRequest(c net.Conn) bool {
	var last [4]byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			return false
		}
		last = [4]byte{last[1], last[2], last[3], b[0]}
		if last == [4]byte{'\r', '\n', '\r', '\n'} {
			return true
		}
	}
}

// fdCount is the number of this process's open file descriptors.
func fdCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// eventually polls cond every 10 ms for up to 3 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
