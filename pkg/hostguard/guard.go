package hostguard

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// Guard decides which hosts and addresses a run may contact. The zero value
// allows every host and refuses only the addresses that are never allowed
// (a local run without an allow-list).
type Guard struct {
	// Allow are allow-lists of patterns (see the package comment): a host
	// must match a pattern of each. No list allows every host; an empty list
	// allows none (a deployment without an allow-list: deny by default).
	Allow [][]string
	// DenyLoopback refuses loopback and unspecified addresses too: on AWS
	// they are the worker's own host (Lambda's runtime API, a task's agents).
	DenyLoopback bool
}

// With returns g narrowed by patterns (a spec's allow_hosts): a host must
// match them as well, so a spec narrows a deployment's list and never
// widens it. No patterns leave g as it is; g itself is not changed.
func (g Guard) With(patterns []string) Guard {
	if len(patterns) > 0 {
		g.Allow = append(slices.Clip(g.Allow), slices.Clone(patterns))
	}
	return g
}

// Host checks a host name (or an IP literal, which must then pass Addr
// too) against the allow-lists. It returns nil or an *Error.
func (g Guard) Host(host string) error {
	for _, list := range g.Allow {
		if !Allows(list, host) {
			return &Error{Host: host, Reason: NotAllowed}
		}
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return g.Addr(host, a)
	}
	return nil
}

// Addr checks address a, which host resolved to (host may be a itself). It
// returns nil or an *Error.
func (g Guard) Addr(host string, a netip.Addr) error {
	if r := g.reason(a); r != "" {
		return &Error{Host: host, Addr: a.WithZone("").Unmap(), Reason: r}
	}
	return nil
}

var (
	linkLocal4 = netip.MustParsePrefix("169.254.0.0/16")
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	this4      = netip.MustParsePrefix("0.0.0.0/8")
	metadata   = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // EC2 instance metadata (IMDS)
		netip.MustParseAddr("169.254.170.2"),   // ECS task metadata and credentials
		netip.MustParseAddr("fd00:ec2::254"),   // IMDS over IPv6
	}
)

// reason says why a may not be contacted, or "".
func (g Guard) reason(a netip.Addr) Reason {
	a = a.WithZone("").Unmap()
	if nat64.Contains(a) { // NAT64 reaches the IPv4 address in its last 4 bytes
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case slices.Contains(metadata, a):
		return Metadata
	case linkLocal4.Contains(a) || a.Is6() && a.IsLinkLocalUnicast():
		return LinkLocal
	case g.DenyLoopback && a.IsLoopback():
		return Loopback
	case g.DenyLoopback && (a.IsUnspecified() || this4.Contains(a)):
		return Unspecified
	}
	return ""
}

// Allows reports whether host matches one of patterns: a host name exactly
// (letters in any case), "*.suffix" for the domain suffix and its
// subdomains, "*" for every host. An IPv6 host may be written with or
// without brackets.
func Allows(patterns []string, host string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	for _, p := range patterns {
		p = strings.ToLower(strings.Trim(strings.TrimSpace(p), "[]"))
		switch {
		case p == "*" || p == host:
			return true
		case strings.HasPrefix(p, "*.") && (host == p[2:] || strings.HasSuffix(host, p[1:])):
			return true
		}
	}
	return false
}

// Split reads a comma-separated list of patterns (an environment variable,
// a flag), dropping blanks.
func Split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// CheckPattern reports whether p is a pattern Allows understands: "*",
// "*.domain", a host name or an IP address, without scheme, port or path.
func CheckPattern(p string) error {
	host := strings.TrimPrefix(p, "*.")
	switch {
	case p == "*":
		return nil
	case host == "":
		return fmt.Errorf("%q is empty (want a host, *.domain or *)", p)
	case strings.ContainsAny(host, "/:@?#* \t") && !isIP(host):
		return fmt.Errorf("%q is not a host pattern (want a host such as api.example.com, *.example.com or *; no scheme, port or path)", p)
	}
	return nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil
}

// Reason is why a host or address is refused; it is the detail of the
// error class forbidden_host.
type Reason string

// Reasons.
const (
	NotAllowed  Reason = "not_allowed" // the host is on no allow-list pattern
	Metadata    Reason = "metadata"    // an instance-metadata address
	LinkLocal   Reason = "link_local"  // a link-local address
	Loopback    Reason = "loopback"    // a loopback address, on AWS
	Unspecified Reason = "unspecified" // 0.0.0.0/8 or ::, which reach the host itself, on AWS
)

// Error is a host or address the guard refused.
type Error struct {
	Host   string     // the host name (or IP literal) being checked
	Addr   netip.Addr // the address refused; zero when the name itself is
	Reason Reason
}

func (e *Error) Error() string {
	if e.Reason == NotAllowed {
		return fmt.Sprintf("host %q is not on the allow-list", e.Host)
	}
	what := map[Reason]string{
		Metadata:    "an instance-metadata address, which is never contacted",
		LinkLocal:   "a link-local address, which is never contacted",
		Loopback:    "a loopback address, which workers on AWS never contact",
		Unspecified: "an unspecified address (it reaches the worker's own host), which workers on AWS never contact",
	}[e.Reason]
	if a, err := netip.ParseAddr(strings.Trim(e.Host, "[]")); err == nil && a.WithZone("") == e.Addr {
		return fmt.Sprintf("host %q is %s", e.Host, what)
	}
	return fmt.Sprintf("host %q resolves to %s, %s", e.Host, e.Addr, what)
}

// ErrorClass implements errclass.Classer: forbidden_host, with the reason
// as its detail.
func (e *Error) ErrorClass() (errclass.Class, string) {
	return errclass.ForbiddenHost, string(e.Reason)
}
