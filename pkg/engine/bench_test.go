package engine

import (
	"bufio"
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// rawServer answers every request on a keep-alive connection with a fixed
// 200 response, as fast as a server can: it exists so the benchmark measures
// the client.
func rawServer(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
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
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// BenchmarkH1KeepAlive measures one keep-alive request through the engine's
// hot path (send, parse, record); it must not allocate.
func BenchmarkH1KeepAlive(b *testing.B) {
	url := rawServer(b)
	e, err := New(Config{Targets: []events.Target{{Name: "t", Method: "GET", URL: url, Weight: 1}},
		Duration: time.Minute, KeepAlive: true, MaxInflight: 1})
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
	st := e.stripes[0]
	if st.targets[0].errs != [len(st.targets[0].errs)]int64{} {
		b.Fatalf("errors: %v", st.targets[0].errs)
	}
}
