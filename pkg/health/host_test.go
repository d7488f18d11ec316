package health

import (
	"encoding/binary"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// hostFixture copies testdata/proc to a folder the test may change.
func hostFixture(t *testing.T) (*Proc, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/proc")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "stat", "cpu  1000 0 500 80000 20 0 10 30 0 0\ncpu0 500 0 250 40000 10 0 5 15 0 0\n")
	return &Proc{Root: dir, order: binary.LittleEndian}, dir
}

// TestHostSharesReadings: readings are shared while younger than the
// Host's maximum age, read afresh after it; one Host per Proc.
func TestHostSharesReadings(t *testing.T) {
	p, dir := hostFixture(t)
	h := NewHost(p, time.Hour)
	r1 := h.Read()
	if !r1.SelfOK || !r1.CPUOK || r1.Self.CPUTime == 0 {
		t.Fatalf("first reading %+v: want the fixture's process and host figures", r1)
	}
	// The process used more CPU: a shard asking within the maximum age
	// gets the reading the first one made, not a new one.
	stat := readFixture(t, "self/stat")
	more := strings.Replace(string(stat), " 1234 567 ", " 2234 567 ", 1)
	if more == string(stat) {
		t.Fatal("fixture's utime not found")
	}
	writeFile(t, dir, "self/stat", more)
	if r2 := h.Read(); r2.Taken != r1.Taken || r2.Self.CPUTime != r1.Self.CPUTime {
		t.Errorf("second reading within the maximum age: taken %v, CPU %v; want the first's %v, %v",
			r2.Taken, r2.Self.CPUTime, r1.Taken, r1.Self.CPUTime)
	}
	h.maxAge = time.Nanosecond
	if r3 := h.Read(); r3.Self.CPUTime <= r1.Self.CPUTime {
		t.Errorf("reading past the maximum age: CPU %v, want more than %v", r3.Self.CPUTime, r1.Self.CPUTime)
	}
	other, _ := hostFixture(t)
	if first := SharedHost(p); SharedHost(p) != first || SharedHost(other) == first {
		t.Error("SharedHost: want one Host per Proc")
	}
}

// TestHostTimeWait: the TIME_WAIT sockets of the watched destinations,
// counted in one pass for all watchers; a destination spelled twice (IPv4
// and IPv4-mapped) counts once; the count is kept until it is due again;
// an unwatched destination counts nothing.
func TestHostTimeWait(t *testing.T) {
	p, dir := hostFixture(t)
	h := NewHost(p, 0)
	v4, v6 := netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("[::1]:8080")
	mapped := netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080")
	stopA := h.Watch([]netip.AddrPort{v4})
	stopB := h.Watch([]netip.AddrPort{mapped, v6})
	if n := h.TimeWait([]netip.AddrPort{v4}); n != 2 {
		t.Errorf("v4: %d in TIME_WAIT, want the fixture's 2", n)
	}
	if n := h.TimeWait([]netip.AddrPort{mapped, v4, v6}); n != 3 {
		t.Errorf("v4 twice and v6: %d in TIME_WAIT, want 2 + 1", n)
	}
	tcp := readFixture(t, "net/tcp")
	line := "  99: 0100007F:C0FF 0100007F:1F90 06 00000000:00000000 03:00001700 00000000     0        0 0 3 ffff8880abcd0099\n"
	writeFile(t, dir, "net/tcp", string(tcp)+line)
	if n := h.TimeWait([]netip.AddrPort{v4}); n != 2 {
		t.Errorf("before the count is due: %d, want the last count, 2", n)
	}
	h.mu.Lock()
	h.twAt = time.Time{}
	h.mu.Unlock()
	if n := h.TimeWait([]netip.AddrPort{v4}); n != 3 {
		t.Errorf("when due: %d, want 3", n)
	}
	stopB()
	stopB() // a second stop changes nothing
	if n := h.TimeWait([]netip.AddrPort{v6}); n != 0 {
		t.Errorf("v6 after its watcher stopped: %d, want 0", n)
	}
	if n := h.TimeWait([]netip.AddrPort{v4}); n != 3 {
		t.Errorf("v4, still watched: %d, want 3", n)
	}
	stopA()
	if len(h.dests) != 0 {
		t.Errorf("watched after every stop: %v", h.dests)
	}
}
