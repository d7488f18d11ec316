package journey

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestJarAsCookiejar holds the lean client's jar against
// net/http/cookiejar (no public suffix list), the jar of the journeys'
// net/http client: after the same Set-Cookie lines, each sends the same
// Cookie header to each URL, in the same order.
func TestJarAsCookiejar(t *testing.T) {
	type set struct {
		url   string
		lines []string
	}
	for _, tt := range []struct {
		name string
		sets []set
		gets []string // URLs whose Cookie header the jars must agree on
		want string   // the header for gets[0], as a check on both
	}{
		// A cookie without Domain goes back to its host only, whatever the port.
		{"host-only", []set{{"http://a.example.com:8080/", []string{"sid=1"}}},
			[]string{"http://a.example.com:9090/", "http://b.example.com/", "http://example.com/"}, "sid=1"},
		// Domain=example.com (with or without a leading dot) covers its subdomains.
		{"domain", []set{{"http://a.example.com/", []string{"d=1; Domain=example.com", "e=2; Domain=.example.com"}}},
			[]string{"http://b.example.com/", "http://example.com/", "http://example.org/", "http://x.a.example.com/"}, "d=1; e=2"},
		// A Domain the host is not in, or a trailing dot, is refused.
		{"foreign domain", []set{{"http://a.example.com/", []string{"f=1; Domain=other.com", "g=2; Domain=example.com.", "h=3"}}},
			[]string{"http://a.example.com/", "http://other.com/"}, "h=3"},
		// On an address, Domain may only be the address itself (then host-only).
		{"address", []set{{"http://127.0.0.1:1/", []string{"a=1; Domain=127.0.0.1", "b=2; Domain=127.0.0.2", "c=3"}}},
			[]string{"http://127.0.0.1:2/x", "http://127.0.0.2/"}, "a=1; c=3"},
		// Path matches at a '/' boundary; the default path is the request's directory.
		{"path", []set{{"http://h.test/app/login/form", []string{"p=1; Path=/app", "q=2"}}},
			[]string{"http://h.test/app/login/x", "http://h.test/app", "http://h.test/application", "http://h.test/", "http://h.test/app/login"}, "q=2; p=1"},
		// Longer paths first, then the oldest; setting a cookie again keeps its place.
		{"order", []set{
			{"http://h.test/", []string{"a=1; Path=/", "b=1; Path=/x/y", "c=1; Path=/x"}},
			{"http://h.test/", []string{"d=1", "a=2; Path=/"}}},
			[]string{"http://h.test/x/y/z", "http://h.test/"}, "b=1; c=1; a=2; d=1"},
		// Max-Age=0 and an Expires in the past delete; Max-Age beats Expires.
		{"deletion", []set{
			{"http://h.test/", []string{"a=1", "b=1", "c=1", "d=1"}},
			{"http://h.test/", []string{"a=; Max-Age=0", "b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "c=2; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "d=2; Max-Age=-1"}}},
			[]string{"http://h.test/"}, "c=2"},
		// Secure cookies go over TLS, and to localhost and loopback addresses.
		{"secure", []set{
			{"https://s.test/", []string{"s=1; Secure", "n=1"}},
			{"http://localhost/", []string{"l=1; Secure"}},
			{"http://127.0.0.1/", []string{"i=1; Secure"}}},
			[]string{"http://s.test/", "https://s.test/", "http://localhost/", "http://127.0.0.1/"}, "n=1"},
		// Bad lines are dropped; a quoted value or one with a space goes quoted.
		{"values", []set{{"http://h.test/", []string{"bad name=1", "=1", "q=\"x\"", "sp=a b", "ok=v"}}},
			[]string{"http://h.test/"}, `q="x"; sp="a b"; ok=v`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ref, _ := cookiejar.New(nil)
			var j jar
			for _, s := range tt.sets {
				u, _ := url.Parse(s.url)
				res := &http.Response{Header: http.Header{"Set-Cookie": s.lines}}
				ref.SetCookies(u, res.Cookies())
				for _, l := range s.lines {
					j.set(u, l, time.Now())
				}
			}
			for i, g := range tt.gets {
				u, _ := url.Parse(g)
				req := &http.Request{Header: http.Header{}}
				for _, c := range ref.Cookies(u) {
					req.AddCookie(c)
				}
				want := req.Header.Get("Cookie")
				if got := string(j.appendHeader(nil, u, time.Now())); got != want {
					t.Errorf("%s: Cookie %q, cookiejar %q", g, got, want)
				}
				if i == 0 && want != tt.want {
					t.Errorf("%s: cookiejar sends %q, the test expects %q", g, want, tt.want)
				}
			}
		})
	}
}

// TestJarExpiry: a cookie with Max-Age is sent until it expires, then
// dropped (the jar takes the time from its caller).
func TestJarExpiry(t *testing.T) {
	var j jar
	u, _ := url.Parse("http://h.test/")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j.set(u, "a=1; Max-Age=10", now)
	j.set(u, "b=1; Expires="+now.Add(5*time.Second).Format(http.TimeFormat), now)
	for _, tt := range []struct {
		after time.Duration
		want  string
	}{{0, "a=1; b=1"}, {6 * time.Second, "a=1"}, {11 * time.Second, ""}} {
		if got := string(j.appendHeader(nil, u, now.Add(tt.after))); got != tt.want {
			t.Errorf("after %s: %q, want %q", tt.after, got, tt.want)
		}
	}
	if j.reset(); len(j.cookies) != 0 || strings.Contains(string(j.appendHeader(nil, u, now)), "=") {
		t.Error("reset left cookies")
	}
}
