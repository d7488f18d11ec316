package hist

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// TestSparseEqualsMerge merges encoded histograms into a Sparse and into a
// Histogram: adding the Sparse to an empty Histogram gives the same
// counts, overflow included, as merging each of them.
func TestSparseEqualsMerge(t *testing.T) {
	var s Sparse
	want := New()
	for seed := range uint64(20) {
		h := record(latencies(50+int(seed)*37, seed)...)
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := MergeEncodedSparse(&s, b); err != nil {
			t.Fatal(err)
		}
		if err := MergeEncoded(want, b); err != nil {
			t.Fatal(err)
		}
	}
	got := New()
	if err := s.AddTo(got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) || s.Count() != want.Count() || s.Overflow() != want.Overflow() {
		t.Errorf("sparse gives %v (count %d, overflow %d); merged %v", got, s.Count(), s.Overflow(), want)
	}
	if full := 8 * (highestIndex + 1); s.Bytes() >= full/2 {
		t.Errorf("sparse holds %d bytes; a histogram %d", s.Bytes(), full)
	}
}

// TestSparseCarry adds counts past a 32-bit counter to one bucket: the
// excess is carried, and the sum is exact.
func TestSparseCarry(t *testing.T) {
	var s Sparse
	big := New()
	big.h.RecordValues(20_000, math.MaxUint32-5)
	b := mustMarshal(t, big)
	for range 3 {
		if err := MergeEncodedSparse(&s, b); err != nil {
			t.Fatal(err)
		}
	}
	h := New()
	if err := s.AddTo(h); err != nil {
		t.Fatal(err)
	}
	if want := 3 * int64(math.MaxUint32-5); h.Count() != want || h.Quantile(0.5) != h.Max() {
		t.Errorf("got %v; want %d values in one bucket", h, want)
	}
}

// TestSparseTakeBack merges encodings that go wrong after some of their
// counts have been added, some of them past a 32-bit counter: each leaves
// the Sparse as it was.
func TestSparseTakeBack(t *testing.T) {
	var s Sparse
	big := New()
	big.h.RecordValues(20_000, math.MaxUint32-5)
	big.h.RecordValues(40_000, 3)
	for _, h := range []*Histogram{big, big, record(latencies(300, 3)...)} {
		if err := MergeEncodedSparse(&s, mustMarshal(t, h)); err != nil {
			t.Fatal(err)
		}
	}
	want := New()
	if err := s.AddTo(want); err != nil {
		t.Fatal(err)
	}
	at := func(v int64) []byte { return appendZigZag(nil, -int64(countsIndex(v))) } // a run up to v's bucket
	tests := []struct {
		name    string
		payload []byte
		err     error
	}{
		// A count past the last bucket, after two that carry.
		{"past the last bucket", slices.Concat(at(20_000), []byte{0x80, 0x80, 0x80, 0x20}, []byte{4, 6},
			appendZigZag(nil, -int64(highestIndex)), []byte{2}), ErrCorrupt},
		// Counts, then a number cut short.
		{"truncated", slices.Concat(at(1_000), []byte{2, 4, 6, 0x80}), ErrCorrupt},
		// Counts whose sum, with what the Sparse holds, passes an int64.
		{"sum past int64", slices.Concat(at(40_000), appendZigZag(nil, math.MaxInt64-10)), ErrDropped},
	}
	for _, tt := range tests {
		b := craft(t, ours(int32(len(tt.payload))), tt.payload)
		if err := MergeEncodedSparse(&s, b); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.err)
		}
		got := New()
		if err := s.AddTo(got); err != nil || !got.Equal(want) || s.Count() != want.Count() {
			t.Errorf("%s: the Sparse holds %v (%v); want %v", tt.name, got, err, want)
		}
	}
}

// TestSparseErrors: a corrupt encoding changes nothing; adding to a
// histogram whose count would overflow is refused.
func TestSparseErrors(t *testing.T) {
	var s Sparse
	b, _ := record(time.Millisecond).MarshalBinary()
	if err := MergeEncodedSparse(&s, b[:len(b)-1]); !errors.Is(err, ErrCorrupt) || s.Count() != 0 {
		t.Errorf("truncated: %v, count %d", err, s.Count())
	}
	if err := MergeEncodedSparse(&s, b); err != nil {
		t.Fatal(err)
	}
	full := New()
	full.h.RecordValues(1000, math.MaxInt64)
	if err := s.AddTo(full); !errors.Is(err, ErrDropped) {
		t.Errorf("add past int64: %v", err)
	}
	if err := s.AddTo(&Histogram{}); !errors.Is(err, ErrGeometry) {
		t.Errorf("add to the zero value: %v", err)
	}
}

// TestInflateStored: a small histogram's stored blocks are read by copying
// them, and the same stream with a broken block length, payload or checksum
// is rejected, as the flate reader rejects it.
func TestInflateStored(t *testing.T) {
	h := record(latencies(40, 9)...)
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c := NewCodec()
	z := b[prefixLen+hdrOuterLen:]
	raw, ok := c.inflateStored(z)
	if !ok {
		t.Fatal("a small histogram's stream is not read as stored blocks")
	}
	if &raw[0] != &z[2+5] { // after zlib's header and the block's
		t.Error("a small histogram's payload is copied, not read where it is")
	}
	got := New()
	if err := c.MergeInto(got, b); err != nil || !got.Equal(h) {
		t.Fatalf("decoded %v, %v; want %v", got, err, h)
	}
	bh := prefixLen + hdrOuterLen + 2 // the first block's header
	for name, at := range map[string]int{"NLEN": bh + 3, "payload": bh + 5 + hdrHeaderLen + 1, "checksum": len(b) - 1,
		"the final block's BFINAL": len(b) - 9} {
		bad := append([]byte(nil), b...)
		bad[at] ^= 0x01
		if err := c.MergeInto(New(), bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s broken: %v; want ErrCorrupt", name, err)
		}
	}
}
