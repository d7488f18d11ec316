package health

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseTCPLine(t *testing.T) {
	v4 := func(ip string, port uint16) tcpAddr {
		return tcpAddr{w: [4]uint32{3: leWord(netip.MustParseAddr(ip).As4())}, port: port, v4: true}
	}
	tests := []struct {
		name    string
		line    string
		want    tcpEntry
		wantOK  bool
		wantErr error
	}{
		// The kernel's IPv4 header line is skipped.
		{"v4 header", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", tcpEntry{}, false, nil},
		// A blank line, such as a trailing one, is skipped.
		{"blank", "   ", tcpEntry{}, false, nil},
		// 127.0.0.1 is 7F 00 00 01 on the wire, printed little-endian as 0100007F; the port is plain.
		{"v4 established", "   1: 0100007F:C000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 40001 1", tcpEntry{v4("127.0.0.1", 8080), 1}, true, nil},
		// A TIME_WAIT line has fewer trailing fields; only the first four matter.
		{"v4 time wait", "   2: 0100007F:C001 0100007F:1F90 06 00000000:00000000 03:00001700 00000000     0        0 0 3", tcpEntry{v4("127.0.0.1", 8080), 6}, true, nil},
		// Four figures of slot number and lower-case hex are accepted.
		{"lower case, wide slot", "1234: 0100007f:c000 2206010a:01bb 0b", tcpEntry{v4("10.1.6.34", 443), 0x0b}, true, nil},
		// ::1 is fifteen zero bytes and a one: its last word prints as 01000000.
		{"v6 loopback", "   1: 00000000000000000000000001000000:C100 00000000000000000000000001000000:1F90 01 00000000:00000000", tcpEntry{tcpAddr{w: [4]uint32{3: 0x01000000}, port: 8080}, 1}, true, nil},
		// ::ffff:127.0.0.1 keeps the mapped prefix in its third word.
		{"v4-mapped", "   3: 0000000000000000FFFF00000100007F:C003 0000000000000000FFFF00000100007F:1F90 06", tcpEntry{tcpAddr{w: [4]uint32{0, 0, 0xFFFF0000, 0x0100007F}, port: 8080}, 6}, true, nil},
		// A slot without its colon is not a socket line.
		{"bad slot", "   1 0100007F:C000 0100007F:1F90 01", tcpEntry{}, false, errSlot},
		// A line cut after the local address.
		{"cut after local", "   1: 0100007F:C000", tcpEntry{}, false, errFields},
		// Seven hex digits of address.
		{"short address", "   1: 0100007F:C000 100007F:1F90 01", tcpEntry{}, false, errAddr},
		// A non-hex digit in the address.
		{"bad hex", "   1: 0100007F:C000 0100007G:1F90 01", tcpEntry{}, false, errAddr},
		// The port must follow the only colon, four digits from the end.
		{"bad port", "   1: 0100007F:C000 0100007F1F90: 01", tcpEntry{}, false, errAddr},
		// No state column.
		{"no state", "   1: 0100007F:C000 0100007F:1F90", tcpEntry{}, false, errState},
		// A state of one digit.
		{"short state", "   1: 0100007F:C000 0100007F:1F90 1 x", tcpEntry{}, false, errState},
		// A state that is not hex.
		{"bad state", "   1: 0100007F:C000 0100007F:1F90 0Z", tcpEntry{}, false, errState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseTCPLine([]byte(tt.line))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseTCPLine(%q) error = %v, want %v", tt.line, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("parseTCPLine(%q) error %v does not wrap ErrMalformed", tt.line, err)
			}
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("parseTCPLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// leWord is what a little-endian kernel prints for the 4 bytes b.
func leWord(b [4]byte) uint32 { return binary.LittleEndian.Uint32(b[:]) }

func TestKernelAddrs(t *testing.T) {
	tests := []struct {
		name string
		dst  string
		big  bool     // a big-endian kernel (s390x, ppc64)
		want []string // as the kernel prints them
	}{
		// IPv4 appears as one word in tcp and as ::ffff:a.b.c.d in tcp6.
		{"v4 loopback", "127.0.0.1:8080", false, []string{"0100007F:1F90", "0000000000000000FFFF00000100007F:1F90"}},
		// An IPv4-mapped destination is the same destination.
		{"v4-mapped", "[::ffff:127.0.0.1]:8080", false, []string{"0100007F:1F90", "0000000000000000FFFF00000100007F:1F90"}},
		// Byte order matters: 10.1.6.34 is printed 2206010A, not 0A010622.
		{"v4 asymmetric", "10.1.6.34:443", false, []string{"2206010A:01BB", "0000000000000000FFFF00002206010A:01BB"}},
		// ::1 has a single form.
		{"v6 loopback", "[::1]:8080", false, []string{"00000000000000000000000001000000:1F90"}},
		// Each 32-bit word is reversed on its own, not the whole address.
		{"v6 global", "[2001:db8::1]:443", false, []string{"B80D0120000000000000000001000000:01BB"}},
		// The kernel does not print zones.
		{"v6 zone", "[fe80::1%eth0]:80", false, []string{"000080FE000000000000000001000000:0050"}},
		// A big-endian kernel prints addresses in wire order.
		{"big-endian v4", "10.1.6.34:443", true, []string{"0A010622:01BB", "00000000000000000000FFFF0A010622:01BB"}},
		// And IPv6 too.
		{"big-endian v6", "[2001:db8::1]:443", true, []string{"20010DB8000000000000000000000001:01BB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := netip.MustParseAddrPort(tt.dst)
			forms, n := kernelAddrs(d, tt.big)
			var got []string
			for _, a := range forms[:n] {
				got = append(got, formatTCPAddr(a))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("kernelAddrs(%s, big=%v) = %v, want %v", tt.dst, tt.big, got, tt.want)
			}
			var o binary.ByteOrder = binary.LittleEndian
			if tt.big {
				o = binary.BigEndian
			}
			for _, a := range forms[:n] {
				if back := a.addrPort(o); back.Addr().Unmap() != d.Addr().WithZone("").Unmap() || back.Port() != d.Port() {
					t.Errorf("addrPort(%s) = %v, want %v", formatTCPAddr(a), back, d)
				}
			}
		})
	}
}

func TestBigEndian(t *testing.T) {
	tests := []struct {
		name  string
		order binary.ByteOrder
		want  bool
	}{
		// The zero Proc reads this host's kernel.
		{"host", nil, hostBigEndian},
		// So does NativeEndian.
		{"native", binary.NativeEndian, hostBigEndian},
		// Fixtures from x86-64 or arm64.
		{"little", binary.LittleEndian, false},
		// Fixtures from s390x.
		{"big", binary.BigEndian, true},
	}
	for _, tt := range tests {
		if got := (&Proc{order: tt.order}).bigEndian(); got != tt.want {
			t.Errorf("%s: bigEndian() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// addrPort converts a back to a netip.AddrPort, for a kernel with byte
// order o. IPv4-mapped IPv6 addresses are kept as they are.
func (a tcpAddr) addrPort(o binary.ByteOrder) netip.AddrPort {
	var b [16]byte
	for i, w := range a.w {
		o.PutUint32(b[4*i:], w)
	}
	ip := netip.AddrFrom16(b)
	if a.v4 {
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	return netip.AddrPortFrom(ip, a.port)
}

// formatTCPAddr prints a as the kernel does.
func formatTCPAddr(a tcpAddr) string {
	if a.v4 {
		return fmt.Sprintf("%08X:%04X", a.w[3], a.port)
	}
	return fmt.Sprintf("%08X%08X%08X%08X:%04X", a.w[0], a.w[1], a.w[2], a.w[3], a.port)
}

func TestTCPStatesFixture(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name string
		dst  []netip.AddrPort
		want TCPCounts
	}{
		// Two v4 lines in tcp plus the v4-mapped line in tcp6; the server side
		// (remote 127.0.0.1:49152) and the listener do not count.
		{"v4 loopback", []netip.AddrPort{ap("127.0.0.1:8080")}, TCPCounts{Established: 2, TimeWait: 2}},
		// The mapped spelling of the same destination counts the same sockets.
		{"v4-mapped spelling", []netip.AddrPort{ap("[::ffff:127.0.0.1]:8080")}, TCPCounts{Established: 2, TimeWait: 2}},
		// A destination twice counts once.
		{"duplicate", []netip.AddrPort{ap("127.0.0.1:8080"), ap("[::ffff:127.0.0.1]:8080")}, TCPCounts{Established: 2, TimeWait: 2}},
		// Only tcp6 has ::1.
		{"v6 loopback", []netip.AddrPort{ap("[::1]:8080")}, TCPCounts{Established: 1, TimeWait: 1}},
		// Several destinations add up.
		{"two destinations", []netip.AddrPort{ap("127.0.0.1:8080"), ap("[::1]:8080")}, TCPCounts{Established: 3, TimeWait: 3}},
		// Every state bucket, one from tcp6 as ::ffff:10.1.6.34; port 80 does not count.
		{"all buckets", []netip.AddrPort{ap("10.1.6.34:443")}, TCPCounts{Established: 1, SynSent: 1, TimeWait: 1, Other: 1}},
		// The byte-swapped address is another host, with its own line.
		{"byte-swapped host", []netip.AddrPort{ap("34.6.1.10:443")}, TCPCounts{Established: 1}},
		// v6 with CLOSING (0B) as Other.
		{"v6 global", []netip.AddrPort{ap("[2001:db8::1]:443")}, TCPCounts{Established: 1, Other: 1}},
		// The server side matches when its client is the destination.
		{"server side", []netip.AddrPort{ap("127.0.0.1:49152")}, TCPCounts{Established: 1}},
		// No socket goes to this port.
		{"no match", []netip.AddrPort{ap("127.0.0.1:9999")}, TCPCounts{}},
		// No destinations: all 17 sockets, listeners (0A) as Other.
		{"all", nil, TCPCounts{Established: 7, SynSent: 1, TimeWait: 5, Other: 4}},
	}
	p := fixture()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.TCPStates(tt.dst)
			if err != nil {
				t.Fatalf("TCPStates(%v): %v", tt.dst, err)
			}
			if got != tt.want {
				t.Errorf("TCPStates(%v) = %+v, want %+v", tt.dst, got, tt.want)
			}
		})
	}
}

func TestTCPStatesByDest(t *testing.T) {
	ap := netip.MustParseAddrPort
	dst := []netip.AddrPort{
		ap("127.0.0.1:8080"),          // 0: two in tcp, one v4-mapped in tcp6
		ap("[::1]:8080"),              // 1: tcp6 only
		ap("[::ffff:127.0.0.1]:8080"), // 2: the same destination as 0
		ap("10.1.6.34:443"),           // 3: one of each state bucket
		ap("127.0.0.1:9999"),          // 4: nothing
	}
	want := []TCPCounts{
		{Established: 2, TimeWait: 2},
		{Established: 1, TimeWait: 1},
		{Established: 2, TimeWait: 2},
		{Established: 1, SynSent: 1, TimeWait: 1, Other: 1},
		{},
	}
	p := fixture()
	got, err := p.TCPStatesByDest(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("TCPStatesByDest(%v) =\n%+v, want\n%+v", dst, got, want)
	}
	// TCPStates counts each socket once, however often its destination is given.
	total, err := p.TCPStates(dst)
	if wantTotal := (TCPCounts{Established: 4, SynSent: 1, TimeWait: 4, Other: 1}); err != nil || total != wantTotal {
		t.Errorf("TCPStates(%v) = %+v, %v; want %+v", dst, total, err, wantTotal)
	}
	if got, err := p.TCPStatesByDest(nil); got != nil || err != nil {
		t.Errorf("TCPStatesByDest(nil) = %v, %v; want nil, nil", got, err)
	}
}

func TestTCPStatesErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "net/tcp", "  sl  local_address rem_address   st\n   0: 0100007F:C000 0100007F:1F90 01\n   1: 0100007F:C000\n")
	tests := []struct {
		name string
		p    *Proc
		dst  []netip.AddrPort
		want error
	}{
		// A zero AddrPort is a caller's bug.
		{"invalid destination", fixture(), []netip.AddrPort{{}}, nil},
		// No net/tcp at all is an error (a missing net/tcp6 is not: see dir).
		{"no tcp file", &Proc{Root: t.TempDir()}, nil, nil},
		// A cut line is reported with its line number.
		{"malformed line", &Proc{Root: dir}, nil, errFields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.TCPStates(tt.dst)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("TCPStates() = %+v, %v; want error %v", got, err, tt.want)
			}
			if got != (TCPCounts{}) {
				t.Errorf("TCPStates() counts = %+v on error, want zero", got)
			}
			t.Logf("error: %v", err)
		})
	}
	if _, err := (&Proc{Root: dir}).TCPStates(nil); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v does not name line 3", err)
	}
}

// TestCountTCPChunks feeds the fixture through buffers and reads of many
// sizes, so that lines are cut at every possible place.
func TestCountTCPChunks(t *testing.T) {
	data := append(readFixture(t, "net/tcp"), readFixture(t, "net/tcp6")...)
	m := newMatcher(t)
	if err := countTCP(bytes.NewReader(data), make([]byte, bufSize), m); err != nil {
		t.Fatal(err)
	}
	want := m.total()
	for size := 200; size <= 400; size += 7 {
		m := newMatcher(t)
		if err := countTCP(iotest.HalfReader(bytes.NewReader(data)), make([]byte, size), m); err != nil {
			t.Fatalf("buffer %d: %v", size, err)
		}
		if got := m.total(); got != want {
			t.Errorf("buffer %d: got %+v, want %+v", size, got, want)
		}
	}
	if err := countTCP(bytes.NewReader(data), make([]byte, 100), m); !errors.Is(err, errLineTooLong) {
		t.Errorf("buffer shorter than a line: error %v, want %v", err, errLineTooLong)
	}
}

func FuzzParseTCPLine(f *testing.F) {
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		for line := range strings.Lines(string(readFixture(f, name))) {
			f.Add(strings.TrimSuffix(line, "\n"))
		}
	}
	f.Add("   1: 0100007F:C000 0100007F:1F90")
	f.Add("sl")
	f.Add(":")
	f.Fuzz(func(t *testing.T, line string) {
		e, ok, err := parseTCPLine([]byte(line))
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		if !ok {
			return
		}
		// The fast path must agree with the field-by-field parser.
		_, i := field([]byte(line), 0)
		if slow, ok, err := parseFields([]byte(line[i:])); !ok || err != nil || slow != e {
			t.Fatalf("%q: parseTCPLine = %+v, parseFields = %+v, %v, %v", line, e, slow, ok, err)
		}
		// What parses must print and parse back to the same entry.
		again := fmt.Sprintf("0: 00000000:0000 %s %02X", formatTCPAddr(e.remote), e.state)
		e2, ok2, err2 := parseTCPLine([]byte(again))
		if err2 != nil || !ok2 || e2 != e {
			t.Fatalf("%q parsed as %+v; printed as %q it parses as %+v, %v, %v", line, e, again, e2, ok2, err2)
		}
	})
}

func FuzzCountTCP(f *testing.F) {
	f.Add(readFixture(f, "net/tcp"))
	f.Add(readFixture(f, "net/tcp6"))
	f.Add([]byte("   0: 0100007F:C000 0100007F:1F90 01\n\n   1: 0100007F:C000 0100007F:1F90 06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dst := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("[::1]:8080")}
		m := newMatcher(t, dst...)
		wantErr := countTCP(bytes.NewReader(data), make([]byte, bufSize), m)
		want := slices.Clone(m.counts)
		// One byte per read must give the same counts, or the same error.
		m = newMatcher(t, dst...)
		err := countTCP(iotest.OneByteReader(bytes.NewReader(data)), make([]byte, bufSize), m)
		if got := m.counts; fmt.Sprint(err) != fmt.Sprint(wantErr) || (err == nil && !slices.Equal(got, want)) {
			t.Fatalf("one byte per read: %+v, %v; whole: %+v, %v", got, err, want, wantErr)
		}
		// So must a buffer that holds two lines, unless a line does not fit.
		m = newMatcher(t, dst...)
		err = countTCP(bytes.NewReader(data), make([]byte, 300), m)
		if got := m.counts; !errors.Is(err, errLineTooLong) && (fmt.Sprint(err) != fmt.Sprint(wantErr) || (err == nil && !slices.Equal(got, want))) {
			t.Fatalf("300-byte buffer: %+v, %v; whole: %+v, %v", got, err, want, wantErr)
		}
	})
}
