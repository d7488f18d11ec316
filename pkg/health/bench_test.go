package health

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
)

// benchLines is the size of the synthetic /proc/net/tcp: a generator doing
// 500 new connections per second holds about 30,000 sockets in TIME_WAIT.
const benchLines = 30_000

// syntheticTCP returns a /proc/net/tcp of n sockets as a little-endian
// kernel prints it: two thirds in TIME_WAIT and a sixth established towards
// 10.1.6.34:443, a sixth established towards other hosts.
func syntheticTCP(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-149s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")
	for i := range n {
		remote, st := uint32(0x2206010A), 0x06
		switch i % 6 {
		case 4:
			st = 0x01
		case 5:
			remote, st = 0x0000000B|uint32(i)<<8, 0x01 // 11.x.x.x
		}
		line := fmt.Sprintf("%4d: 0F02000A:%04X %08X:01BB %02X 00000000:00000000 00:00000000 00000000  1000        0 %d 1 ffff8880abcd%04x 20 4 30 10 -1",
			i, 32768+i%28232, remote, st, 40000+i, i%0x10000)
		fmt.Fprintf(&b, "%-149s\n", line)
	}
	return b.Bytes()
}

var benchDst = []netip.AddrPort{netip.MustParseAddrPort("10.1.6.34:443")}

// BenchmarkTCPStates reads a 30,000-line net/tcp from a file, as the
// sampler does once per second.
func BenchmarkTCPStates(b *testing.B) {
	dir := b.TempDir()
	data := syntheticTCP(benchLines)
	writeFile(b, dir, "net/tcp", string(data))
	writeFile(b, dir, "net/tcp6", "  sl  local_address                         remote_address                        st\n")
	p := &Proc{Root: dir}
	want := TCPCounts{Established: benchLines / 6, TimeWait: benchLines * 4 / 6}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.TCPStates(benchDst)
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("TCPStates() = %+v, want %+v", got, want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

// BenchmarkCountTCP is the parser alone, on the same lines in memory.
func BenchmarkCountTCP(b *testing.B) {
	data := syntheticTCP(benchLines)
	m := newMatcher(b, benchDst...)
	buf := make([]byte, bufSize)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(data)
		m.reset(benchDst, false)
		if err := countTCP(r, buf, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

// BenchmarkTCPStatesHost reads this host's real net/tcp and net/tcp6.
func BenchmarkTCPStatesHost(b *testing.B) {
	var p Proc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.TCPStates(benchDst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelf reads this process's Snapshot.
func BenchmarkSelf(b *testing.B) {
	var p Proc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Self(); err != nil {
			b.Fatal(err)
		}
	}
}
