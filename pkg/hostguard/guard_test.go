package hostguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/barrage-load/barrage/pkg/errclass"
)

func TestAllows(t *testing.T) {
	patterns := []string{"*.example.com", "127.0.0.1", "Idp.Test", "[::1]"}
	for host, want := range map[string]bool{
		"api.example.com":      true,  // a subdomain
		"a.b.example.com":      true,  // deeper
		"example.com":          true,  // the domain itself
		"EXAMPLE.COM":          true,  // any case
		"badexample.com":       false, // a suffix that is not a subdomain
		"example.com.evil.net": false,
		"127.0.0.1":            true,
		"127.0.0.2":            false,
		"idp.test":             true,
		"::1":                  true, // brackets or not
		"[::1]":                true,
		"10.0.0.1":             false,
		"":                     false,
	} {
		if got := Allows(patterns, host); got != want {
			t.Errorf("Allows(%q) = %v; want %v", host, got, want)
		}
	}
	if !Allows([]string{"*"}, "anything.example") {
		t.Error(`"*" does not allow every host`)
	}
	if Allows(nil, "example.com") {
		t.Error("an empty list allows a host")
	}
}

func TestGuard(t *testing.T) {
	deploy := Guard{Allow: [][]string{{"*.example.com", "127.0.0.1"}}, DenyLoopback: true}
	local := Guard{}
	tests := []struct {
		name string
		g    Guard
		host string
		want Reason // "" allowed
	}{
		// The zero guard allows every host name.
		{"local, any name", local, "anything.test", ""},
		// Metadata and link-local addresses are refused whatever the lists say.
		{"local, imds", local, "169.254.169.254", Metadata},
		{"local, ecs metadata", local, "169.254.170.2", Metadata},
		{"local, imds v6", local, "fd00:ec2::254", Metadata},
		{"local, link-local v4", local, "169.254.1.1", LinkLocal},
		{"local, link-local v6", local, "fe80::1", LinkLocal},
		{"local, v4-mapped imds", local, "::ffff:169.254.169.254", Metadata},
		{"local, nat64 imds", local, "64:ff9b::a9fe:a9fe", Metadata},
		{"allowed by * still not imds", Guard{Allow: [][]string{{"*"}}}, "169.254.169.254", Metadata},
		// Locally loopback is fine; on AWS it is not, even when listed.
		{"local, loopback", local, "127.0.0.1", ""},
		{"aws, loopback listed", deploy, "127.0.0.1", Loopback},
		{"aws, unspecified", Guard{Allow: [][]string{{"*"}}, DenyLoopback: true}, "0.0.0.0", Unspecified},
		{"aws, v6 loopback", Guard{Allow: [][]string{{"*"}}, DenyLoopback: true}, "::1", Loopback},
		// The lists.
		{"aws, allowed", deploy, "api.example.com", ""},
		{"aws, not allowed", deploy, "evil.example.net", NotAllowed},
		{"deny by default", Guard{Allow: [][]string{{}}}, "api.example.com", NotAllowed},
		// A spec's list narrows the deployment's.
		{"narrowed", deploy.With([]string{"api.example.com"}), "other.example.com", NotAllowed},
		{"narrowed, allowed", deploy.With([]string{"api.example.com"}), "api.example.com", ""},
		{"never widened", deploy.With([]string{"evil.example.net"}), "evil.example.net", NotAllowed},
		{"narrowed by nothing", deploy.With(nil), "api.example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Host(tt.host)
			var ge *Error
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Host(%q) = %v; want allowed", tt.host, err)
			case tt.want != "" && !errors.As(err, &ge):
				t.Errorf("Host(%q) = %v; want an *Error (%s)", tt.host, err, tt.want)
			case tt.want != "" && ge.Reason != tt.want:
				t.Errorf("Host(%q) refused for %s (%v); want %s", tt.host, ge.Reason, err, tt.want)
			}
		})
	}
	if len(deploy.Allow) != 1 {
		t.Errorf("With changed the guard it was called on: %d lists", len(deploy.Allow))
	}
}

func TestErrorMessageAndClass(t *testing.T) {
	g := Guard{Allow: [][]string{{"*.example.com"}}}
	err := g.Host("evil.example.net")
	if got, want := err.Error(), `host "evil.example.net" is not on the allow-list`; got != want {
		t.Errorf("message %q; want %q", got, want)
	}
	err = Guard{}.Addr("meta.test", netip.MustParseAddr("169.254.169.254"))
	if got := err.Error(); !strings.Contains(got, `host "meta.test" resolves to 169.254.169.254, an instance-metadata address`) {
		t.Errorf("message %q", got)
	}
	if c, d := errclass.Classify(&net.OpError{Op: "dial", Net: "tcp", Err: err}); c != errclass.ForbiddenHost || d != string(Metadata) {
		t.Errorf("class %v %q; want forbidden_host metadata", c, d)
	}
}

func TestCheckPattern(t *testing.T) {
	for p, ok := range map[string]bool{"*": true, "*.example.com": true, "api.example.com": true, "127.0.0.1": true,
		"::1": true, "[::1]": true, "https://api.example.com": false, "api.example.com:443": false, "": false,
		"*.": false, "a/b": false, "a*b": false} {
		if err := CheckPattern(p); (err == nil) != ok {
			t.Errorf("CheckPattern(%q) = %v; want ok %v", p, err, ok)
		}
	}
}

// TestDialer: the name is checked, then every address; only a checked
// address is dialed, and a refused dial never reaches Dial.
func TestDialer(t *testing.T) {
	var dialed atomic.Int64
	var to []string
	d := &Dialer{Guard: Guard{Allow: [][]string{{"*.test"}}},
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			return map[string][]netip.Addr{
				"ok.test":    {netip.MustParseAddr("192.0.2.1")},
				"meta.test":  {netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("169.254.169.254")},
				"empty.test": nil,
			}[host], nil
		},
		Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
			dialed.Add(1)
			to = append(to, addr)
			return nil, errors.New("no network here")
		}}
	ctx := context.Background()
	if _, err := d.DialContext(ctx, "tcp", "ok.test:80"); err == nil || IsRefusal(err) || len(to) != 1 || to[0] != "192.0.2.1:80" {
		t.Errorf("ok.test: %v, dialed %v; want a dial of 192.0.2.1:80", err, to)
	}
	for _, addr := range []string{"meta.test:80", "evil.example:80", "169.254.169.254:80"} {
		if _, err := d.DialContext(ctx, "tcp", addr); !IsRefusal(err) {
			t.Errorf("%s: %v; want a refusal", addr, err)
		}
	}
	var dnsErr *net.DNSError
	if _, err := d.DialContext(ctx, "tcp", "empty.test:80"); !errors.As(err, &dnsErr) {
		t.Errorf("a name without addresses: %v; want a *net.DNSError", err)
	}
	if n := dialed.Load(); n != 1 {
		t.Errorf("%d dials; want 1 (only ok.test's)", n)
	}
}
