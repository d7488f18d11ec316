package health

import (
	"net/netip"
	"sync"
	"time"
)

// Host shares readings of this process and of its host between the
// samplers of the process's shards. Every shard of a process reports the
// same figures each second (the process's CPU time, RSS and descriptors, the
// host's CPU and steal, the TIME_WAIT sockets towards its destinations), and
// reading them costs system calls, a walk of /proc/self/fd and at worst a
// 30,000-line /proc/net/tcp. Read once for all the shards, they cost one
// shard's share however many there are, and a shard's sampler never queues
// behind seven others reading the same files at the same instant.
//
// A Host is safe for concurrent use.
type Host struct {
	proc   *Proc
	maxAge time.Duration

	mu      sync.Mutex
	r       Reading
	dests   map[netip.AddrPort]int // watched destinations, with their number of watchers
	tw      map[netip.AddrPort]int // TIME_WAIT sockets by destination, at the last count
	twAt    time.Time              // when they were counted
	twEvery time.Duration          // how often they may be counted
	list    []netip.AddrPort       // scratch: the watched destinations
}

// Reading is what a Host read at one instant.
type Reading struct {
	// Taken is when it was read.
	Taken time.Time
	// Self is this process's snapshot; SelfOK is false if any of its
	// figures could not be read.
	Self   Snapshot
	SelfOK bool
	// CPU is the host's CPU time; CPUOK is false if /proc/stat could not
	// be read.
	CPU   HostCPU
	CPUOK bool
}

// DefaultMaxAge is how old a reading may be when a sampler asks for one:
// shards that close their seconds at different moments of the same second
// share one reading, and a shard never gets the reading it had a second ago.
const DefaultMaxAge = 500 * time.Millisecond

// NewHost returns a Host reading p, handing out readings at most maxAge old
// (0 means DefaultMaxAge).
func NewHost(p *Proc, maxAge time.Duration) *Host {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Host{proc: p, maxAge: maxAge, dests: map[netip.AddrPort]int{}, tw: map[netip.AddrPort]int{}}
}

var (
	hostsMu sync.Mutex
	hosts   = map[*Proc]*Host{}
)

// SharedHost returns the process's Host over p, made on first use: the
// samplers given the same Proc share its readings.
func SharedHost(p *Proc) *Host {
	hostsMu.Lock()
	defer hostsMu.Unlock()
	h := hosts[p]
	if h == nil {
		h = NewHost(p, 0)
		hosts[p] = h
	}
	return h
}

// Read returns a reading at most the Host's maximum age old, reading the
// process and the host afresh if the last one is older.
func (h *Host) Read() Reading {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.r.Taken.IsZero() && time.Since(h.r.Taken) < h.maxAge {
		return h.r
	}
	r := Reading{Taken: time.Now()}
	var err error
	r.Self, err = h.proc.Self()
	r.SelfOK = err == nil
	r.CPU, err = h.proc.HostCPU()
	r.CPUOK = err == nil
	h.r = r
	return r
}

// Watch adds dst to the destinations whose TIME_WAIT sockets are counted,
// until stop is called.
func (h *Host) Watch(dst []netip.AddrPort) (stop func()) {
	dst = unmapped(dst)
	h.mu.Lock()
	for _, d := range dst {
		h.dests[d]++
	}
	h.twAt = time.Time{} // count the new destinations at the next ask
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, d := range dst {
				if h.dests[d]--; h.dests[d] <= 0 {
					delete(h.dests, d)
					delete(h.tw, d)
				}
			}
		})
	}
}

// TimeWait returns the TIME_WAIT sockets towards the destinations in dst
// (each counted once), which must be watched. Reading /proc/net/tcp costs
// the kernel about 2 µs per socket on the host (60 ms with 30,000 in
// TIME_WAIT), so the count is refreshed at most every 50 × its last cost:
// under 2 % of a core, and about every second while it is cheap. In
// between, the last count is returned.
func (h *Host) TimeWait(dst []netip.AddrPort) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.dests) > 0 && time.Since(h.twAt) >= h.twEvery {
		h.countTimeWait()
	}
	n := 0
	for i, d := range dst {
		d = unmap(d)
		if !seenBefore(dst, i) {
			n += h.tw[d]
		}
	}
	return n
}

// countTimeWait counts every watched destination's TIME_WAIT sockets in
// one pass; h.mu is held.
func (h *Host) countTimeWait() {
	h.list = h.list[:0]
	for d := range h.dests {
		h.list = append(h.list, d)
	}
	t0 := time.Now()
	if counts, err := h.proc.TCPStatesByDest(h.list); err == nil {
		for i, d := range h.list {
			h.tw[d] = counts[i].TimeWait
		}
	}
	h.twAt = time.Now()
	h.twEvery = max(time.Second-50*time.Millisecond, min(50*h.twAt.Sub(t0), 10*time.Second))
}

// seenBefore reports whether dst[i] is one of dst[:i], IPv4-mapped IPv6
// addresses being their IPv4 address.
func seenBefore(dst []netip.AddrPort, i int) bool {
	for _, d := range dst[:i] {
		if unmap(d) == unmap(dst[i]) {
			return true
		}
	}
	return false
}

// unmap spells a destination as the kernel's sockets are matched: an
// IPv4-mapped IPv6 address as its IPv4 address.
func unmap(d netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(d.Addr().Unmap(), d.Port()) }

func unmapped(dst []netip.AddrPort) []netip.AddrPort {
	out := make([]netip.AddrPort, len(dst))
	for i, d := range dst {
		out[i] = unmap(d)
	}
	return out
}
