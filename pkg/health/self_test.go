package health

import (
	"errors"
	"math"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSelfFixture(t *testing.T) {
	tick := time.Second / time.Duration(clockTicks())
	want := Snapshot{
		CPUTime:      (1234 + 567) * tick,
		SysCPUTime:   567 * tick,
		RSSBytes:     12000 << 10,
		PeakRSSBytes: 51200 << 10,
		OpenFDs:      7,
		FDLimit:      1024,
		Threads:      9,
	}
	got, err := fixture().Self()
	if err != nil {
		t.Fatal(err)
	}
	if got.Taken.IsZero() {
		t.Error("Self().Taken is zero")
	}
	got.Taken = time.Time{}
	if got != want {
		t.Errorf("Self() = %+v\nwant     %+v", got, want)
	}
}

func TestSelfPartial(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "self/status", "VmHWM:\t 8 kB\nVmRSS:\t 4 kB\nThreads:\t3\n")
	got, err := (&Proc{Root: dir}).Self()
	if err == nil {
		t.Fatal("Self() with only a status file: no error")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Self() error = %v, want one wrapping os.ErrNotExist", err)
	}
	if got.RSSBytes != 4096 || got.PeakRSSBytes != 8192 || got.Threads != 3 {
		t.Errorf("Self() = %+v, want the figures of status despite the error", got)
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Snapshot
		wantErr bool
	}{
		// The three lines, in kernel order, among others.
		{"ok", "Name:\tx\nVmHWM:\t  10 kB\nVmRSS:\t   5 kB\nThreads:\t4\nSigQ:\t0/1\n", Snapshot{RSSBytes: 5120, PeakRSSBytes: 10240, Threads: 4}, false},
		// No newline after the last line.
		{"no final newline", "VmRSS: 1 kB\nVmHWM: 2 kB\nThreads: 1", Snapshot{RSSBytes: 1024, PeakRSSBytes: 2048, Threads: 1}, false},
		// Kernel threads have no Vm lines.
		{"kernel thread", "Name:\tkthreadd\nThreads:\t1\n", Snapshot{Threads: 1}, true},
		// A unit other than kB.
		{"bad unit", "VmRSS: 1 MB\nVmHWM: 2 kB\nThreads: 1\n", Snapshot{}, true},
		// A number too large for bytes in an int64.
		{"overflow", "VmRSS: 99999999999999999 kB\nVmHWM: 2 kB\nThreads: 1\n", Snapshot{}, true},
		// Garbage instead of a number.
		{"not a number", "VmRSS: x kB\nVmHWM: 2 kB\nThreads: 1\n", Snapshot{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Snapshot
			err := parseStatus([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatus(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("parseStatus(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name             string
		in               string
		wantUser, wantSy uint64
		wantErr          bool
	}{
		// A plain command name.
		{"plain", "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 70 30 0 0 20 0 1 0 5 6 7", 70, 30, false},
		// A command name with spaces and parentheses: count from the last ')'.
		{"tricky comm", "9 (a) b (c)) R 1 9 9 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 5 6 7", 5, 6, false},
		// Cut before stime.
		{"short", "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 70", 0, 0, true},
		// No command name.
		{"no comm", "1 init S 0 1 1 0 -1 4194560 1 2 3 4 70 30", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, s, err := parseStatCPU([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatCPU(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if u != tt.wantUser || s != tt.wantSy {
				t.Errorf("parseStatCPU(%q) = %d, %d; want %d, %d", tt.in, u, s, tt.wantUser, tt.wantSy)
			}
		})
	}
}

func TestParseFDLimit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		// The soft limit is the first number.
		{"soft", "Limit Soft Hard Units\nMax open files            1024                 4096                 files     \n", 1024, false},
		// Unlimited is the largest int.
		{"unlimited", "Max open files            unlimited            unlimited            files\n", math.MaxInt, false},
		// No such line.
		{"missing", "Max processes 10 10 processes\n", 0, true},
		// Garbage instead of a number.
		{"garbage", "Max open files  lots  lots files\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFDLimit([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseFDLimit(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     PortRange
		wantSize int
		wantErr  bool
	}{
		// The Linux default: 60999 − 32768 + 1.
		{"default", "32768\t60999\n", PortRange{32768, 60999}, 28232, false},
		// A widened range, as tuned load generators use.
		{"wide", "1024 65535", PortRange{1024, 65535}, 64512, false},
		// One port.
		{"single", "5000\t5000\n", PortRange{5000, 5000}, 1, false},
		// Inverted: the kernel refuses to write this, so Size is 0.
		{"inverted", "6000\t5000\n", PortRange{6000, 5000}, 0, false},
		// Port 0 is not a port; the zero PortRange has no ports either.
		{"port zero", "0\t0\n", PortRange{0, 0}, 0, false},
		// One number only.
		{"short", "32768\n", PortRange{}, 0, true},
		// Three numbers.
		{"long", "1 2 3\n", PortRange{}, 0, true},
		// Not a port.
		{"too big", "1 70000\n", PortRange{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePortRange([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want || got.Size() != tt.wantSize {
				t.Errorf("parsePortRange(%q) = %v (size %d), %v; want %v (size %d), error %v",
					tt.in, got, got.Size(), err, tt.want, tt.wantSize, tt.wantErr)
			}
		})
	}
}

func TestPortRange(t *testing.T) {
	got, err := fixture().PortRange()
	if want := (PortRange{32768, 60999}); err != nil || got != want || got.Size() != 28232 {
		t.Errorf("fixture PortRange() = %v (size %d), %v; want %v (size 28232)", got, got.Size(), err, want)
	}
	var p Proc
	got, err = p.PortRange()
	if err != nil {
		t.Fatal(err)
	}
	if got.Low < 1 || got.High > 65535 || got.Size() < 1 {
		t.Errorf("PortRange() = %v, want a non-empty range within 1-65535", got)
	}
	t.Logf("host port range %v: %d ports", got, got.Size())
}

func TestSelfReal(t *testing.T) {
	var p Proc
	before, err := p.Self()
	if err != nil {
		t.Fatal(err)
	}
	if before.RSSBytes <= 0 || before.PeakRSSBytes < before.RSSBytes || before.Threads < 1 {
		t.Errorf("Self() = %+v, want RSS > 0, peak ≥ RSS, threads ≥ 1", before)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if before.FDLimit <= 0 || uint64(before.FDLimit) != rl.Cur {
		t.Errorf("Self().FDLimit = %d, want %d (> 0)", before.FDLimit, rl.Cur)
	}

	// CPU time grows while this goroutine spins.
	deadline := time.Now().Add(10 * time.Second)
	var after Snapshot
	for x := uint64(1); ; x = x*6364136223846793005 + 1 {
		if x%(1<<16) == 0 {
			if after, err = p.Self(); err != nil {
				t.Fatal(err)
			}
			if after.CPUTime-before.CPUTime >= 20*time.Millisecond || time.Now().After(deadline) {
				break
			}
		}
	}
	if after.CPUTime-before.CPUTime < 20*time.Millisecond {
		t.Errorf("CPUTime grew from %v to %v while spinning for 10 s", before.CPUTime, after.CPUTime)
	}
	t.Logf("CPU %v (sys %v) over %v: %.0f%% of a core", after.CPUTime-before.CPUTime, after.SysCPUTime-before.SysCPUTime,
		after.Taken.Sub(before.Taken), CPUPercent(before, after, after.Taken.Sub(before.Taken), AvailableCores()).PercentOfCore)
}

func TestSelfRealStatAgreesWithRusage(t *testing.T) {
	var p Proc
	r1, err := p.Self()
	if err != nil {
		t.Fatal(err)
	}
	user, sys, err := p.statCPU()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := p.Self()
	if err != nil {
		t.Fatal(err)
	}
	// stat truncates to clock ticks, so it may lag getrusage by one tick.
	tick := time.Second / time.Duration(clockTicks())
	if stat := user + sys; stat < r1.CPUTime-2*tick || stat > r2.CPUTime+tick {
		t.Errorf("stat CPU %v not within [%v, %v] from getrusage: is USER_HZ %d right?", stat, r1.CPUTime-2*tick, r2.CPUTime, clockTicks())
	}
}

func TestSelfOpenFDs(t *testing.T) {
	const n = 10
	var p Proc
	// Open and close once, so that any lazily opened runtime descriptor
	// (the netpoller's) is already there.
	if f, err := os.Open(os.DevNull); err == nil {
		f.Close()
	}
	before, err := p.Self()
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	after, err := p.Self()
	if err != nil {
		t.Fatal(err)
	}
	if after.OpenFDs-before.OpenFDs != n {
		t.Errorf("OpenFDs went from %d to %d after opening %d files, want +%d", before.OpenFDs, after.OpenFDs, n, n)
	}
	// The same count as os.ReadDir, which sees its own descriptor as well.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after.OpenFDs, len(entries)-1; got != want {
		t.Errorf("OpenFDs = %d, want %d (os.ReadDir count − 1)", got, want)
	}
	runtime.KeepAlive(entries)
}

// FuzzParseProcFiles feeds the same bytes to every parser of Self and
// PortRange: none may panic, and what they accept must be in range.
func FuzzParseProcFiles(f *testing.F) {
	for _, name := range []string{"self/status", "self/stat", "self/limits", "sys/net/ipv4/ip_local_port_range"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte{24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 4, '1', '2', 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Snapshot
		if err := parseStatus(b, &s); err == nil && (s.RSSBytes < 0 || s.PeakRSSBytes < 0 || s.Threads < 0) {
			t.Errorf("parseStatus(%q) = %+v, want no negative figure", b, s)
		}
		parseStatCPU(b)
		if n, err := parseFDLimit(b); err == nil && n < 0 {
			t.Errorf("parseFDLimit(%q) = %d, want ≥ 0", b, n)
		}
		if r, err := parsePortRange(b); err == nil && (r.Low > 65535 || r.High > 65535) {
			t.Errorf("parsePortRange(%q) = %v, want ports", b, r)
		}
		if n, err := countDirents(b, []byte("3")); err == nil && n > len(b)/20 {
			t.Errorf("countDirents(%q) = %d from %d bytes", b, n, len(b))
		}
	})
}

// TestProcConcurrent shares one Proc between goroutines; run with -race.
func TestProcConcurrent(t *testing.T) {
	p := fixture()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := p.Self(); err != nil {
					t.Error(err)
				}
				if c, err := p.TCPStates(nil); err != nil || c.Total() != 17 {
					t.Errorf("TCPStates(nil) = %+v, %v; want 17 sockets", c, err)
				}
				if r, err := p.PortRange(); err != nil || r.Size() != 28232 {
					t.Errorf("PortRange() = %v, %v; want 28232 ports", r, err)
				}
			}
		})
	}
	wg.Wait()
}
