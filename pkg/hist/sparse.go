package hist

import (
	"fmt"
	"math"
)

// Sparse accumulates the counts of many histograms of the one geometry in
// little memory, for a reducer that must hold one merged histogram per
// second of a long run until every shard has been read (3,600 of them, and
// as many again per target and for the uncorrected latencies, in a 1-hour
// run). A Histogram holds all 23,552 counters (184 KiB) whatever it
// records; a Sparse holds pages of pageLen 32-bit counters, allocated when
// a count first lands in them: a second's latencies spread over a few
// octaves take a few dozen KiB. A count past 2^32 − 1 in one bucket is
// carried in a map, so the sums stay exact.
//
// Counts come in through Codec.MergeIntoSparse and go out through AddTo,
// which adds them to a Histogram: the Histogram then holds exactly what
// merging every one of the encoded histograms into it would. The zero value
// is an empty Sparse. It is not safe for concurrent use.
type Sparse struct {
	pages    []*[pageLen]uint32
	spare    [][pageLen]uint32 // pages allocated slabPages at a time, not yet used
	carry    map[int32]int64   // what a bucket holds beyond its 32-bit counter
	total    int64
	overflow int64
}

// pageLen is the buckets of a page: a tenth of an octave (the geometry has
// 1,024 buckets an octave), 512 bytes.
const pageLen = 128

// slabPages is how many pages a Sparse allocates at once: a histogram's
// pages then lie together in memory, eight to each of the processor's
// memory pages (4 KiB), where one at a time they would be strewn among
// other seconds' and cost a miss of its address cache (TLB) each (about
// 4 % of a reduce).
const slabPages = 8

// Count returns the number of values held, excluding overflow.
func (s *Sparse) Count() int64 { return s.total }

// Overflow returns the overflow count held.
func (s *Sparse) Overflow() int64 { return s.overflow }

// Bytes returns the memory s holds in its pages, for sizing.
func (s *Sparse) Bytes() int {
	n := 8*cap(s.pages) + 4*pageLen*len(s.spare)
	for _, p := range s.pages {
		if p != nil {
			n += 4 * pageLen
		}
	}
	return n
}

// saturate adds n to the counter c of bucket i, where the sum does not
// fit: the counter holds math.MaxUint32 and the carry the rest. A bucket
// holds *c + carry[i] in all, and a carry only beside a full counter.
func (s *Sparse) saturate(c *uint32, i int32, n int64) {
	if s.carry == nil {
		s.carry = map[int32]int64{}
	}
	s.carry[i] += int64(uint64(*c) + uint64(n) - math.MaxUint32)
	*c = math.MaxUint32
}

// takeBack subtracts from s the counts, which were added to it.
func (s *Sparse) takeBack(counts []bucketCount) {
	for _, bc := range counts {
		c := &s.pages[bc.i/pageLen][bc.i%pageLen]
		sum := uint64(*c) + uint64(s.carry[bc.i]) - uint64(bc.n)
		*c = uint32(min(sum, math.MaxUint32))
		if rest := int64(sum - uint64(*c)); rest > 0 {
			s.carry[bc.i] = rest
		} else {
			delete(s.carry, bc.i)
		}
	}
}

// numPages is the pages of the geometry's buckets, up to that of Highest.
var numPages = highestIndex/pageLen + 1

// table returns s's pages, a slot for each of the geometry's (numPages):
// nil where none is allocated.
func (s *Sparse) table() []*[pageLen]uint32 {
	if len(s.pages) < numPages {
		s.pages = append(s.pages, make([]*[pageLen]uint32, numPages-len(s.pages))...)
	}
	return s.pages
}

// page returns page pi, which it allocates if need be.
func (s *Sparse) page(pi int) *[pageLen]uint32 {
	if pi >= len(s.pages) {
		s.table()
	}
	p := s.pages[pi]
	if p == nil {
		if len(s.spare) == 0 {
			s.spare = make([][pageLen]uint32, slabPages)
		}
		p, s.spare = &s.spare[0], s.spare[1:]
		s.pages[pi] = p
	}
	return p
}

// AddTo adds the counts and the overflow count of s to dst. It returns an
// error wrapping ErrGeometry if dst is not one of our histograms, or
// ErrDropped if the sum would not fit in an int64 count; in both cases dst
// is unchanged.
func (s *Sparse) AddTo(dst *Histogram) error {
	if err := dst.check(); err != nil {
		return fmt.Errorf("add sparse counts to: %w", err)
	}
	if s.total > math.MaxInt64-dst.h.TotalCount() || s.overflow > math.MaxInt64-dst.overflow {
		return fmt.Errorf("add %d sparse counts to %d: count overflows int64: %w", s.total, dst.h.TotalCount(), ErrDropped)
	}
	for pi, p := range s.pages {
		if p == nil {
			continue
		}
		for j, n := range p {
			if n == 0 {
				continue
			}
			i := pi*pageLen + j
			c := int64(n)
			if n == math.MaxUint32 { // a carry only beside a full counter
				c += s.carry[int32(i)]
			}
			dst.h.RecordValues(valueAt(i), c)
		}
	}
	dst.overflow += s.overflow
	return nil
}

// MergeEncodedSparse adds the histogram encoded in b to dst (see
// Codec.MergeIntoSparse). On error dst is unchanged.
func MergeEncodedSparse(dst *Sparse, b []byte) error {
	c := codecs.Get().(*Codec)
	defer codecs.Put(c)
	return c.MergeIntoSparse(dst, b)
}
