package health

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// tcpAddr is an address as /proc/net/tcp{,6} prints it: the hex digits of
// each 32-bit word of the address read as a number in the kernel's byte
// order, and the port as a plain number. An IPv4 line has one word, in w[3].
type tcpAddr struct {
	w    [4]uint32
	port uint16
	v4   bool
}

// kernelAddrs returns the forms a socket whose remote address is d takes in
// /proc/net/tcp{,6} on a big- or little-endian kernel. An IPv4 d, or an
// IPv4-mapped IPv6 d, appears in tcp from AF_INET sockets and in tcp6, as
// ::ffff:a.b.c.d, from AF_INET6 sockets; an IPv6 d only in tcp6. Zones are
// ignored: the kernel does not print them.
func kernelAddrs(d netip.AddrPort, big bool) (forms [2]tcpAddr, n int) {
	a16 := d.Addr().As16() // IPv4 comes back as ::ffff:a.b.c.d
	v6 := tcpAddr{port: d.Port()}
	for i := range v6.w {
		if big {
			v6.w[i] = binary.BigEndian.Uint32(a16[4*i:])
		} else {
			v6.w[i] = binary.LittleEndian.Uint32(a16[4*i:])
		}
	}
	if !d.Addr().Unmap().Is4() {
		return [2]tcpAddr{v6}, 1
	}
	v4 := tcpAddr{w: [4]uint32{3: v6.w[3]}, port: d.Port(), v4: true}
	return [2]tcpAddr{v4, v6}, 2
}

// tcpEntry is what countTCP needs from one line of /proc/net/tcp.
type tcpEntry struct {
	remote tcpAddr
	state  uint8
}

// Errors of parseTCPLine. They are values, so a bad line costs no
// allocation until countTCP adds its line number.
var (
	errSlot   = fmt.Errorf("%w: slot field", ErrMalformed)
	errFields = fmt.Errorf("%w: too few fields", ErrMalformed)
	errAddr   = fmt.Errorf("%w: remote address", ErrMalformed)
	errState  = fmt.Errorf("%w: state", ErrMalformed)
)

// parseTCPLine parses the first four fields of a line of /proc/net/tcp or
// /proc/net/tcp6 and ignores the rest:
//
//	sl  local_address rem_address   st tx_queue …
//	 0: 0100007F:C000 0100007F:1F90 01 00000000:00000000 …
//
// ok is false, with a nil error, for the header line and for blank lines.
func parseTCPLine(line []byte) (e tcpEntry, ok bool, err error) {
	s, i := field(line, 0)
	if s == i {
		return tcpEntry{}, false, nil
	}
	if slot := line[s:i]; string(slot) == "sl" {
		return tcpEntry{}, false, nil
	} else if len(slot) < 2 || slot[len(slot)-1] != ':' {
		return tcpEntry{}, false, errSlot
	}
	rest := line[i:]
	if e, ok := parseFixed(rest, 8+1+4); ok {
		return e, true, nil
	}
	if e, ok := parseFixed(rest, 32+1+4); ok {
		return e, true, nil
	}
	return parseFields(rest)
}

// parseFixed is the fast path of parseTCPLine: it parses rest, what follows
// the slot, when it has the layout the kernel prints, one space before each
// of two w-byte addresses and a 2-digit state. It agrees with parseFields
// whenever it reports ok.
func parseFixed(rest []byte, w int) (tcpEntry, bool) {
	n := 1 + w + 1 + w + 1 + 2
	if len(rest) < n || rest[0] != ' ' || rest[1+w] != ' ' || rest[2+2*w] != ' ' ||
		(len(rest) > n && rest[n] != ' ') || bytes.IndexByte(rest[1:1+w], ' ') >= 0 {
		return tcpEntry{}, false
	}
	remote, ok := parseTCPAddr(rest[2+w : 2+2*w])
	hi, lo := unhex[rest[n-2]], unhex[rest[n-1]]
	if !ok || (hi|lo)&bad != 0 {
		return tcpEntry{}, false
	}
	return tcpEntry{remote: remote, state: hi<<4 | lo}, true
}

// parseFields parses rest, what follows the slot, field by field.
func parseFields(rest []byte) (tcpEntry, bool, error) {
	s, i := field(rest, 0) // local_address
	if s == i {
		return tcpEntry{}, false, errFields
	}
	s, i = field(rest, i) // rem_address
	if s == i {
		return tcpEntry{}, false, errFields
	}
	remote, ok := parseTCPAddr(rest[s:i])
	if !ok {
		return tcpEntry{}, false, errAddr
	}
	s, i = field(rest, i) // st
	if i-s != 2 {
		return tcpEntry{}, false, errState
	}
	hi, lo := unhex[rest[s]], unhex[rest[s+1]]
	if (hi|lo)&bad != 0 {
		return tcpEntry{}, false, errState
	}
	return tcpEntry{remote: remote, state: hi<<4 | lo}, true, nil
}

// field returns the bounds of the space-separated field at or after i.
func field(line []byte, i int) (start, end int) {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	start = i
	for i < len(line) && line[i] != ' ' {
		i++
	}
	return start, i
}

// parseTCPAddr parses "0100007F:1F90" (IPv4) or 32 hex digits, a colon and
// a 4-digit port (IPv6).
func parseTCPAddr(b []byte) (a tcpAddr, ok bool) {
	n := len(b)
	if (n != 8+1+4 && n != 32+1+4) || b[n-5] != ':' {
		return a, false
	}
	port, ok := hex32(b[n-4:])
	if !ok {
		return a, false
	}
	a.port = uint16(port)
	if n == 8+1+4 {
		a.v4 = true
		a.w[3], ok = hex32(b[:8])
		return a, ok
	}
	for i := range a.w {
		if a.w[i], ok = hex32(b[8*i : 8*i+8]); !ok {
			return a, false
		}
	}
	return a, true
}

// hex32 parses up to 8 hex digits.
func hex32(b []byte) (uint32, bool) {
	var v uint32
	var or byte
	for _, c := range b {
		d := unhex[c]
		or |= d
		v = v<<4 | uint32(d&0xf)
	}
	return v, or&bad == 0 && len(b) <= 8
}

// bad marks a byte that is not a hex digit in unhex.
const bad = 0x10

// unhex maps a hex digit to its value and every other byte to bad.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = bad
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()
