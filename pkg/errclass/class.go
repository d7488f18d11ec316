package errclass

import "fmt"

// Class is the class of a request error: one of a small, fixed set of values,
// so that counters indexed by Class stay bounded however many distinct error
// messages a run produces. The zero value is None.
type Class uint8

// The classes, in the order of the contract's list. Their names, as returned
// by String and accepted by Parse, are the contract's names.
const (
	None             Class = iota // no error: "none"
	Timeout                       // a read, write or overall deadline passed: "timeout"
	ConnectRefused                // the dial got ECONNREFUSED: "connect_refused"
	ConnectTimeout                // the dial did not complete in time: "connect_timeout"
	AddrInUse                     // EADDRINUSE or EADDRNOTAVAIL, i.e. ephemeral ports exhausted: "addr_in_use"
	TooManyOpenFiles              // EMFILE or ENFILE: "too_many_open_files"
	DNS                           // name resolution failed: "dns"
	TLS                           // the TLS handshake or a TLS record failed: "tls"
	Reset                         // the peer reset the connection or the HTTP/2 stream: "reset"
	EOF                           // the peer closed the connection early: "eof"
	GoAway                        // HTTP/2 GOAWAY; the code goes in the detail: "goaway"
	RefusedStream                 // HTTP/2 RST_STREAM with REFUSED_STREAM: "refused_stream"
	Canceled                      // the request's context was canceled: "canceled"
	Other                         // anything else: "other"
	Unexpected                    // a journey step answered with a status it does not expect: "unexpected_status"
	Extract                       // a value a later journey step needs was not in a response: "extract"
	Protocol                      // the peer does not speak the protocol asked for, or breaks it: "protocol"
	ForbiddenHost                 // the host or its address may not be contacted (pkg/hostguard): "forbidden_host"

	// NumClasses is the number of classes, for arrays indexed by Class:
	// var counts [errclass.NumClasses]int64.
	NumClasses
)

// names holds the wire name of every class, indexed by Class.
var names = [NumClasses]string{
	None:             "none",
	Timeout:          "timeout",
	ConnectRefused:   "connect_refused",
	ConnectTimeout:   "connect_timeout",
	AddrInUse:        "addr_in_use",
	TooManyOpenFiles: "too_many_open_files",
	DNS:              "dns",
	TLS:              "tls",
	Reset:            "reset",
	EOF:              "eof",
	GoAway:           "goaway",
	RefusedStream:    "refused_stream",
	Canceled:         "canceled",
	Other:            "other",
	Unexpected:       "unexpected_status",
	Extract:          "extract",
	Protocol:         "protocol",
	ForbiddenHost:    "forbidden_host",
}

// String returns the contract's name of c, such as "connect_refused", or
// "invalid" for a value outside the enum. It does not allocate.
func (c Class) String() string {
	if c < NumClasses {
		return names[c]
	}
	return "invalid"
}

// Valid reports whether c is one of the declared classes (None included).
func (c Class) Valid() bool { return c < NumClasses }

// Parse returns the class whose String is s. It is exact: no trimming, no
// case folding. "none" parses as None; "invalid" does not parse.
func Parse(s string) (Class, bool) {
	for c, name := range names {
		if name == s {
			return Class(c), true
		}
	}
	return None, false
}

// MarshalText implements encoding.TextMarshaler, so that Class fields and
// map[Class]int64 keys are written as the contract's names in JSON.
func (c Class) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("errclass: cannot marshal invalid class %d", uint8(c))
	}
	return []byte(names[c]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts exactly the
// names that Parse accepts.
func (c *Class) UnmarshalText(text []byte) error {
	v, ok := Parse(string(text))
	if !ok {
		return fmt.Errorf("errclass: unknown error class %q", text)
	}
	*c = v
	return nil
}
