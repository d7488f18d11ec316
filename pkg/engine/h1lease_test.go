package engine

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestSlotsWaitWithoutBuffers puts 200 requests in flight at once, each on
// its own connection, and answers none until all have come: while they
// wait for their responses, no connection holds a read buffer, and every
// buffer taken to read the responses is given back.
func TestSlotsWaitWithoutBuffers(t *testing.T) {
	const slots = 200
	base := buffersLeased.Load()
	var got, waiting atomic.Int64
	var once sync.Once
	all := make(chan struct{})
	ln := rawListen(t, func(c net.Conn) {
		for readRequest(c) {
			if got.Add(1) == slots {
				waiting.Store(buffersLeased.Load() - base)
				once.Do(func() { close(all) })
			}
			select {
			case <-all:
			case <-time.After(runLimit): // a bound: the counts below fail the test
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	res := run(t, Config{Targets: []events.Target{target("http://" + ln.Addr().String() + "/")},
		Pacer: pacer.Constant{R: 2000, D: 100 * time.Millisecond}, KeepAlive: true, MaxInflight: slots})
	if res.Counts.Success != slots || res.Counts.Dropped != 0 {
		t.Fatalf("%d successes, %d dropped; want %d and 0", res.Counts.Success, res.Counts.Dropped, slots)
	}
	if n := ln.accepted.Load(); n != slots {
		t.Fatalf("%d connections; want one per slot, %d", n, slots)
	}
	if n := waiting.Load(); n != 0 {
		t.Errorf("%d read buffers held while %d requests waited for their responses; want 0", n, slots)
	}
	if n := buffersLeased.Load() - base; n != 0 {
		t.Errorf("%d read buffers held after the run; want 0", n)
	}
}

// TestReadLeasedErrors pins a leased read's errors to those of
// net.Conn.Read on a connection in the same state: the same message (but
// for the addresses) and the same error class.
func TestReadLeasedErrors(t *testing.T) {
	tests := []struct {
		name  string
		state func(client, server *net.TCPConn) // puts a pair in the state to read in
	}{
		{"eof", func(_, s *net.TCPConn) { s.Close() }},                           // the server closed the connection
		{"reset", func(_, s *net.TCPConn) { s.SetLinger(0); s.Close() }},         // and reset it
		{"deadline", func(c, _ *net.TCPConn) { c.SetDeadline(time.Unix(1, 0)) }}, // an abort's deadline (interrupt)
		{"closed", func(c, _ *net.TCPConn) { c.Close() }},                        // closed on this side
	}
	for _, tt := range tests {
		plainC, plainS := tcpPair(t)
		leasedC, leasedS := tcpPair(t)
		tt.state(plainC, plainS)
		tt.state(leasedC, leasedS)
		_, want := plainC.Read(make([]byte, readBufSize))
		c := new(h1conn)
		c.attach(leasedC)
		n, err := c.readLeased()
		if n != 0 || err == nil {
			t.Fatalf("%s: read %d, %v; want an error", tt.name, n, err)
		}
		addrs := func(err error, c net.Conn) string {
			return strings.NewReplacer(c.LocalAddr().String(), "LOCAL", c.RemoteAddr().String(), "REMOTE").Replace(err.Error())
		}
		if g, w := addrs(err, leasedC), addrs(want, plainC); g != w {
			t.Errorf("%s: error %q, want %q", tt.name, g, w)
		}
		gc, gd := errclass.Classify(err)
		wc, wd := errclass.Classify(want)
		if gc != wc || gd != wd {
			t.Errorf("%s: class %v %q, want %v %q", tt.name, gc, gd, wc, wd)
		}
		if c.buf != nil {
			t.Errorf("%s: a failed read kept a buffer", tt.name)
		}
	}
}

// TestLeasedBufferGivenBack reads responses over a leased connection: the
// buffer is given back after each response, kept while bytes of the next
// are in it, and given back when a large body grows the connection a
// buffer of its own.
func TestLeasedBufferGivenBack(t *testing.T) {
	nc, s := tcpPair(t)
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	large := "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + strings.Repeat("x", 10000)
	// Two responses in one write: the second is buffered when the first is read.
	if _, err := io.WriteString(s, resp+resp); err != nil {
		t.Fatal(err)
	}
	base := buffersLeased.Load()
	c := new(h1conn)
	c.attach(nc)
	for i, want := range []struct {
		buf, leased bool
	}{{true, true}, {false, false}, {true, false}} {
		if i == 2 {
			if _, err := io.WriteString(s, large); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.readResponse(false); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		c.release()
		if got := c.buf != nil; got != want.buf || c.leased != want.leased {
			t.Errorf("after response %d: holds a buffer %v (leased %v), want %v (%v)", i, got, c.leased, want.buf, want.leased)
		}
		if n := buffersLeased.Load() - base; n != 0 && !want.leased {
			t.Errorf("after response %d: %d buffers leased, want 0", i, n)
		}
	}
}

// tcpPair is a TCP connection on 127.0.0.1 and its server side, both
// closed at the end of the test.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}
