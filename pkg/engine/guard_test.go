package engine

import (
	"net"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestMetadataNeverDialed: a host name that resolves to the instance
// metadata address (169.254.169.254, and fd00:ec2::254) is refused when it
// is dialed, by the engine's own requests and by a journey's dialer alike,
// whatever the allow-list says: every request fails with forbidden_host and
// the listener on that very address, in a network namespace of the test's
// own, accepts nothing. A direct dial first proves the listener reachable,
// so zero accepts is the guard's doing.
func TestMetadataNeverDialed(t *testing.T) {
	if !guardtest.InNetns(t, "") {
		return
	}
	for _, ip := range []string{"169.254.169.254", "fd00:ec2::254"} {
		meta := guardtest.Listen(t, ip)
		u, _ := url.Parse(meta.URL)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("the listener on %s is not reachable: %v", ip, err)
		}
		c.Close()
		waitAccepts(t, meta, 1)
		resolve := func(host string) []netip.Addr {
			if host == "metadata.test" {
				return []netip.Addr{netip.MustParseAddr(ip)}
			}
			return nil
		}
		name := "http://metadata.test:" + u.Port()
		for _, tc := range []struct {
			what string
			cfg  Config
		}{
			{"keep-alive", Config{Targets: []events.Target{target(name + "/")}, KeepAlive: true}},
			{"new connection", Config{Targets: []events.Target{target(name + "/")}}},
			{"h2c", Config{Targets: []events.Target{target(name + "/")}, Protocol: H2C, KeepAlive: true}},
			{"address literal", Config{Targets: []events.Target{target(meta.URL + "/")}, KeepAlive: true}},
			{"allowed by *", Config{Targets: []events.Target{target(name + "/")}, KeepAlive: true,
				Guard: hostguard.Guard{Allow: [][]string{{"*"}}}}},
			{"journey", Config{Journeys: []Journey{&fakeJourney{name: "j", host: "metadata.test:" + u.Port(), steps: []string{"a"}}}}},
		} {
			cfg := tc.cfg
			cfg.Resolve, cfg.Pacer, cfg.MaxInflight, cfg.Timeout = resolve, pacer.Constant{R: 20, D: 250 * time.Millisecond}, 2, time.Second
			res := run(t, cfg)
			c := res.Counts
			if c.Requests == 0 || c.Errors["forbidden_host"] != c.Requests {
				t.Errorf("%s, %s: %d requests, errors %v; want every one forbidden_host", ip, tc.what, c.Requests, c.ErrorDetails)
			}
		}
		if n := meta.Accepts.Load(); n != 1 {
			t.Errorf("the listener on %s accepted %d connections; want only the test's own", ip, n)
		}
	}
}

// waitAccepts waits (up to 10 s) until l has accepted n connections.
func waitAccepts(t *testing.T, l *guardtest.Listener, n int64) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); l.Accepts.Load() < n && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := l.Accepts.Load(); got < n {
		t.Fatalf("accepts: %d; want %d", got, n)
	}
}
