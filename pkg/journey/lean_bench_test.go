package journey

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// tokenServer answers the three requests of tokenJourney from fixed
// responses, allocating as little as a server can (pooled readers), so
// that a benchmark's allocations are the client's: POST /token and POST
// /refresh a JSON token, GET /api 200 with "Authorization: Bearer at-1",
// else 401.
func tokenServer(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	answer := func(status, body string) []byte {
		return []byte("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	token := answer("200 OK", `{"access_token":"at-1","token_type":"Bearer","expires_in":300,"refresh_token":"rt-1","scope":"a"}`)
	ok := answer("200 OK", `{"ok":true}`)
	no := answer("401 Unauthorized", "")
	readers := sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := readers.Get().(*bufio.Reader)
				r.Reset(c)
				defer readers.Put(r)
				for {
					first, length, auth := true, 0, false
					var answer []byte
					for {
						l, err := r.ReadSlice('\n')
						if err != nil {
							return
						}
						switch {
						case first:
							first = false
							switch {
							case bytes.HasPrefix(l, []byte("POST /token ")), bytes.HasPrefix(l, []byte("POST /refresh ")):
								answer = token
							case bytes.HasPrefix(l, []byte("GET /api ")):
								answer = ok
							default:
								answer = no
							}
						case bytes.HasPrefix(l, []byte("Content-Length: ")):
							length, _ = strconv.Atoi(string(bytes.TrimSpace(l[16:])))
						case bytes.Equal(l, []byte("Authorization: Bearer at-1\r\n")):
							auth = true
						}
						if bytes.Equal(l, []byte("\r\n")) {
							break
						}
					}
					if _, err := r.Discard(length); err != nil {
						return
					}
					if bytes.Equal(answer, ok) && !auth {
						answer = no
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// tokenJourney is the bench's journey (bench/compare/journey.go): a form
// POST to /token, GET /api with the bearer token, a form POST of the
// refresh token to /refresh.
func tokenJourney(base, connection string) events.Scenario {
	return events.Scenario{Name: "j", Connection: connection,
		Users: &events.UsersData{Pattern: "user-{n}", PasswordPattern: "pass-{n}", Count: 1000},
		Steps: []events.ScenarioStep{
			{Name: "token", URL: base + "token", Form: map[string]string{"grant_type": "password",
				"username": "{{username}}", "password": "{{password}}", "client_id": "bench"}, Expect: []int{200},
				Extract: []events.Extract{{Var: "access", From: "json", Expr: "$.access_token"},
					{Var: "refresh", From: "json", Expr: "$.refresh_token"}}},
			{Name: "api", URL: base + "api", Header: map[string]string{"Authorization": "Bearer {{access}}"}, Expect: []int{200}},
			{Name: "refresh", URL: base + "refresh", Form: map[string]string{"grant_type": "refresh_token",
				"refresh_token": "{{refresh}}", "client_id": "bench"}, Expect: []int{200},
				Extract: []events.Extract{{Var: "access", From: "json", Expr: "$.access_token"}}},
		}}
}

// BenchmarkLeanIteration runs b.N iterations of tokenJourney through the
// engine (4 slots, arrivals at 5,000/s, none dropped) on the lean client:
// allocs/op is the allocations per iteration of three requests, engine and
// server included (with a new connection per iteration, the server's own
// per connection too: its goroutine and accepted connection). Run it with
// a count: go test ./pkg/journey -run '^$' -bench LeanIteration -benchtime 5000x.
func BenchmarkLeanIteration(b *testing.B) {
	base := tokenServer(b)
	for _, mode := range []string{events.ConnectionShared, events.ConnectionIteration} {
		b.Run(mode, func(b *testing.B) {
			j, err := Compile(tokenJourney(base, mode), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			e, err := engine.New(engine.Config{Journeys: []engine.Journey{j}, MaxInflight: 4, Timeout: 5 * time.Second,
				KeepAlive: true, LateLimit: engine.NoLateLimit,
				Pacer: pacer.Constant{R: 5000, D: time.Duration(b.N) * time.Second / 5000}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			res, err := e.Run(context.Background(), context.Background())
			b.StopTimer()
			runtime.ReadMemStats(&after)
			// allocs/op, unrounded: the engine's start-up spread over b.N.
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "mallocs/iteration")
			if err != nil {
				b.Fatal(err)
			}
			for _, t := range res.Targets {
				if t.Name == "j" && t.Counts.Success != t.Counts.Requests {
					b.Fatalf("iterations %+v", t.Counts)
				}
			}
		})
	}
}
