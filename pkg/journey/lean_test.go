package journey

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/journeytest"
)

// The lean client's tests (lean.go): what a step sends and reads, counted
// on the server's side, never timed.

// TestLeanSteps runs steps that each need one thing of the client right:
// a login whose 303 is followed with its cookie (a GET, no body, no
// Content-Type); a header and a cookie extracted; a 307 followed with its
// method, body and a Referer; a redirect to another host followed without
// Authorization and without the first host's cookies; a chunked answer; a
// 3 MiB answer, read for the extractor's first MiB and counted whole.
func TestLeanSteps(t *testing.T) {
	var bad atomic.Value // the first check that failed
	fail := func(w http.ResponseWriter, why string) {
		bad.CompareAndSwap(nil, why)
		http.Error(w, why, http.StatusBadRequest)
	}
	var other *httptest.Server
	big := "value=" + strings.Repeat("x", 3<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("sid")
		switch r.URL.Path {
		case "/login":
			if r.PostFormValue("user") == "" {
				fail(w, "login: no user")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s-" + r.PostFormValue("user"), Path: "/"})
			http.Redirect(w, r, "home", http.StatusSeeOther) // relative
		case "/home":
			b, _ := io.ReadAll(r.Body)
			if r.Method != http.MethodGet || len(b) > 0 || r.Header.Get("Content-Type") != "" || c == nil {
				fail(w, fmt.Sprintf("home: %s, body %q, type %q, cookie %v", r.Method, b, r.Header.Get("Content-Type"), c))
				return
			}
			w.Header().Set("X-Token", "tok-"+c.Value)
			http.SetCookie(w, &http.Cookie{Name: "csrf", Value: "c1", Path: "/"})
		case "/move":
			if r.Header.Get("Authorization") != "Bearer tok-s-u1" {
				fail(w, "move: authorization "+r.Header.Get("Authorization"))
				return
			}
			http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
		case "/moved":
			r.ParseForm()
			if r.Method != http.MethodPost || r.PostForm.Get("csrf") != "c1" || r.Header.Get("Referer") != "http://"+r.Host+"/move" ||
				r.Header.Get("Authorization") == "" {
				fail(w, fmt.Sprintf("moved: %s, form %v, referer %q", r.Method, r.PostForm, r.Header.Get("Referer")))
				return
			}
			http.Redirect(w, r, other.URL+"/there", http.StatusFound)
		case "/chunked":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"a":`)
			w.(http.Flusher).Flush()
			io.WriteString(w, `{"b":"chunked-value"}}`)
		case "/big":
			io.WriteString(w, big)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" || r.Method != http.MethodGet {
			fail(w, fmt.Sprintf("there: %s, authorization %q, cookie %q", r.Method, r.Header.Get("Authorization"), r.Header.Get("Cookie")))
		}
	}))
	t.Cleanup(other.Close)
	other.URL = strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another host
	sc := events.Scenario{Name: "l", Users: &events.UsersData{Pattern: "u{n}", Count: 1, Start: 1},
		Steps: []events.ScenarioStep{
			{Name: "login", URL: srv.URL + "/login", Form: map[string]string{"user": "{{username}}"}, FollowRedirects: true,
				Expect: []int{200}, Extract: []events.Extract{{Var: "tok", From: "header", Expr: "x-token"}, {Var: "csrf", From: "cookie", Expr: "csrf"}}},
			{Name: "move", URL: srv.URL + "/move", Form: map[string]string{"csrf": "{{csrf}}"}, FollowRedirects: true,
				Header: map[string]string{"Authorization": "Bearer {{tok}}"}, Expect: []int{200}},
			{Name: "chunked", URL: srv.URL + "/chunked", Expect: []int{200}, Extract: []events.Extract{{Var: "v", From: "json", Expr: "$.a.b"}}},
			{Name: "big", URL: srv.URL + "/big?v={{v}}", Expect: []int{200}, Extract: []events.Extract{{Var: "w", From: "regex", Expr: "value=(x{3})"}}},
		}}
	j, err := Compile(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg := journeytest.Targets(journeytest.Run(t, j, 10, 500*time.Millisecond))
	n := journeytest.Sent(t, tg, "l", 5)
	if why := bad.Load(); why != nil {
		t.Errorf("the server saw: %s", why)
	}
	if c := tg["l"].Counts; c.Success != n {
		t.Fatalf("iterations %+v; want all successful", c)
	}
	for _, s := range []string{"login", "move", "chunked", "big"} {
		if c := tg["l/"+s].Counts; c.Requests != n || c.Success != n {
			t.Errorf("%s: %+v; want one successful request per iteration (followed redirects are not counted, as with net/http)", s, c)
		}
	}
	if got, want := tg["l/big"].Counts.BytesIn, n*int64(len(big)); got != want {
		t.Errorf("big: %d bytes in, want %d (the whole body, %d per iteration)", got, want, len(big))
	}
}

// rawServer serves HTTP/1.1 from answer, which gets each request and says
// what to write and whether to close the connection after it; conns
// counts the connections accepted.
func rawServer(t *testing.T, answer func(r *http.Request) (string, bool)) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					out, closing := answer(r)
					if _, err := io.WriteString(c, out); err != nil || closing {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), &conns
}

func ok200(body string) string {
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// TestLeanConnections counts the connections a three-step journey opens:
// one per iteration by default, fewer than one per iteration when slots
// keep theirs, one per request when the server says Connection: close,
// and one per request, with no error, when the server closes every
// connection after an answer without saying so (each request after the
// first on a connection finds it closed and goes again on a new one).
func TestLeanConnections(t *testing.T) {
	for _, tt := range []struct {
		name       string
		connection string
		answer     string
		close      bool
		conns      func(n int64) (lo, hi int64) // the accepted connections for n iterations
	}{
		{"new connection per iteration", "", ok200("ok"), false, func(n int64) (int64, int64) { return n, n }},
		{"shared", events.ConnectionShared, ok200("ok"), false, func(n int64) (int64, int64) { return 1, n/2 - 1 }},
		{"connection: close", events.ConnectionShared, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true,
			func(n int64) (int64, int64) { return 3 * n, 3 * n }},
		{"closed without a word", events.ConnectionShared, ok200("ok"), true, func(n int64) (int64, int64) { return 3 * n, 3 * n }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, conns := rawServer(t, func(*http.Request) (string, bool) { return tt.answer, tt.close })
			step := func(p string) events.ScenarioStep {
				return events.ScenarioStep{Name: p, URL: base + "/" + p, Expect: []int{200}}
			}
			sc := events.Scenario{Name: "c", Connection: tt.connection, Steps: []events.ScenarioStep{step("a"), step("b"), step("c")}}
			j, err := Compile(sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			tg := journeytest.Targets(journeytest.Run(t, j, 40, 500*time.Millisecond))
			n := journeytest.Sent(t, tg, "c", 20)
			if c := tg["c"].Counts; c.Success != n {
				t.Fatalf("iterations %+v; want all successful", c)
			}
			j.Close()
			lo, hi := tt.conns(n)
			if got := conns.Load(); got < lo || got > hi {
				t.Errorf("%d connections for %d iterations of 3 requests; want %d to %d", got, n, lo, hi)
			}
		})
	}
}

// TestLeanMalformed: answers the client cannot read end the step with a
// class, as the engine's own requests do: protocol for what is not
// HTTP/1.1, eof for a body cut short.
func TestLeanMalformed(t *testing.T) {
	for _, tt := range []struct {
		name, answer, detail string
	}{
		{"status line", "HTTP/1.1 2x0 OK\r\n\r\n", "protocol malformed_response"},
		{"header line", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "protocol malformed_response"},
		{"content length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "protocol malformed_response"},
		{"chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "protocol malformed_response"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", "eof"},
		{"no answer", "", "eof"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := rawServer(t, func(*http.Request) (string, bool) { return tt.answer, true })
			sc := events.Scenario{Name: "m", Steps: []events.ScenarioStep{{Name: "s", URL: base + "/s",
				Extract: []events.Extract{{Var: "x", From: "regex", Expr: "o"}}}}}
			j, err := Compile(sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tg := journeytest.Targets(journeytest.Run(t, j, 20, 250*time.Millisecond))
			n := journeytest.Sent(t, tg, "m", 5)
			class, _, hasDetail := strings.Cut(tt.detail, " ")
			if c := tg["m/s"].Counts; c.Errors[class] != n || hasDetail && c.ErrorDetails[tt.detail] != n {
				t.Errorf("step %+v; want each request to fail with %q", c, tt.detail)
			}
		})
	}
}

// TestCompileBadTemplates: a step whose method or URL does not compile is
// a problem of the spec, reported, and nothing the lean client's parsing
// of static steps trips over.
func TestCompileBadTemplates(t *testing.T) {
	for _, st := range []events.ScenarioStep{
		{URL: "http://127.0.0.1:1/{{nope}}"},
		{Method: "{{nope}}", URL: "http://127.0.0.1:1/"},
		{Method: "{{nope}}", URL: "{{nope}}"},
	} {
		if _, err := Compile(events.Scenario{Name: "b", Steps: []events.ScenarioStep{st}}, Options{}); err == nil ||
			!strings.Contains(err.Error(), "nope") {
			t.Errorf("%+v: %v; want an error naming the variable", st, err)
		}
	}
}

// TestHTTP2JourneysKeepNetHTTP: with Options.HTTP2 (a spec's http2),
// journeys keep net/http's client, which negotiates h2 by ALPN; without
// it, the lean client speaks HTTP/1.1 to the same server.
func TestHTTP2JourneysKeepNetHTTP(t *testing.T) {
	var h1, h2 atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			h2.Add(1)
		} else {
			h1.Add(1)
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, http2 := range []bool{true, false} {
		h1.Store(0)
		h2.Store(0)
		sc := events.Scenario{Name: "h", Steps: []events.ScenarioStep{{Name: "s", URL: srv.URL + "/", Expect: []int{200}}}}
		j, err := Compile(sc, Options{HTTP2: http2, Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		tg := journeytest.Targets(journeytest.Run(t, j, 20, 250*time.Millisecond))
		n := journeytest.Sent(t, tg, "h", 5)
		if c := tg["h"].Counts; c.Success != n {
			t.Fatalf("http2 %v: iterations %+v", http2, c)
		}
		if want := map[bool][2]int64{true: {0, n}, false: {n, 0}}[http2]; h1.Load() != want[0] || h2.Load() != want[1] {
			t.Errorf("http2 %v: %d HTTP/1.1 and %d HTTP/2 requests; want %d and %d", http2, h1.Load(), h2.Load(), want[0], want[1])
		}
	}
}
