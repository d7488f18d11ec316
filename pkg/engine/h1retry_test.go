package engine

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// scriptConn is an in-memory connection that answers each request write
// with the next of its responses, and fails the write after them with
// writeErr (or answers nothing, so the read sees io.EOF, if writeErr is nil).
type scriptConn struct {
	responses []string
	writeErr  error

	mu      sync.Mutex
	pending []byte
}

func (c *scriptConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.responses) == 0 {
		if c.writeErr != nil {
			return 0, c.writeErr
		}
		return len(b), nil
	}
	c.pending = append(c.pending, c.responses[0]...)
	c.responses = c.responses[1:]
	return len(b), nil
}

func (c *scriptConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// writeErr is the error a write to a socket the peer has reset returns.
func writeErr(errno syscall.Errno) error {
	return &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", errno)}
}

// TestH1RetryAccounting sends two requests in sequence on one slot over
// scripted connections (Config.Dial, no sockets) and checks which failures
// are retried on a new connection and that every response byte is counted
// once: bytes in belong to the request whose response they are.
func TestH1RetryAccounting(t *testing.T) {
	const ok0 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" // 38 bytes, unlike okLen's 43
	tests := []struct {
		name    string
		conns   []*scriptConn // what each dial returns, in order
		errs    map[string]int64
		success int64
		bytes   int
		dials   int64
	}{
		// The server closed the idle connection and the request's write
		// fails with ECONNRESET: nothing of a response arrived, so the
		// request is retried on a new connection and succeeds.
		{"reused, write reset", []*scriptConn{
			{responses: []string{okLen}, writeErr: writeErr(syscall.ECONNRESET)},
			{responses: []string{ok0}},
		}, nil, 2, len(okLen) + len(ok0), 2},
		// The same with EPIPE.
		{"reused, write epipe", []*scriptConn{
			{responses: []string{okLen}, writeErr: writeErr(syscall.EPIPE)},
			{responses: []string{ok0}},
		}, nil, 2, len(okLen) + len(ok0), 2},
		// The write succeeds and the read sees EOF: retried (this works).
		{"reused, read eof", []*scriptConn{
			{responses: []string{okLen}},
			{responses: []string{ok0}},
		}, nil, 2, len(okLen) + len(ok0), 2},
		// A fresh connection whose write fails is not retried, and the
		// failed request received no byte.
		{"fresh, write reset", []*scriptConn{
			{responses: []string{respClose}},
			{writeErr: writeErr(syscall.ECONNRESET)},
		}, map[string]int64{"reset": 1}, 1, len(respClose), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			next := 0
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				if next == len(tt.conns) {
					return nil, writeErr(syscall.ECONNREFUSED)
				}
				next++
				return tt.conns[next-1], nil
			}
			res := run(t, Config{Targets: []events.Target{target("http://script.test/")},
				Pacer: pacer.Constant{R: 20, D: 100 * time.Millisecond}, MaxInflight: 1,
				Timeout: time.Second, KeepAlive: true, Dial: dial,
				Resolve: func(string) []netip.Addr { return nil }})
			c := res.Counts
			if c.Requests != 2 || c.Success != tt.success || !sameCounts(c.Errors, tt.errs) {
				t.Errorf("requests %d, success %d, errors %v %v; want 2, %d, %v",
					c.Requests, c.Success, c.Errors, c.ErrorDetails, tt.success, tt.errs)
			}
			if c.BytesIn != int64(tt.bytes) {
				t.Errorf("bytes in: got %d, want %d", c.BytesIn, tt.bytes)
			}
			if res.Health.Dials != tt.dials {
				t.Errorf("dials: got %d, want %d", res.Health.Dials, tt.dials)
			}
		})
	}
}

// sameCounts compares two count maps, nil equal to empty.
func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
