package hist

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestCodecMatchesHdr checks our encoder against hdrhistogram's own on
// histograms of many shapes (byte for byte where both compress; read back by
// hdr where we store), and the index arithmetic against hdr's.
func TestCodecMatchesHdr(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	c := NewCodec()
	for trial := range 200 {
		h := New()
		n := rng.IntN(5000)
		if trial == 0 {
			n = 0 // empty
		}
		for range n {
			switch rng.IntN(3) {
			case 0:
				h.RecordMicros(1 + rng.Int64N(2047)) // the exact range
			case 1:
				h.Record(time.Duration(rng.Int64N(int64(time.Minute))))
			default:
				h.RecordMicros(Highest - rng.Int64N(1000)) // the top bucket
			}
		}
		ours, err := c.Append(nil, h)
		if err != nil {
			t.Fatal(err)
		}
		b64, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		theirs, _ := base64.StdEncoding.DecodeString(string(b64))
		// Large payloads are compressed as hdr does, byte for byte; small ones
		// are stored (see codec.go), and hdr must read them back the same.
		if len(c.raw) > storeBelow && string(ours[prefixLen:]) != string(theirs) {
			t.Fatalf("trial %d (%d values): our encoding differs from hdr's", trial, n)
		}
		hb, err := hdrhistogram.Decode([]byte(base64.StdEncoding.EncodeToString(ours[prefixLen:])))
		if err != nil || !hb.Equals(h.h) {
			t.Fatalf("trial %d: hdr reads our encoding as another histogram (%v)", trial, err)
		}
		back := New()
		if err := c.MergeInto(back, ours); err != nil {
			t.Fatal(err)
		}
		if !back.Equal(h) {
			t.Fatalf("trial %d: round trip changed the histogram: %v vs %v", trial, back, h)
		}
	}
	for _, v := range []int64{1, 2, 2047, 2048, 2049, 4095, 4096, 1 << 20, 123456789, Highest} {
		ref := hdrhistogram.New(Lowest, Highest, SigFigs)
		ref.RecordValue(v)
		i := countsIndex(v)
		if got := valueAt(i); !ref.ValuesAreEquivalent(got, v) {
			t.Errorf("valueAt(countsIndex(%d)) = %d, not in the same bucket", v, got)
		}
	}
}

// TestMergeEncodedAddsExactly checks MergeEncoded against Merge.
func TestMergeEncodedAddsExactly(t *testing.T) {
	a, b := New(), New()
	for i := range 1000 {
		a.Record(time.Duration(i) * time.Millisecond)
		b.Record(time.Duration(i*i) * time.Microsecond)
	}
	b.overflow = 3
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := a.Clone()
	if err := want.Merge(b); err != nil {
		t.Fatal(err)
	}
	if err := MergeEncoded(a, enc); err != nil {
		t.Fatal(err)
	}
	if !a.Equal(want) || a.Overflow() != 3 {
		t.Errorf("MergeEncoded = %v; Merge = %v", a, want)
	}
}

func TestCodecAllocs(t *testing.T) {
	h := New()
	for i := range 10000 {
		h.Record(time.Duration(i) * 10 * time.Microsecond)
	}
	c := NewCodec()
	buf, _ := c.Append(nil, h)
	dst := New()
	if n := testing.AllocsPerRun(20, func() { buf, _ = c.Append(buf[:0], h) }); n > 0 {
		t.Errorf("Append allocates %v times per call; want 0", n)
	}
	if n := testing.AllocsPerRun(20, func() { c.MergeInto(dst, buf) }); n > 0 {
		t.Errorf("MergeInto allocates %v times per call; want 0", n)
	}
}

func BenchmarkCodecAppend(b *testing.B) {
	h := New()
	for i := range 100000 {
		h.Record(time.Duration(i%5000) * 37 * time.Microsecond)
	}
	c := NewCodec()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.Append(buf[:0], h)
	}
}

func BenchmarkMergeEncoded(b *testing.B) {
	h := New()
	for i := range 100000 {
		h.Record(time.Duration(i%5000) * 37 * time.Microsecond)
	}
	enc, _ := h.MarshalBinary()
	dst := New()
	c := NewCodec()
	b.ReportAllocs()
	for b.Loop() {
		c.MergeInto(dst, enc)
	}
}
