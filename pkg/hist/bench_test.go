package hist

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkRecord is the hot path: it must report 0 allocs/op.
func BenchmarkRecord(b *testing.B) {
	ds := latencies(1<<12, 1)
	h := New()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Record(ds[i&(len(ds)-1)])
		i++
	}
}

// BenchmarkMerge merges one shard of 100,000 samples, as the reducer does.
func BenchmarkMerge(b *testing.B) {
	src := record(latencies(100_000, 2)...)
	dst := New()
	b.ReportAllocs()
	for b.Loop() {
		if err := dst.Merge(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes a shard of 100,000 samples.
func BenchmarkMarshal(b *testing.B) {
	h := record(latencies(100_000, 3)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	enc := mustMarshal(b, h)
	b.ReportMetric(float64(len(enc)), "bytes")
}

// BenchmarkDecode decodes a shard of 100,000 samples.
func BenchmarkDecode(b *testing.B) {
	enc := mustMarshal(b, record(latencies(100_000, 4)...))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuantile reads the 99th percentile of 100,000 samples.
func BenchmarkQuantile(b *testing.B) {
	h := record(latencies(100_000, 5)...)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Quantile(0.99)
	}
}

// BenchmarkLogInterval writes one second of 100,000 samples to an interval
// log, as the reducer does once per second of a run (report.hlog).
func BenchmarkLogInterval(b *testing.B) {
	h := record(latencies(100_000, 6)...)
	var buf bytes.Buffer
	w, err := NewLogWriter(&buf, time.Unix(0, 0), time.Unix(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := w.Interval(time.Unix(1, 0), time.Second, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// BenchmarkMergeSparse merges a second of a shard (100 samples), as the
// reducer merges its per-second histograms, into a warm Sparse: the
// decoding and adding alone, without the cache misses of a long run. The
// seconds differ (256 of them), as the processor would learn one by heart.
func BenchmarkMergeSparse(b *testing.B) {
	encs := make([][]byte, 256)
	for k := range encs {
		encs[k] = mustMarshal(b, record(latencies(100, uint64(100+k))...))
	}
	var s Sparse
	c := NewCodec()
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		if err := c.MergeIntoSparse(&s, encs[k%len(encs)]); err != nil {
			b.Fatal(err)
		}
		k++
	}
}
