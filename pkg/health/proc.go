package health

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultRoot is where Linux mounts procfs.
const DefaultRoot = "/proc"

// bufSize is the size of the buffer a Proc reuses for every read. It holds a
// few hundred /proc/net/tcp lines, so a 30,000-line file takes about 70 reads.
const bufSize = 64 << 10

// ErrMalformed is wrapped by every error about a /proc file whose content
// does not have the expected shape.
var ErrMalformed = errors.New("malformed procfs content")

// Proc reads process and host state from procfs.
//
// The zero value reads the real /proc. A Proc is safe for concurrent use: its
// methods take turns on one reused buffer, which is what lets a sampler read a
// 30,000-line /proc/net/tcp every second without allocating per line. A Proc
// must not be copied after first use.
type Proc struct {
	// Root is the procfs mount point; "" means DefaultRoot. Tests point it
	// at a fake tree. Only when Root is the real /proc does Self use system
	// calls (getrusage, getrlimit) for figures that also exist as files.
	Root string

	// order is the byte order of the kernel that wrote Root's files: nil
	// means this host's, else binary.LittleEndian or binary.BigEndian.
	// Tests set it for fixtures written on little-endian hosts.
	order binary.ByteOrder

	mu  sync.Mutex
	buf []byte  // read buffer, reused by every method
	m   matcher // TCPStates' destinations and counts, reused
}

// Snapshot is the state of this process at one instant.
type Snapshot struct {
	// Taken is when the snapshot was read (time.Now, with its monotonic
	// reading): pass cur.Taken.Sub(prev.Taken) to CPUPercent.
	Taken time.Time
	// CPUTime is user plus system CPU time used by all threads so far.
	CPUTime time.Duration
	// SysCPUTime is the system (kernel) part of CPUTime: system calls, the
	// TCP/IP work done on behalf of the process's sockets, page faults.
	SysCPUTime time.Duration
	// RSSBytes is the current resident set size (VmRSS).
	RSSBytes int64
	// PeakRSSBytes is the largest resident set size so far (VmHWM).
	PeakRSSBytes int64
	// OpenFDs is the number of open file descriptors, not counting the one
	// used to count them.
	OpenFDs int
	// FDLimit is the soft RLIMIT_NOFILE; math.MaxInt if unlimited.
	FDLimit int
	// Threads is the number of OS threads in the process.
	Threads int
}

// root returns the procfs mount point in use.
func (p *Proc) root() string {
	if p.Root == "" {
		return DefaultRoot
	}
	return p.Root
}

// isReal reports whether p reads the running kernel's /proc about this
// process, so that system calls give the same figures more precisely.
func (p *Proc) isReal() bool {
	return filepath.Clean(p.root()) == DefaultRoot
}

// hostBigEndian reports whether this host puts the most significant byte
// of a number first.
var hostBigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// bigEndian reports whether the kernel that wrote p's files is big-endian.
// (A bool, not the binary.ByteOrder: calling an interface method with a
// slice would make each destination's bytes escape to the heap.)
func (p *Proc) bigEndian() bool {
	switch p.order {
	case binary.BigEndian:
		return true
	case binary.LittleEndian:
		return false
	default: // nil or binary.NativeEndian
		return hostBigEndian
	}
}

// path joins name to the procfs root.
func (p *Proc) path(name string) string {
	return filepath.Join(p.root(), name)
}

// Self reads a Snapshot of this process. It fills every figure it can: on
// error, the snapshot still holds the figures that were read and the error
// names each one that was not.
func (p *Proc) Self() (Snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Snapshot{Taken: time.Now()}
	var errs []error
	if err := p.readStatus(&s); err != nil {
		errs = append(errs, err)
	}
	if err := p.readCPU(&s); err != nil {
		errs = append(errs, err)
	}
	if err := p.readFDs(&s); err != nil {
		errs = append(errs, err)
	}
	if err := p.readFDLimit(&s); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// PortRange is the range of local ports the kernel picks from for outgoing
// connections (net.ipv4.ip_local_port_range; it applies to IPv6 as well).
type PortRange struct {
	// Low is the first port of the range.
	Low int
	// High is the last port of the range, inclusive.
	High int
}

// Size returns the number of ports in r: High − Low + 1, or 0 if r is
// empty or starts at port 0 (as the zero PortRange does). The Linux default,
// 32768–60999, holds 28,232 ports.
func (r PortRange) Size() int {
	if r.Low < 1 || r.High < r.Low {
		return 0
	}
	return r.High - r.Low + 1
}

// String returns r as "low-high".
func (r PortRange) String() string {
	return fmt.Sprintf("%d-%d", r.Low, r.High)
}

// PortRange reads sys/net/ipv4/ip_local_port_range.
func (p *Proc) PortRange() (PortRange, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := p.path("sys/net/ipv4/ip_local_port_range")
	b, err := p.readFile(name)
	if err != nil {
		return PortRange{}, fmt.Errorf("health: %w", err)
	}
	r, err := parsePortRange(b)
	if err != nil {
		return PortRange{}, fmt.Errorf("health: %s: %w", name, err)
	}
	return r, nil
}

// parsePortRange parses "32768\t60999\n".
func parsePortRange(b []byte) (PortRange, error) {
	lo, rest, ok1 := nextUint(b)
	hi, rest, ok2 := nextUint(rest)
	if !ok1 || !ok2 || len(trimSpace(rest)) != 0 || lo > 65535 || hi > 65535 {
		return PortRange{}, fmt.Errorf("%w: port range %q", ErrMalformed, b)
	}
	return PortRange{Low: int(lo), High: int(hi)}, nil
}

// readFile reads the whole of name into p.buf, growing it if needed, and
// returns the bytes read; they are valid until the next use of p.buf.
// procfs files report size 0, so it reads until EOF.
func (p *Proc) readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if p.buf == nil {
		p.buf = make([]byte, bufSize)
	}
	n := 0
	for {
		if n == len(p.buf) {
			p.buf = append(p.buf, make([]byte, len(p.buf))...)
		}
		m, err := f.Read(p.buf[n:])
		n += m
		if err == io.EOF {
			return p.buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// isSpace reports whether c separates fields in procfs files.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n'
}

// trimSpace returns b without leading and trailing spaces, tabs and newlines.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// nextUint skips leading white space, parses the decimal number that follows
// and returns it with the rest of b. It does not allocate.
func nextUint(b []byte) (v uint64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	start := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (1<<63-1-d)/10 {
			return 0, b, false // would overflow int64
		}
		v = v*10 + d
	}
	if i == start || (i < len(b) && !isSpace(b[i])) {
		return 0, b, false
	}
	return v, b[i:], true
}
