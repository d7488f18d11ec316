package health

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// atClkTck is the auxiliary-vector key of the kernel's USER_HZ (AT_CLKTCK).
const atClkTck = 17

// clockTicks returns USER_HZ, the unit of utime and stime in /proc/*/stat:
// what sysconf(_SC_CLK_TCK) returns. It comes from the ELF auxiliary vector,
// and is 100 on every architecture Go supports, which is the fallback.
var clockTicks = sync.OnceValue(func() int64 {
	if auxv, err := unix.Auxv(); err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return int64(kv[1])
			}
		}
	}
	return 100
})

// readStatus fills RSSBytes, PeakRSSBytes and Threads from self/status.
func (p *Proc) readStatus(s *Snapshot) error {
	name := p.path("self/status")
	b, err := p.readFile(name)
	if err != nil {
		return fmt.Errorf("health: rss, threads: %w", err)
	}
	if err := parseStatus(b, s); err != nil {
		return fmt.Errorf("health: %s: %w", name, err)
	}
	return nil
}

// parseStatus reads the VmRSS, VmHWM and Threads lines of a status file:
//
//	VmHWM:	    2172 kB
//	VmRSS:	    2172 kB
//	Threads:	1
func parseStatus(b []byte, s *Snapshot) error {
	const rss, hwm, threads = 1, 2, 4
	seen := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var bit int
		switch string(key) {
		case "VmRSS":
			bit = rss
		case "VmHWM":
			bit = hwm
		case "Threads":
			bit = threads
		default:
			continue
		}
		v, rest, ok := nextUint(val)
		if !ok {
			return fmt.Errorf("%w: %s %q", ErrMalformed, key, val)
		}
		unit := trimSpace(rest)
		switch {
		case bit == threads && len(unit) == 0:
			s.Threads = int(min(v, math.MaxInt))
		case bit != threads && string(unit) == "kB" && v <= math.MaxInt64/1024:
			if bit == rss {
				s.RSSBytes = int64(v) * 1024
			} else {
				s.PeakRSSBytes = int64(v) * 1024
			}
		default:
			return fmt.Errorf("%w: %s %q", ErrMalformed, key, val)
		}
		seen |= bit
	}
	if seen != rss|hwm|threads {
		return fmt.Errorf("%w: no VmRSS, VmHWM or Threads line", ErrMalformed)
	}
	return nil
}

// readCPU fills CPUTime and SysCPUTime: from getrusage(RUSAGE_SELF), which
// counts in microseconds, on the real /proc; from self/stat, which counts in
// clock ticks (10 ms), otherwise.
func (p *Proc) readCPU(s *Snapshot) error {
	if p.isReal() {
		var ru unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
			return fmt.Errorf("health: cpu time: getrusage: %w", err)
		}
		user := time.Duration(ru.Utime.Nano())
		s.SysCPUTime = time.Duration(ru.Stime.Nano())
		s.CPUTime = user + s.SysCPUTime
		return nil
	}
	user, sys, err := p.statCPU()
	if err != nil {
		return err
	}
	s.CPUTime, s.SysCPUTime = user+sys, sys
	return nil
}

// statCPU reads utime and stime from self/stat.
func (p *Proc) statCPU() (user, sys time.Duration, err error) {
	name := p.path("self/stat")
	b, err := p.readFile(name)
	if err != nil {
		return 0, 0, fmt.Errorf("health: cpu time: %w", err)
	}
	ut, st, err := parseStatCPU(b)
	if err != nil {
		return 0, 0, fmt.Errorf("health: %s: %w", name, err)
	}
	tick := time.Second / time.Duration(clockTicks())
	return time.Duration(ut) * tick, time.Duration(st) * tick, nil
}

// parseStatCPU returns fields 14 (utime) and 15 (stime) of a stat file, in
// clock ticks. Field 2, the command name, is in parentheses and may hold
// spaces and parentheses itself, so counting starts after the last ')'.
func parseStatCPU(b []byte) (utime, stime uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("%w: stat has no command name", ErrMalformed)
	}
	rest := b[i+1:]
	// Field 3 (state) is a letter; skip it, then fields 4 to 13.
	for f := 3; f <= 13; f++ {
		rest = trimLeft(rest)
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			return 0, 0, fmt.Errorf("%w: stat has %d fields", ErrMalformed, f)
		}
		rest = rest[j:]
	}
	utime, rest, ok1 := nextUint(rest)
	stime, _, ok2 := nextUint(rest)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("%w: stat utime, stime", ErrMalformed)
	}
	return utime, stime, nil
}

// trimLeft returns b without leading white space.
func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// readFDs fills OpenFDs by counting the entries of self/fd.
func (p *Proc) readFDs(s *Snapshot) error {
	n, err := p.countFDs(p.path("self/fd"))
	if err != nil {
		return fmt.Errorf("health: open fds: %w", err)
	}
	s.OpenFDs = n
	return nil
}

// countFDs counts the entries of dir with getdents64 into p.buf, so that it
// allocates nothing per descriptor. On the real /proc the directory's own
// descriptor is listed too, and is not counted.
func (p *Proc) countFDs(dir string) (int, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	var own []byte
	if p.isReal() {
		own = strconv.AppendInt(make([]byte, 0, 20), int64(fd), 10)
	}
	if p.buf == nil {
		p.buf = make([]byte, bufSize)
	}
	count := 0
	for {
		n, err := unix.Getdents(fd, p.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("getdents %s: %w", dir, err)
		}
		if n <= 0 {
			return count, nil
		}
		c, err := countDirents(p.buf[:n], own)
		if err != nil {
			return 0, fmt.Errorf("getdents %s: %w", dir, err)
		}
		count += c
	}
}

// countDirents counts the linux_dirent64 records in b other than ".", ".."
// and skip. A record is d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1)
// and a NUL-terminated d_name, padded to d_reclen bytes.
func countDirents(b, skip []byte) (int, error) {
	const nameOff = 19
	n := 0
	for len(b) > 0 {
		if len(b) < nameOff {
			return 0, fmt.Errorf("%w: short dirent", ErrMalformed)
		}
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen <= nameOff || reclen > len(b) {
			return 0, fmt.Errorf("%w: dirent length %d", ErrMalformed, reclen)
		}
		name := b[nameOff:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		b = b[reclen:]
		switch {
		case string(name) == "." || string(name) == "..":
		case skip != nil && bytes.Equal(name, skip):
		default:
			n++
		}
	}
	return n, nil
}

// readFDLimit fills FDLimit: from getrlimit on the real /proc, else from the
// "Max open files" line of self/limits.
func (p *Proc) readFDLimit(s *Snapshot) error {
	if p.isReal() {
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return fmt.Errorf("health: fd limit: getrlimit: %w", err)
		}
		s.FDLimit = int(min(rl.Cur, math.MaxInt))
		return nil
	}
	name := p.path("self/limits")
	b, err := p.readFile(name)
	if err != nil {
		return fmt.Errorf("health: fd limit: %w", err)
	}
	v, err := parseFDLimit(b)
	if err != nil {
		return fmt.Errorf("health: %s: %w", name, err)
	}
	s.FDLimit = v
	return nil
}

// parseFDLimit returns the soft limit on the "Max open files" line:
//
//	Limit                     Soft Limit           Hard Limit           Units
//	Max open files            1024                 4096                 files
func parseFDLimit(b []byte) (int, error) {
	const prefix = "Max open files"
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte(prefix))
		if !ok {
			continue
		}
		rest = trimLeft(rest)
		if bytes.HasPrefix(rest, []byte("unlimited")) {
			return math.MaxInt, nil
		}
		v, _, ok := nextUint(rest)
		if !ok {
			return 0, fmt.Errorf("%w: %q", ErrMalformed, line)
		}
		return int(min(v, math.MaxInt)), nil
	}
	return 0, fmt.Errorf("%w: no %q line", ErrMalformed, prefix)
}
