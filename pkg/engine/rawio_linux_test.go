package engine

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// TestRawTCPMovesBytes: a write far larger than the socket buffers (so
// that raw writes meet EAGAIN and wait) arrives whole, and reads of it in
// small pieces give back every byte; the server's close reads as io.EOF.
func TestRawTCPMovesBytes(t *testing.T) {
	tc, sc := tcpPair(t)
	c := fastConn(tc)
	if _, ok := c.(*rawTCP); !ok {
		t.Fatalf("fastConn gave %T, want *rawTCP", c)
	}
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(sc)
		got <- b
	}()
	if n, err := c.Write(want); n != len(want) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(want))
	}
	c.(*rawTCP).CloseWrite()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("server read %d bytes, not the %d written", len(b), len(want))
	}

	go func() {
		sc.Write(want[:1<<20])
		sc.Close()
	}()
	var back []byte
	buf := make([]byte, 1000)
	for {
		n, err := c.Read(buf)
		back = append(back, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	if !bytes.Equal(back, want[:1<<20]) {
		t.Fatalf("read back %d bytes, not the %d sent", len(back), 1<<20)
	}
}

// TestRawTCPErrorsAsNet: a deadline, a reset and a closed connection give
// raw reads and writes the errors net's own give, and they classify alike.
func TestRawTCPErrorsAsNet(t *testing.T) {
	type result struct {
		class  errclass.Class
		detail string
		op     string
	}
	run := func(raw bool, provoke func(c net.Conn, sc *net.TCPConn) error) (result, error) {
		tc, sc := tcpPair(t)
		var c net.Conn = tc
		if raw {
			c = fastConn(tc)
		}
		err := provoke(c, sc)
		var oe *net.OpError
		if !errors.As(err, &oe) {
			return result{}, err
		}
		cl, d := errclass.Classify(err)
		return result{cl, d, oe.Op}, err
	}
	cases := map[string]func(c net.Conn, sc *net.TCPConn) error{
		"read deadline": func(c net.Conn, sc *net.TCPConn) error {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.Read(make([]byte, 10))
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read past its deadline: %v, want os.ErrDeadlineExceeded", err)
			}
			return err
		},
		"read reset": func(c net.Conn, sc *net.TCPConn) error {
			sc.SetLinger(0)
			sc.Close()
			_, err := c.Read(make([]byte, 10))
			return err
		},
		"write after reset": func(c net.Conn, sc *net.TCPConn) error {
			sc.SetLinger(0)
			sc.Close()
			time.Sleep(10 * time.Millisecond) // the RST is in
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = c.Write(make([]byte, 1000))
			}
			return err
		},
		"read closed": func(c net.Conn, sc *net.TCPConn) error {
			c.Close()
			_, err := c.Read(make([]byte, 10))
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("read of a closed connection: %v, want net.ErrClosed", err)
			}
			return err
		},
	}
	for name, provoke := range cases {
		want, werr := run(false, provoke)
		got, gerr := run(true, provoke)
		if werr == nil || gerr == nil || got != want {
			t.Errorf("%s: raw %+v (%v); net %+v (%v)", name, got, gerr, want, werr)
		}
	}
}
