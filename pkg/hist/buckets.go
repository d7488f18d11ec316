package hist

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Bucketer counts histograms into fixed buckets, as live metrics show
// them. It is not safe for concurrent use.
type Bucketer struct {
	packed *hdrhistogram.PackedHistogram // the populated buckets, in order
}

// NewBucketer returns a Bucketer.
func NewBucketer() *Bucketer {
	return &Bucketer{packed: hdrhistogram.NewPacked(Lowest, Highest, SigFigs)}
}

// Add adds h's values to counts, where counts[i] counts the values
// at most bounds[i] (ascending), cumulative as Prometheus's histogram
// buckets are, and returns how many values it added and their sum. A value
// counts at its bucket's lowest value (within 0.1 %, SigFigs 3). It
// allocates nothing once the Bucketer has packed a histogram of that size.
func (c *Bucketer) Add(h *Histogram, bounds []time.Duration, counts []int64) (n int64, sum time.Duration, err error) {
	if len(counts) != len(bounds) {
		return 0, 0, fmt.Errorf("hist: %d bucket counts for %d bounds", len(counts), len(bounds))
	}
	c.packed.Reset()
	if dropped := c.packed.MergeFrom(h.h); dropped != 0 {
		return 0, 0, fmt.Errorf("hist: %d values do not fit: %w", dropped, ErrDropped)
	}
	for v, k := range c.packed.ForEachBucket {
		n += k
		d := dur(v)
		sum += time.Duration(k) * d
		for i := len(bounds) - 1; i >= 0 && d <= bounds[i]; i-- {
			counts[i] += k
		}
	}
	return n, sum, nil
}
