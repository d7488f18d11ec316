package hostguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
)

// Dialer opens connections through a Guard: the host name being dialed is
// checked against the allow-lists, then every address it resolves to, and
// only a checked address is dialed. A name with one forbidden address is
// refused whole: a name that points at the metadata service is not a target.
type Dialer struct {
	Guard Guard
	// Resolve maps a host name to its addresses; nil uses the system
	// resolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial opens a connection to an "IP:port"; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Lookup checks host and resolves it, returning its addresses once every
// one passed the guard; a refusal is an *Error, a failed lookup a
// *net.DNSError.
func (d *Dialer) Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if err := d.Guard.Host(host); err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	var addrs []netip.Addr
	var err error
	if d.Resolve != nil {
		addrs, err = d.Resolve(ctx, host)
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	if err == nil && len(addrs) == 0 {
		err = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if err != nil {
		return nil, err
	}
	for i, a := range addrs {
		if err := d.Guard.Addr(host, a); err != nil {
			return nil, err
		}
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}

// DialContext dials addr ("host:port") once the guard allowed the host and
// every address it resolves to; it tries those addresses in order until
// one answers. A refusal is an *Error and sends nothing.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := d.Lookup(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	dial := d.Dial
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	var errs []error
	for _, a := range addrs {
		c, err := dial(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errs[0] // the first address's error, as net.Dialer reports
}

// IsRefusal reports whether err is (or wraps) a guard's refusal.
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
