package hist

import (
	"errors"
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Geometry, one for every histogram in barrage: values are microseconds.
const (
	Lowest  = 1             // 1 µs, the lowest discernible value
	Highest = 3_600_000_000 // 1 h in µs, the highest value recorded
	SigFigs = 3             // significant decimal digits
)

// Errors returned by Merge and the decoders; compare them with errors.Is.
var (
	// ErrGeometry means a histogram is not one of ours: nil, the zero value,
	// or (decoded) another geometry.
	ErrGeometry = errors.New("hist: not the histogram geometry")
	// ErrDropped means Merge would have dropped values.
	ErrDropped = errors.New("hist: merge would drop values")
	// ErrCorrupt means the input is not a histogram MarshalBinary wrote.
	ErrCorrupt = errors.New("hist: corrupt encoding")
	// ErrVersion means the input has a version this package cannot read.
	ErrVersion = errors.New("hist: unsupported encoding version")
)

// Histogram is a latency histogram in microseconds with the package geometry
// and an overflow counter. It is not safe for concurrent use: each recording
// goroutine owns one, and histograms are merged afterwards. The zero value is
// not usable; create histograms with New or Decode.
type Histogram struct {
	h        *hdrhistogram.Histogram
	overflow int64 // values above Highest, not recorded in h
}

// New returns an empty Histogram with the package geometry.
func New() *Histogram {
	return &Histogram{h: hdrhistogram.New(Lowest, Highest, SigFigs)}
}

// Record records d rounded to the nearest microsecond (see RecordMicros). It
// does not allocate.
func (h *Histogram) Record(d time.Duration) {
	h.RecordMicros(micros(d))
}

// micros converts d to microseconds, rounding half a microsecond up. Dividing
// first cannot overflow, unlike (d+500)/1000.
func micros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if d%time.Microsecond >= time.Microsecond/2 {
		us++
	}
	return us
}

// RecordMicros records us microseconds: values below Lowest are recorded as
// Lowest, values above Highest are counted in Overflow and not recorded. It
// does not allocate.
func (h *Histogram) RecordMicros(us int64) {
	if us < Lowest {
		us = Lowest
	}
	if us > Highest {
		h.overflow++
		return
	}
	if h.h.RecordValue(us) != nil {
		// Only a total count past math.MaxInt64 gets here (292 years of
		// samples at 10^9 per second); count it rather than lose it silently.
		h.overflow++
	}
}

// Merge adds the samples and the overflow count of o into h. It returns an
// error wrapping ErrGeometry if o is not one of our histograms, or ErrDropped
// if the sum would not fit in an int64 count; in both cases h is unchanged.
// o is never changed, and h.Merge(h) doubles h.
func (h *Histogram) Merge(o *Histogram) error {
	if err := o.check(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := h.check(); err != nil {
		return fmt.Errorf("merge into: %w", err)
	}
	if o.h.TotalCount() > math.MaxInt64-h.h.TotalCount() {
		return fmt.Errorf("merge %d values into %d: count overflows int64: %w",
			o.h.TotalCount(), h.h.TotalCount(), ErrDropped)
	}
	if o.overflow > math.MaxInt64-h.overflow {
		return fmt.Errorf("merge overflow %d into %d: overflows int64: %w",
			o.overflow, h.overflow, ErrDropped)
	}
	src := o.h
	if o == h {
		src = o.h.Clone() // do not iterate over what is being written
	}
	// With equal geometries and a total that fits, hdr drops nothing: every
	// index of src exists in h.h. The check guards that reasoning.
	if dropped := h.h.Merge(src); dropped != 0 {
		return fmt.Errorf("merge dropped %d values, h now holds a partial merge: %w", dropped, ErrDropped)
	}
	h.overflow += o.overflow
	return nil
}

// check returns an error wrapping ErrGeometry unless h is a usable histogram
// with the package geometry.
func (h *Histogram) check() error {
	if h == nil || h.h == nil {
		return fmt.Errorf("nil or zero histogram: %w", ErrGeometry)
	}
	return checkGeometry(h.h.LowestTrackableValue(), h.h.HighestTrackableValue(), h.h.SignificantFigures())
}

// checkGeometry returns an error wrapping ErrGeometry unless the arguments
// are the package geometry.
func checkGeometry(lowest, highest, sigFigs int64) error {
	if lowest != Lowest || highest != Highest || sigFigs != SigFigs {
		return fmt.Errorf("geometry [%d, %d] µs at %d digits, want [%d, %d] at %d: %w",
			lowest, highest, sigFigs, Lowest, Highest, SigFigs, ErrGeometry)
	}
	return nil
}

// Reset removes every sample and the overflow count.
func (h *Histogram) Reset() {
	h.h.Reset()
	h.overflow = 0
}

// Count returns the number of recorded values, excluding overflow.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Overflow returns the number of values above Highest that were not recorded.
func (h *Histogram) Overflow() int64 { return h.overflow }

// Min returns the smallest recorded value, rounded down to its bucket, or 0
// when h is empty.
func (h *Histogram) Min() time.Duration { return dur(h.h.Min()) }

// Max returns the largest recorded value, rounded up to the top of its
// bucket, or 0 when h is empty.
func (h *Histogram) Max() time.Duration { return dur(h.h.Max()) }

// Mean returns the mean of the recorded values, each counted at the middle
// of its bucket, or 0 when h is empty.
func (h *Histogram) Mean() time.Duration {
	return time.Duration(math.Round(h.h.Mean() * float64(time.Microsecond)))
}

// Quantile returns the value below or at which a fraction q of the recorded
// values lie, e.g. q = 0.99 for the 99th percentile, rounded up to the top
// of its bucket (Quantile(1) == Max()); Quantile(0) is Min(). q outside [0, 1]
// is clamped. It returns 0 when h is empty and does not allocate.
func (h *Histogram) Quantile(q float64) time.Duration {
	return dur(h.h.ValueAtQuantile(q * 100)) // hdr takes a percentile
}

// dur converts microseconds to a Duration.
func dur(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// Clone returns an independent copy of h.
func (h *Histogram) Clone() *Histogram {
	return &Histogram{h: h.h.Clone(), overflow: h.overflow}
}

// Equal reports whether h and o hold the same counts in the same buckets and
// the same overflow count. Two nil histograms are equal.
func (h *Histogram) Equal(o *Histogram) bool {
	if h == nil || o == nil {
		return h == o
	}
	if h.h == nil || o.h == nil {
		return h.h == o.h && h.overflow == o.overflow
	}
	return h.overflow == o.overflow && h.h.Equals(o.h)
}

// String summarises h for logs and test failures.
func (h *Histogram) String() string {
	if h == nil || h.h == nil {
		return "hist(nil)"
	}
	return fmt.Sprintf("hist(n=%d overflow=%d min=%v p50=%v p99=%v max=%v)",
		h.Count(), h.overflow, h.Min(), h.Quantile(0.5), h.Quantile(0.99), h.Max())
}
