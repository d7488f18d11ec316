package hist

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// record returns a new histogram holding ds.
func record(ds ...time.Duration) *Histogram {
	h := New()
	for _, d := range ds {
		h.Record(d)
	}
	return h
}

// latencies returns n pseudo-random latencies: log-normal around 20 ms, with
// some below 1 µs and some past Highest, from a fixed seed.
func latencies(n int, seed uint64) []time.Duration {
	r := rand.New(rand.NewPCG(seed, 42))
	ds := make([]time.Duration, n)
	for i := range ds {
		switch x := r.IntN(1000); {
		case x == 0: // past the geometry
			ds[i] = time.Hour + time.Duration(r.Int64N(int64(time.Hour)))
		case x < 5: // below its resolution
			ds[i] = time.Duration(r.Int64N(1000))
		default:
			ds[i] = time.Duration(math.Exp(r.NormFloat64()*1.5 + math.Log(float64(20*time.Millisecond))))
		}
	}
	return ds
}

func TestRecordQuantile(t *testing.T) {
	us := time.Microsecond
	var oneToThousand []time.Duration
	for i := 1; i <= 1000; i++ {
		oneToThousand = append(oneToThousand, time.Duration(i)*us)
	}
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		{"empty histogram reports 0", nil, 0.99, 0},
		{"one sample is every quantile", []time.Duration{time.Millisecond}, 0.5, time.Millisecond},
		{"q=0 of one sample", []time.Duration{time.Millisecond}, 0, time.Millisecond},
		{"median of 1..1000 µs (exact below 2048 µs)", oneToThousand, 0.5, 500 * us},
		{"p90 of 1..1000 µs", oneToThousand, 0.9, 900 * us},
		{"p99 of 1..1000 µs", oneToThousand, 0.99, 990 * us},
		{"p99.9 of 1..1000 µs", oneToThousand, 0.999, 999 * us},
		{"q=1 is the max", oneToThousand, 1, 1000 * us},
		{"q=0 is the min", oneToThousand, 0, 1 * us},
		{"q>1 clamps to the max", oneToThousand, 7, 1000 * us},
		{"q<0 clamps to the min", oneToThousand, -1, 1 * us},
		// 1 s lies in [2^19, 2^20) µs, buckets 512 µs wide: 999,936..1,000,447.
		{"a bucketed value reports its bucket's top", []time.Duration{time.Second}, 0.5, 1_000_447 * us},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := record(tt.samples...)
			if got := h.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestSummaries(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name           string
		samples        []time.Duration
		count          int64
		min, max, mean time.Duration
		wantOverflow   int64
	}{
		{"empty histogram is all zeros", nil, 0, 0, 0, 0, 0},
		{"exact values below 2048 µs", []time.Duration{1 * us, 3 * us}, 2, 1 * us, 3 * us, 2 * us, 0},
		// 1 s: bucket 999,936..1,000,447 µs, whose middle is 1,000,192 µs.
		{"bucketed value", []time.Duration{time.Second}, 1, 999_936 * us, 1_000_447 * us, 1_000_192 * us, 0},
		{"overflow is left out of every summary", []time.Duration{5 * us, 2 * time.Hour}, 1, 5 * us, 5 * us, 5 * us, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := record(tt.samples...)
			if got := h.Count(); got != tt.count {
				t.Errorf("Count() = %d, want %d", got, tt.count)
			}
			if got := h.Min(); got != tt.min {
				t.Errorf("Min() = %v, want %v", got, tt.min)
			}
			if got := h.Max(); got != tt.max {
				t.Errorf("Max() = %v, want %v", got, tt.max)
			}
			if got := h.Mean(); got != tt.mean {
				t.Errorf("Mean() = %v, want %v", got, tt.mean)
			}
			if got := h.Overflow(); got != tt.wantOverflow {
				t.Errorf("Overflow() = %d, want %d", got, tt.wantOverflow)
			}
		})
	}
}

func TestRecordRounding(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name string
		d    time.Duration
		want time.Duration // the recorded value, exact below 2048 µs
	}{
		{"zero records Lowest", 0, 1 * us},
		{"negative records Lowest", -5 * time.Second, 1 * us},
		{"most negative records Lowest", math.MinInt64, 1 * us},
		{"1 ns records Lowest", 1, 1 * us},
		{"499 ns rounds to 0, records Lowest", 499, 1 * us},
		{"500 ns rounds up to 1 µs", 500, 1 * us},
		{"1 µs is exact", 1 * us, 1 * us},
		{"1,499 ns rounds down", 1499, 1 * us},
		{"1,500 ns rounds half up", 1500, 2 * us},
		{"2,047.499 µs rounds down", 2_047_499, 2047 * us},
		{"2,046.5 µs rounds up", 2_046_500, 2047 * us},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := record(tt.d)
			if h.Count() != 1 || h.Overflow() != 0 {
				t.Fatalf("Count(), Overflow() = %d, %d, want 1, 0", h.Count(), h.Overflow())
			}
			if got := h.Min(); got != tt.want {
				t.Errorf("Record(%d ns) recorded %v, want %v", int64(tt.d), got, tt.want)
			}
			if got := h.Max(); got != tt.want {
				t.Errorf("Record(%d ns): Max() = %v, want %v", int64(tt.d), got, tt.want)
			}
		})
	}
}

func TestOverflow(t *testing.T) {
	tests := []struct {
		name         string
		record       func(h *Histogram)
		wantCount    int64
		wantOverflow int64
	}{
		{"Highest itself is recorded", func(h *Histogram) { h.Record(time.Hour) }, 1, 0},
		{"Highest + 499 ns rounds to Highest, recorded", func(h *Histogram) { h.Record(time.Hour + 499) }, 1, 0},
		{"Highest + 500 ns rounds past it, overflow", func(h *Histogram) { h.Record(time.Hour + 500) }, 0, 1},
		{"one day is overflow", func(h *Histogram) { h.Record(24 * time.Hour) }, 0, 1},
		{"the largest Duration is overflow", func(h *Histogram) { h.Record(math.MaxInt64) }, 0, 1},
		{"RecordMicros(Highest) is recorded", func(h *Histogram) { h.RecordMicros(Highest) }, 1, 0},
		{"RecordMicros(Highest+1) is overflow", func(h *Histogram) { h.RecordMicros(Highest + 1) }, 0, 1},
		{"RecordMicros(MaxInt64) is overflow", func(h *Histogram) { h.RecordMicros(math.MaxInt64) }, 0, 1},
		{"RecordMicros(MinInt64) records Lowest", func(h *Histogram) { h.RecordMicros(math.MinInt64) }, 1, 0},
		{"overflow counts every call", func(h *Histogram) {
			for range 3 {
				h.Record(2 * time.Hour)
			}
			h.Record(time.Millisecond)
		}, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New()
			tt.record(h)
			if got := h.Count(); got != tt.wantCount {
				t.Errorf("Count() = %d, want %d", got, tt.wantCount)
			}
			if got := h.Overflow(); got != tt.wantOverflow {
				t.Errorf("Overflow() = %d, want %d", got, tt.wantOverflow)
			}
		})
	}
	// Highest's bucket is 2^21 µs wide: 3,598,712,832..3,600,809,983 µs.
	if got, want := record(time.Hour).Max(), 3_600_809_983*time.Microsecond; got != want {
		t.Errorf("Max() after Record(1h) = %v, want %v", got, want)
	}
}

func TestResetCloneEqual(t *testing.T) {
	h := record(time.Millisecond, 2*time.Hour)
	c := h.Clone()
	if !c.Equal(h) {
		t.Fatalf("Clone() = %v, want Equal to %v", c, h)
	}
	h.Reset()
	if !h.Equal(New()) {
		t.Errorf("after Reset() got %v, want an empty histogram", h)
	}
	if c.Count() != 1 || c.Overflow() != 1 {
		t.Errorf("clone changed with its source: got %v, want count 1 overflow 1", c)
	}
	var nilH *Histogram
	tests := []struct {
		name string
		a, b *Histogram
		want bool
	}{
		{"two empty histograms", New(), New(), true},
		{"same samples", record(time.Second), record(time.Second), true},
		{"samples in one bucket are equal", record(time.Second), record(time.Second + 100*time.Microsecond), true},
		{"different buckets", record(time.Second), record(2 * time.Second), false},
		{"different counts", record(time.Second), record(time.Second, time.Second), false},
		{"different overflow", record(2 * time.Hour), New(), false},
		{"nil and nil", nilH, nilH, true},
		{"nil and empty", nilH, New(), false},
		{"zero value and empty", &Histogram{}, New(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("%v.Equal(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("%v.Equal(%v) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		into  *Histogram
		from  *Histogram
		wantN int64
		wantO int64
		want  *Histogram // nil: skip
	}{
		{"counts and overflow add up", record(ms, 2*ms, 2*time.Hour), record(3*ms, 3*time.Hour, 4*time.Hour), 3, 3,
			record(ms, 2*ms, 3*ms, 2*time.Hour, 3*time.Hour, 4*time.Hour)},
		{"empty into full changes nothing", record(ms), New(), 1, 0, record(ms)},
		{"full into empty copies", New(), record(ms, 2*time.Hour), 1, 1, record(ms, 2*time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := tt.from.Clone()
			if err := tt.into.Merge(tt.from); err != nil {
				t.Fatalf("Merge() error = %v, want nil", err)
			}
			if tt.into.Count() != tt.wantN || tt.into.Overflow() != tt.wantO {
				t.Errorf("after Merge() count, overflow = %d, %d, want %d, %d",
					tt.into.Count(), tt.into.Overflow(), tt.wantN, tt.wantO)
			}
			if !tt.into.Equal(tt.want) {
				t.Errorf("after Merge() got %v, want %v", tt.into, tt.want)
			}
			if !tt.from.Equal(from) {
				t.Errorf("Merge() changed its argument: got %v, want %v", tt.from, from)
			}
		})
	}
	t.Run("self merge doubles", func(t *testing.T) {
		h := record(ms, 5*ms, 2*time.Hour)
		if err := h.Merge(h); err != nil {
			t.Fatalf("h.Merge(h) error = %v, want nil", err)
		}
		if want := record(ms, ms, 5*ms, 5*ms, 2*time.Hour, 2*time.Hour); !h.Equal(want) {
			t.Errorf("h.Merge(h) = %v, want %v", h, want)
		}
	})
}

// TestMergeEqualsOneHistogram is the reducer's promise: splitting samples over
// 16 shards and merging them gives exactly one histogram of all samples.
func TestMergeEqualsOneHistogram(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		ds := latencies(50_000, seed)
		all := record(ds...)
		r := rand.New(rand.NewPCG(seed, 7))
		shards := make([]*Histogram, 16)
		for i := range shards {
			shards[i] = New()
		}
		for _, d := range ds {
			shards[r.IntN(len(shards))].Record(d)
		}
		merged := New()
		for i, s := range shards {
			if err := merged.Merge(s); err != nil {
				t.Fatalf("seed %d: Merge(shard %d) error = %v", seed, i, err)
			}
		}
		for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
			if got, want := merged.Quantile(q), all.Quantile(q); got != want {
				t.Errorf("seed %d: merged Quantile(%v) = %v, want %v", seed, q, got, want)
			}
		}
		if got, want := merged.Count(), all.Count(); got != want {
			t.Errorf("seed %d: merged Count() = %d, want %d", seed, got, want)
		}
		if got, want := merged.Overflow(), all.Overflow(); got != want || got == 0 {
			t.Errorf("seed %d: merged Overflow() = %d, want %d (> 0)", seed, got, want)
		}
		if got, want := merged.Min(), all.Min(); got != want {
			t.Errorf("seed %d: merged Min() = %v, want %v", seed, got, want)
		}
		if got, want := merged.Max(), all.Max(); got != want {
			t.Errorf("seed %d: merged Max() = %v, want %v", seed, got, want)
		}
		if !merged.Equal(all) {
			t.Errorf("seed %d: merged = %v, want Equal to %v", seed, merged, all)
		}
	}
}

func TestMergeErrors(t *testing.T) {
	foreign := func(lo, hi int64, sig int) *Histogram {
		return &Histogram{h: hdrhistogram.New(lo, hi, sig)}
	}
	full := New()
	if err := full.h.RecordValues(1, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	fullOverflow := New()
	fullOverflow.overflow = math.MaxInt64
	tests := []struct {
		name string
		into *Histogram
		from *Histogram
		want error
	}{
		{"fewer significant digits", New(), foreign(Lowest, Highest, 2), ErrGeometry},
		{"another highest value", New(), foreign(Lowest, 2*Highest, SigFigs), ErrGeometry},
		{"another lowest value", New(), foreign(1000, Highest, SigFigs), ErrGeometry},
		{"a foreign receiver", foreign(Lowest, 1000, SigFigs), New(), ErrGeometry},
		{"nil argument", New(), nil, ErrGeometry},
		{"zero-value argument", New(), &Histogram{}, ErrGeometry},
		{"zero-value receiver", &Histogram{}, New(), ErrGeometry},
		{"count past MaxInt64", full, record(time.Millisecond), ErrDropped},
		{"overflow past MaxInt64", fullOverflow, record(2 * time.Hour), ErrDropped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *Histogram
			if tt.into.h != nil {
				before = tt.into.Clone()
			}
			err := tt.into.Merge(tt.from)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Merge() error = %v, want %v", err, tt.want)
			}
			if before != nil && !tt.into.Equal(before) {
				t.Errorf("failed Merge() changed the receiver: got %v, want %v", tt.into, before)
			}
		})
	}
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	h := record(latencies(1000, 9)...)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Record", func() { h.Record(1234 * time.Microsecond) }},
		{"Record below Lowest", func() { h.Record(-1) }},
		{"Record overflow", func() { h.Record(2 * time.Hour) }},
		{"RecordMicros", func() { h.RecordMicros(98765) }},
		{"Quantile", func() { _ = h.Quantile(0.99) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(1000, tt.fn); got != 0 {
				t.Errorf("AllocsPerRun(%s) = %v, want 0", tt.name, got)
			}
		})
	}
}
