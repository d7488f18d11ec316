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

// addPayload adds the counts of the V2 payload p (deflate describes it)
// to the buckets of s as it reads them, checking that p is well formed,
// that every count lies in a bucket of the geometry and that their sum
// fits an int64; it returns that sum, which it does not add to s.total. On
// an error it returns how many bytes of p it had read and added: the
// caller takes them back (takeBack).
func (s *Sparse) addPayload(p []byte) (total int64, read int, err error) {
	var pg *[pageLen]uint32
	at := -1 // the page pg is
	i := 0   // the bucket of the next number; it only grows
	for j := 0; j < len(p); {
		// A ZigZag LEB128 number u: most of a second's take one byte (a
		// count of 1–63, a run of 1–64 empty buckets) or two (a longer
		// run), in no order a branch could predict: which it is is
		// computed, not branched on.
		var u uint64
		start := j
		if c := uint64(p[j]); j+1 < len(p) && c&uint64(p[j+1])&0x80 == 0 {
			two := c >> 7
			u = c&0x7f | uint64(p[j+1])<<7&-two
			j += 1 + int(two)
		} else {
			v, k, ok := readZigZag(p[j:])
			if !ok {
				return total, start, corrupt("truncated count at bucket %d", i)
			}
			u, j = uint64(v<<1^v>>63), j+k
		}
		if u&1 != 0 { // a run of u/2 + 1 empty buckets
			if u>>1 > uint64(highestIndex) {
				return total, start, corrupt("a run of %d empty buckets", u>>1+1)
			}
			if i += int(u>>1) + 1; i > highestIndex+1 {
				return total, start, corrupt("more than %d buckets", highestIndex+1)
			}
			continue
		}
		v := int64(u >> 1)
		switch {
		case v == 0: // one empty bucket
			i++
			continue
		case i == 0:
			return total, start, corrupt("count at bucket 0 (0 µs), outside %d–%d µs", Lowest, Highest)
		case i > highestIndex:
			return total, start, corrupt("more than %d buckets", highestIndex+1)
		case v > math.MaxInt64-total:
			return total, start, corrupt("counts overflow int64")
		}
		total += v
		if pi := uint(i) / pageLen; int(pi) != at {
			pg, at = s.page(int(pi)), int(pi)
		}
		if c := &pg[uint(i)%pageLen]; uint64(*c)+uint64(v) <= math.MaxUint32 {
			*c += uint32(v)
		} else {
			s.saturate(c, int32(i), v)
		}
		i++
	}
	return total, len(p), nil
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

// takeBack subtracts from s the counts of the payload p, which
// addPayload has added to it without error, using scratch (an empty
// Sparse, left empty) to read them again.
func (s *Sparse) takeBack(p []byte, scratch *Sparse) {
	defer scratch.reset()
	scratch.addPayload(p) // it was read once without error
	for pi, sp := range scratch.pages {
		if sp == nil {
			continue
		}
		for j, n := range sp {
			if n == 0 {
				continue
			}
			i := int32(pi*pageLen + j)
			c := &s.pages[pi][j]
			// In all the bucket holds *c + carry[i] and keeps that less what
			// scratch holds, in the same form.
			sum := uint64(*c) + uint64(s.carry[i]) - uint64(n) - uint64(scratch.carry[i])
			*c = uint32(min(sum, math.MaxUint32))
			if rest := int64(sum - uint64(*c)); rest > 0 {
				s.carry[i] = rest
			} else {
				delete(s.carry, i)
			}
		}
	}
}

// reset empties s and keeps its pages for what comes next.
func (s *Sparse) reset() {
	for _, p := range s.pages {
		if p != nil {
			clear(p[:])
		}
	}
	clear(s.carry)
	s.total, s.overflow = 0, 0
}

// page returns page pi, which it allocates if need be.
func (s *Sparse) page(pi int) *[pageLen]uint32 {
	if pi >= len(s.pages) {
		s.pages = append(s.pages, make([]*[pageLen]uint32, pi+1-len(s.pages))...)
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
