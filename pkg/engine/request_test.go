package engine

import (
	"net/netip"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// TestSerialize pins the HTTP/1.1 bytes prepare writes for a target: the
// request line with the URL's escaped path and query, Host first, the other
// headers in sorted order with canonical names, User-Agent by default, and
// Content-Length when there is a body or the method expects one.
func TestSerialize(t *testing.T) {
	const ua = "User-Agent: " + UserAgent + "\r\n"
	tests := []struct {
		name string
		t    events.Target
		want string
	}{
		// The simplest GET: Host from the URL, the default User-Agent.
		{"get", events.Target{Method: "GET", URL: "http://example.com/path"},
			"GET /path HTTP/1.1\r\nHost: example.com\r\n" + ua + "\r\n"},
		// No path at all is "/".
		{"no path", events.Target{Method: "GET", URL: "http://example.com"},
			"GET / HTTP/1.1\r\nHost: example.com\r\n" + ua + "\r\n"},
		// The query string is kept as written.
		{"query", events.Target{Method: "GET", URL: "http://example.com/s?q=a%20b&x=1&x=2"},
			"GET /s?q=a%20b&x=1&x=2 HTTP/1.1\r\nHost: example.com\r\n" + ua + "\r\n"},
		// An escaped slash in the path stays escaped.
		{"escaped path", events.Target{Method: "GET", URL: "http://example.com/a%2Fb/c?"},
			"GET /a%2Fb/c? HTTP/1.1\r\nHost: example.com\r\n" + ua + "\r\n"},
		// A port is part of Host.
		{"port", events.Target{Method: "GET", URL: "http://example.com:8080/"},
			"GET / HTTP/1.1\r\nHost: example.com:8080\r\n" + ua + "\r\n"},
		// An IPv6 literal keeps its brackets in Host.
		{"ipv6", events.Target{Method: "GET", URL: "http://[::1]:9000/"},
			"GET / HTTP/1.1\r\nHost: [::1]:9000\r\n" + ua + "\r\n"},
		// Headers sorted by canonical name; the user's User-Agent replaces ours.
		{"sorted headers", events.Target{Method: "GET", URL: "http://h/",
			Headers: map[string]string{"x-b": "2", "X-A": "1", "accept": "*/*", "user-agent": "me/1"}},
			"GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nUser-Agent: me/1\r\nX-A: 1\r\nX-B: 2\r\n\r\n"},
		// A Host header overrides the URL's host and is written once, first.
		{"host override", events.Target{Method: "GET", URL: "http://127.0.0.1:8080/",
			Headers: map[string]string{"host": "virtual.example"}},
			"GET / HTTP/1.1\r\nHost: virtual.example\r\n" + ua + "\r\n"},
		// A body gets its Content-Length.
		{"post body", events.Target{Method: "POST", URL: "http://h/f", Body: "a=1&b=2"},
			"POST /f HTTP/1.1\r\nHost: h\r\n" + ua + "Content-Length: 7\r\n\r\na=1&b=2"},
		// POST, PUT and PATCH without a body say Content-Length: 0.
		{"post empty", events.Target{Method: "POST", URL: "http://h/"},
			"POST / HTTP/1.1\r\nHost: h\r\n" + ua + "Content-Length: 0\r\n\r\n"},
		{"put empty", events.Target{Method: "PUT", URL: "http://h/"},
			"PUT / HTTP/1.1\r\nHost: h\r\n" + ua + "Content-Length: 0\r\n\r\n"},
		{"patch empty", events.Target{Method: "PATCH", URL: "http://h/"},
			"PATCH / HTTP/1.1\r\nHost: h\r\n" + ua + "Content-Length: 0\r\n\r\n"},
		// Other methods without a body send no Content-Length.
		{"delete", events.Target{Method: "DELETE", URL: "http://h/x"},
			"DELETE /x HTTP/1.1\r\nHost: h\r\n" + ua + "\r\n"},
		// A GET with a body gets Content-Length too.
		{"get body", events.Target{Method: "GET", URL: "http://h/", Body: "{}"},
			"GET / HTTP/1.1\r\nHost: h\r\n" + ua + "Content-Length: 2\r\n\r\n{}"},
		// The user's Content-Length and Transfer-Encoding are replaced by ours.
		{"user framing", events.Target{Method: "POST", URL: "http://h/", Body: "xyz",
			Headers: map[string]string{"content-length": "999", "Transfer-Encoding": "chunked", "Content-Type": "text/plain"}},
			"POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n" + ua + "Content-Length: 3\r\n\r\nxyz"},
		// HEAD: the same request line and headers.
		{"head", events.Target{Method: "HEAD", URL: "https://h/r"},
			"HEAD /r HTTP/1.1\r\nHost: h\r\n" + ua + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reqs, _, err := prepare([]events.Target{tt.t}, nil)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			if got := string(reqs[0].raw); got != tt.want {
				t.Errorf("serialized:\n got %q\nwant %q", got, tt.want)
			}
			if got := string(serialize(reqs[0])); got != tt.want {
				t.Errorf("serialize again:\n got %q\nwant %q", got, tt.want)
			}
			if got, want := reqs[0].head, tt.t.Method == "HEAD"; got != want {
				t.Errorf("head: got %v, want %v", got, want)
			}
		})
	}
}

// TestPrepareEndpoints: targets share an endpoint when scheme, host and port
// match (default ports included); a resolved host is dialed by address.
func TestPrepareEndpoints(t *testing.T) {
	resolve := func(host string) []netip.Addr {
		if host == "api.example" {
			return []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.7"), netip.MustParseAddr("10.0.0.8")}
		}
		return nil
	}
	targets := []events.Target{
		{Method: "GET", URL: "http://api.example/a"},          // endpoint 0
		{Method: "GET", URL: "http://api.example:80/b"},       // the same: 80 is http's default
		{Method: "GET", URL: "https://api.example/c"},         // endpoint 1: another scheme and port
		{Method: "GET", URL: "https://api.example:443/d"},     // the same as 1
		{Method: "GET", URL: "http://unresolved.example:81/"}, // endpoint 2, dialed by name
	}
	reqs, eps, err := prepare(targets, resolve)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	wantEp := []int{0, 0, 1, 1, 2}
	for i, r := range reqs {
		if r.ep != wantEp[i] {
			t.Errorf("target %d: endpoint %d, want %d", i, r.ep, wantEp[i])
		}
	}
	tests := []struct {
		key, dial, server string
		tls               bool
		addrs             int
	}{
		{"http://api.example:80", "10.0.0.7:80", "api.example", false, 2},   // mapped address unmapped
		{"https://api.example:443", "10.0.0.7:443", "api.example", true, 2}, // TLS with SNI
		{"http://unresolved.example:81", "unresolved.example:81", "unresolved.example", false, 0},
	}
	if len(eps) != len(tests) {
		t.Fatalf("endpoints: got %d, want %d", len(eps), len(tests))
	}
	for i, tt := range tests {
		ep := eps[i]
		if ep.key != tt.key || ep.dialAddr != tt.dial || ep.serverName != tt.server || ep.tls != tt.tls || len(ep.addrs) != tt.addrs {
			t.Errorf("endpoint %d: got {%s %s %s tls=%v addrs=%d}, want {%s %s %s tls=%v addrs=%d}", i,
				ep.key, ep.dialAddr, ep.serverName, ep.tls, len(ep.addrs), tt.key, tt.dial, tt.server, tt.tls, tt.addrs)
		}
	}
}

// TestPrepareBadURL: prepare rejects what it cannot send.
func TestPrepareBadURL(t *testing.T) {
	for _, url := range []string{
		"ftp://h/",      // not http or https
		"http://",       // no host
		"/relative",     // not absolute
		"http://h:%zz/", // does not parse
		"example.com/x", // no scheme
		"HTTP://h/\x7f", // a control character
	} {
		if _, _, err := prepare([]events.Target{{Method: "GET", URL: url}}, nil); err == nil {
			t.Errorf("prepare(%q): no error, want one", url)
		}
	}
}
