package health

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// writeFile writes content to dir/name, making the directories it needs.
func writeFile(tb testing.TB, dir, name, content string) {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// fixture reads testdata/proc, which was written as a little-endian
// kernel (x86-64, arm64) writes it.
func fixture() *Proc {
	return &Proc{Root: "testdata/proc", order: binary.LittleEndian}
}

// readFixture returns a file of testdata/proc.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	p := fixture()
	b, err := p.readFile(p.path(name))
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Clone(b)
}

// newMatcher returns a matcher for dst, or for every socket, on a
// little-endian kernel.
func newMatcher(tb testing.TB, dst ...netip.AddrPort) *matcher {
	tb.Helper()
	m := new(matcher)
	if err := m.reset(dst, false); err != nil {
		tb.Fatal(err)
	}
	return m
}
