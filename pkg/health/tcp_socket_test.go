package health

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sockets is how many connections the real-socket tests open.
const sockets = 5

// server accepts connections and closes each once its client has closed.
type server struct {
	ln net.Listener
	wg sync.WaitGroup
}

// listen starts a server on addr, or skips the test if the host cannot.
func listen(t *testing.T, network, addr string) *server {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s listener on %s: %v", network, addr, err)
	}
	s := &server{ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				io.Copy(io.Discard, c) // until the client's FIN
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// addr returns the listener's address.
func (s *server) addr() netip.AddrPort {
	return s.ln.Addr().(*net.TCPAddr).AddrPort()
}

// waitFor polls TCPStates until ok accepts the counts or 10 s pass.
func waitFor(t *testing.T, p *Proc, dst []netip.AddrPort, what string, ok func(TCPCounts) bool) TCPCounts {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := p.TCPStates(dst)
		if err != nil {
			t.Fatalf("TCPStates(%v): %v", dst, err)
		}
		if ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("TCPStates(%v) = %+v, want %s", dst, c, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTCPStatesRealSockets opens connections on the loopback, checks that
// they are counted as established, then closes them from the client side
// first, which leaves the client sockets in TIME_WAIT for 60 s (unless the
// kernel recycles one).
func TestTCPStatesRealSockets(t *testing.T) {
	tests := []struct {
		name, network, addr string
	}{
		// AF_INET sockets, listed in /proc/net/tcp.
		{"IPv4", "tcp4", "127.0.0.1:0"},
		// AF_INET6 sockets, listed in /proc/net/tcp6; skipped without ::1.
		{"IPv6", "tcp6", "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := listen(t, tt.network, tt.addr)
			dst := []netip.AddrPort{srv.addr()}
			var p Proc
			clients := make([]net.Conn, sockets)
			for i := range clients {
				c, err := net.Dial(tt.network, srv.addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				clients[i] = c
			}
			// A client socket is established once Dial returns.
			got, err := p.TCPStates(dst)
			if err != nil {
				t.Fatal(err)
			}
			if want := (TCPCounts{Established: sockets}); got != want {
				t.Errorf("after %d dials: TCPStates(%v) = %+v, want %+v", sockets, dst, got, want)
			}
			for _, c := range clients {
				c.Close()
			}
			// Each client socket goes to TIME_WAIT, or is gone: on the
			// loopback the kernel may hand a TIME_WAIT socket to a new
			// connection to the same address (tcp_tw_reuse=2, the default),
			// which on a busy machine another process's connect can be.
			got = waitFor(t, &p, dst, "in TIME_WAIT, none established", func(c TCPCounts) bool {
				return c.TimeWait >= 1 && c.TimeWait <= sockets && c.Established == 0 && c.Other == 0 && c.SynSent == 0
			})
			t.Logf("after client close: %+v", got)
		})
	}
}

// TestTCPStatesMapped connects an AF_INET6 socket to ::ffff:127.0.0.1, the
// kind /proc/net/tcp6 lists with an IPv4-mapped remote address, and checks
// that an IPv4 destination counts it.
func TestTCPStatesMapped(t *testing.T) {
	srv := listen(t, "tcp4", "127.0.0.1:0")
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no AF_INET6 sockets: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
		t.Skipf("IPV6_V6ONLY: %v", err)
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(srv.addr().Addr().As16()), srv.addr().Port())
	if err := unix.Connect(fd, &unix.SockaddrInet6{Addr: mapped.Addr().As16(), Port: int(mapped.Port())}); err != nil {
		t.Skipf("connect to %v: %v", mapped, err)
	}
	var p Proc
	for _, d := range []netip.AddrPort{srv.addr(), mapped} {
		if err := p.m.reset([]netip.AddrPort{d}, p.bigEndian()); err != nil {
			t.Fatal(err)
		}
		p.buf = make([]byte, bufSize)
		if err := p.countFile(p.path("net/tcp6")); err != nil {
			t.Fatal(err)
		}
		if in6 := p.m.total(); in6.Established != 1 {
			t.Errorf("net/tcp6 alone: %v counts %+v, want 1 established", d, in6)
		}
		got, err := p.TCPStates([]netip.AddrPort{d})
		if err != nil {
			t.Fatal(err)
		}
		if want := (TCPCounts{Established: 1}); got != want {
			t.Errorf("TCPStates(%v) = %+v, want %+v", d, got, want)
		}
	}
}
