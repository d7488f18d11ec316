package hist

import (
	"hash/adler32"
	"math/rand/v2"
	"testing"
)

// TestAdler32 checks adlerSum against hash/adler32 on random bytes of every
// length up to 300, on long runs of 0xff (the largest sums), and across
// the bytes between reductions.
func TestAdler32(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var inputs [][]byte
	for n := range 301 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		inputs = append(inputs, b)
	}
	ff := make([]byte, 3*adlerRun+13)
	for i := range ff {
		ff[i] = 0xff
	}
	inputs = append(inputs, ff, ff[:adlerRun], ff[:adlerRun+1], ff[:adlerRun-1])
	for _, b := range inputs {
		if got, want := adlerSum(b), adler32.Checksum(b); got != want {
			t.Fatalf("adlerSum of %d bytes = %#x, want %#x", len(b), got, want)
		}
	}
}

// BenchmarkAdler32 sums a second's payload (about 250 bytes).
func BenchmarkAdler32(b *testing.B) {
	p := make([]byte, 250)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		adlerSum(p)
	}
}

// BenchmarkAdler32Std is BenchmarkAdler32 with hash/adler32.
func BenchmarkAdler32Std(b *testing.B) {
	p := make([]byte, 250)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		adler32.Checksum(p)
	}
}
