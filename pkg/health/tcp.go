package health

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
)

// TCP states as the kernel numbers them (include/net/tcp_states.h) and
// prints them, in hex, in the st column of /proc/net/tcp.
const (
	stateEstablished = 0x01
	stateSynSent     = 0x02
	stateTimeWait    = 0x06
)

// TCPCounts counts TCP sockets by state.
type TCPCounts struct {
	// Established is the number of sockets in ESTABLISHED (01).
	Established int
	// SynSent is the number of sockets in SYN_SENT (02): connects waiting
	// for the peer's SYN-ACK.
	SynSent int
	// TimeWait is the number of sockets in TIME_WAIT (06): closed by this
	// side first, each still holding its local port for 60 s.
	TimeWait int
	// Other is the number of sockets in any other state.
	Other int
}

// Total returns the number of sockets counted, in any state.
func (c TCPCounts) Total() int {
	return c.Established + c.SynSent + c.TimeWait + c.Other
}

// plus returns the sum of c and d.
func (c TCPCounts) plus(d TCPCounts) TCPCounts {
	return TCPCounts{
		Established: c.Established + d.Established,
		SynSent:     c.SynSent + d.SynSent,
		TimeWait:    c.TimeWait + d.TimeWait,
		Other:       c.Other + d.Other,
	}
}

// add counts one socket in state st.
func (c *TCPCounts) add(st uint8) {
	switch st {
	case stateEstablished:
		c.Established++
	case stateSynSent:
		c.SynSent++
	case stateTimeWait:
		c.TimeWait++
	default:
		c.Other++
	}
}

// TCPStates counts, by state, the TCP sockets in net/tcp and net/tcp6 whose
// remote address is one of dst, each socket once. An IPv4 destination also
// matches AF_INET6 sockets connected to its IPv4-mapped form, and the other
// way round. If dst is empty, every socket counts, listening ones included.
//
// It reads each file in chunks into a reused buffer and allocates nothing
// per line. A missing net/tcp6 (IPv6 disabled) is not an error.
func (p *Proc) TCPStates(dst []netip.AddrPort) (TCPCounts, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.countTCPFiles(dst); err != nil {
		return TCPCounts{}, err
	}
	return p.m.total(), nil
}

// TCPStatesByDest is TCPStates for each destination on its own, from one
// pass over the files: counts[i] is what TCPStates(dst[i:i+1]) would return.
// Port budgets are per destination, and each pass costs the kernel ten
// times more than the parsing (see the package documentation), so ask for
// every destination at once.
func (p *Proc) TCPStatesByDest(dst []netip.AddrPort) ([]TCPCounts, error) {
	if len(dst) == 0 {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.countTCPFiles(dst); err != nil {
		return nil, err
	}
	counts := make([]TCPCounts, len(dst))
	for i, s := range p.m.dst {
		counts[i] = p.m.counts[s]
	}
	return counts, nil
}

// countTCPFiles counts net/tcp and net/tcp6 into p.m. It must be called
// with p.mu held.
func (p *Proc) countTCPFiles(dst []netip.AddrPort) error {
	if err := p.m.reset(dst, p.bigEndian()); err != nil {
		return fmt.Errorf("health: tcp states: %w", err)
	}
	if p.buf == nil {
		p.buf = make([]byte, bufSize)
	}
	if err := p.countFile(p.path("net/tcp")); err != nil {
		return err
	}
	err := p.countFile(p.path("net/tcp6"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// countFile adds the sockets of one /proc/net/tcp-style file to p.m.
func (p *Proc) countFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("health: tcp states: %w", err)
	}
	defer f.Close()
	if err := countTCP(f, p.buf, &p.m); err != nil {
		return fmt.Errorf("health: tcp states: %s: %w", name, err)
	}
	return nil
}

// matcher decides which sockets count, and where. Its slices are reused
// from call to call.
type matcher struct {
	keys   []tcpAddr   // remote addresses that count, in kernel form
	slots  []int       // slots[i] is the index in counts of keys[i]
	dst    []int       // dst[j] is the index in counts of destination j
	counts []TCPCounts // one per distinct destination, or one for all
	all    bool        // every socket counts, in counts[0]
}

// reset makes m count towards dst, for a big- or little-endian kernel,
// from zero. Destinations that are the same socket address share a slot.
func (m *matcher) reset(dst []netip.AddrPort, big bool) error {
	m.keys, m.slots, m.dst, m.counts = m.keys[:0], m.slots[:0], m.dst[:0], m.counts[:0]
	m.all = len(dst) == 0
	if m.all {
		m.counts = append(m.counts, TCPCounts{})
		return nil
	}
	for _, d := range dst {
		if !d.Addr().IsValid() {
			return fmt.Errorf("invalid destination %v", d)
		}
		forms, n := kernelAddrs(d, big)
		slot := len(m.counts)
		if i := slices.Index(m.keys, forms[0]); i >= 0 {
			slot = m.slots[i]
		} else {
			m.counts = append(m.counts, TCPCounts{})
			for _, k := range forms[:n] {
				m.keys = append(m.keys, k)
				m.slots = append(m.slots, slot)
			}
		}
		m.dst = append(m.dst, slot)
	}
	return nil
}

// total returns the sum of m's counts: each socket counted once.
func (m *matcher) total() TCPCounts {
	var c TCPCounts
	for _, s := range m.counts {
		c = c.plus(s)
	}
	return c
}

// count counts a socket with remote address a in state st if it matches.
// The list is a handful of destinations, so a linear scan beats a map.
func (m *matcher) count(a tcpAddr, st uint8) {
	if m.all {
		m.counts[0].add(st)
		return
	}
	for i := range m.keys {
		if m.keys[i] == a {
			m.counts[m.slots[i]].add(st)
			return
		}
	}
}

// errLineTooLong reports a line that does not fit in the read buffer.
var errLineTooLong = fmt.Errorf("%w: line longer than the read buffer", ErrMalformed)

// countTCP streams r through buf line by line and counts each socket in m.
// A line cut by the end of buf is moved to the front of buf and completed
// by the next read, so lines never allocate.
func countTCP(r io.Reader, buf []byte, m *matcher) error {
	start, end, lineNo := 0, 0, 0
	eof := false
	for {
		for {
			i := bytes.IndexByte(buf[start:end], '\n')
			if i < 0 {
				break
			}
			lineNo++
			if err := countLine(buf[start:start+i], m); err != nil {
				return fmt.Errorf("line %d: %w", lineNo, err)
			}
			start += i + 1
		}
		if eof {
			if start < end { // last line without a newline
				if err := countLine(buf[start:end], m); err != nil {
					return fmt.Errorf("line %d: %w", lineNo+1, err)
				}
			}
			return nil
		}
		if start > 0 {
			end = copy(buf, buf[start:end])
			start = 0
		}
		if end == len(buf) {
			return fmt.Errorf("line %d: %w", lineNo+1, errLineTooLong)
		}
		n, err := r.Read(buf[end:])
		end += n
		switch {
		case err == io.EOF:
			eof = true
		case err != nil:
			return err
		}
	}
}

// countLine parses one line and counts it in m.
func countLine(line []byte, m *matcher) error {
	e, ok, err := parseTCPLine(line)
	if ok {
		m.count(e.remote, e.state)
	}
	return err
}
