package engine

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/events"
)

// rawServer answers every request on a keep-alive connection with a fixed
// 200 response, as fast as a server can: it exists so the benchmark measures
// the client.
func rawServer(tb testing.TB) string {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n")
	return benchServer(tb, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 16<<10)
		for {
			// Requests end with a blank line (no bodies here).
			for {
				l, err := r.ReadSlice('\n')
				if err != nil {
					return
				}
				if bytes.Equal(l, []byte("\r\n")) {
					break
				}
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

// benchServer serves every connection of a new 127.0.0.1 listener with
// serve, in its own goroutine, until the benchmark ends; it returns the
// listener's http:// URL.
func benchServer(tb testing.TB, serve func(c net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// BenchmarkH1KeepAlive measures one keep-alive request through the engine's
// hot path (send, parse, record); it must not allocate.
func BenchmarkH1KeepAlive(b *testing.B) {
	benchRequests(b, rawServer(b), HTTP1)
}

// benchRequests sends b.N requests to url over protocol, one at a time from
// one worker on a warm connection, and fails b unless every one succeeded.
func benchRequests(b *testing.B, url string, protocol Protocol) {
	e, err := New(Config{Targets: []events.Target{{Name: "t", Method: "GET", URL: url, Weight: 1}},
		Duration: time.Minute, KeepAlive: true, MaxInflight: 1, Protocol: protocol})
	if err != nil {
		b.Fatal(err)
	}
	e.start = time.Now()
	w := e.newWorker()
	w.do(arrival{i: 0, due: e.now()}) // dial outside the measurement
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.do(arrival{i: int64(i), due: e.now()})
	}
	b.StopTimer()
	w.closeAll()
	if e.h2 != nil {
		e.h2.close()
	}
	st := e.stripes[0]
	if st.targets[0].errs != [len(st.targets[0].errs)]int64{} || st.targets[0].success != int64(b.N)+1 {
		b.Fatalf("errors %v, success %d of %d", st.targets[0].errs, st.targets[0].success, b.N+1)
	}
}

// h2RawServer answers every HTTP/2 request with a fixed 200 response (the
// static table's ":status 200" and a 3-byte body), as fast as a server
// can and without allocating (no Framer: it would allocate a frame per
// HEADERS read): it exists so the benchmark measures the client.
func h2RawServer(tb testing.TB) string {
	// Responses: HEADERS (END_HEADERS, ":status 200" indexed) and DATA
	// (END_STREAM, "ok\n"); the stream ids are filled in per request.
	resp := []byte{0, 0, 1, 1, 4, 0, 0, 0, 0, 0x88, 0, 0, 3, 0, 1, 0, 0, 0, 0, 'o', 'k', '\n'}
	return benchServer(tb, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		w := bufio.NewWriterSize(c, 64<<10)
		if _, err := r.Discard(len(http2.ClientPreface)); err != nil {
			return
		}
		w.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0}) // SETTINGS, empty
		w.Flush()
		var h [9]byte
		for {
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return
			}
			n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
			if _, err := r.Discard(n); err != nil {
				return
			}
			switch {
			case h[3] == 4 && h[4]&1 == 0: // SETTINGS: acknowledge
				w.Write([]byte{0, 0, 0, 4, 1, 0, 0, 0, 0})
			case h[3] == 1 && h[4]&1 != 0: // HEADERS ending the stream: a GET
				copy(resp[5:9], h[5:9])
				copy(resp[15:19], h[5:9])
				w.Write(resp)
			}
			if r.Buffered() == 0 && w.Flush() != nil {
				return
			}
		}
	})
}

// BenchmarkH2 measures one HTTP/2 request (h2c) through the engine's hot
// path: HEADERS queued and written, the response's frames parsed, the
// stream completed and recorded. It must not allocate.
func BenchmarkH2(b *testing.B) {
	benchRequests(b, h2RawServer(b), H2C)
}
