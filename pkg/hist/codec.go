package hist

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Index arithmetic of the one geometry (Lowest 1, SigFigs 3): a unit
// magnitude of 0 and 2^10 sub-buckets per half bucket, as hdrhistogram
// derives them. countsIndex and valueAt mirror its countsIndexFor and
// valueFromIndex; the tests pin them against hdr's own encoder.
const (
	subHalfMag = 10
	subHalf    = 1 << subHalfMag // 1,024
	subMask    = 2*subHalf - 1   // 2,047
)

// countsIndex is the index of v's bucket in the counts array.
func countsIndex(v int64) int {
	b := 64 - bits.LeadingZeros64(uint64(v|subMask)) - (subHalfMag + 1)
	return (b+1)<<subHalfMag + int(v>>b) - subHalf
}

// valueAt is the lowest value of the bucket at index i.
func valueAt(i int) int64 {
	b := i>>subHalfMag - 1
	sub := i&(subHalf-1) + subHalf
	if b < 0 {
		sub -= subHalf
		b = 0
	}
	return int64(sub) << b
}

// highestIndex is the bucket of Highest: no count lies beyond it.
var highestIndex = countsIndex(Highest)

// storeBelow: encodings up to this many bytes are stored, not compressed.
const storeBelow = 1024

// maxPayload bounds an inflated payload: at most 9 bytes for each bucket
// up to that of Highest. Anything longer is not ours, whatever it claims.
var maxPayload = 9 * (highestIndex + 1)

// Codec encodes and decodes histograms in the wire format without the
// per-call garbage of hdrhistogram's own encoder (a new zlib compressor,
// about 1 MB, and a base64 round trip each time): it reuses its compressor,
// decompressor and buffers, and decodes by adding counts straight into a
// histogram. Its output is hdrhistogram's V2 compressed encoding, byte for
// byte what hdr writes for payloads over storeBelow bytes (smaller ones are
// stored rather than compressed; hdr reads both). A Codec
// is not safe for concurrent use; MarshalBinary and Decode share a pool.
type Codec struct {
	packed *hdrhistogram.PackedHistogram // the populated buckets, in order
	raw    []byte                        // the uncompressed V2 encoding
	z      bytes.Buffer
	zw     *zlib.Writer  // BestCompression, as hdrhistogram writes
	zs     *zlib.Writer  // NoCompression: stored blocks, for small payloads
	fr     io.ReadCloser // a flate reader: zlib's own allocates a checksum per Reset
	br     bytes.Reader
	one    [1]byte
	counts []bucketCount // the populated buckets of the encoding being merged
	hdr    []byte        // an interval's encoding (LogWriter)
}

type bucketCount struct {
	i int32
	n int64
}

// NewCodec returns a Codec.
func NewCodec() *Codec {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestCompression) // the levels are valid
	zs, _ := zlib.NewWriterLevel(nil, zlib.NoCompression)
	return &Codec{packed: hdrhistogram.NewPacked(Lowest, Highest, SigFigs), zw: zw, zs: zs}
}

var codecs = sync.Pool{New: func() any { return NewCodec() }}

// Append appends the wire form of h to dst.
func (c *Codec) Append(dst []byte, h *Histogram) ([]byte, error) {
	if err := c.deflate(h, false); err != nil {
		return dst, err
	}
	dst = append(dst, magic0, magic1, version)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.overflow))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hdrCompressedCookie))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.z.Len()))
	return append(dst, c.z.Bytes()...), nil
}

// AppendHdr appends to dst hdrhistogram's V2 compressed encoding of h,
// before its base64 step: byte for byte what hdrhistogram-go's
// Encode(V2CompressedEncodingCookieBase) writes, whatever its size (zlib at
// its best compression), as an interval log holds it. Overflow is not in it.
func (c *Codec) AppendHdr(dst []byte, h *Histogram) ([]byte, error) {
	if err := c.deflate(h, true); err != nil {
		return dst, err
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(hdrCompressedCookie))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.z.Len()))
	return append(dst, c.z.Bytes()...), nil
}

// deflate writes the zlib stream of h's V2 encoding into c.z: in stored
// blocks when it is small, unless best, else at zlib's best compression.
func (c *Codec) deflate(h *Histogram, best bool) error {
	if err := h.check(); err != nil {
		return fmt.Errorf("marshal histogram: %w", err)
	}
	c.packed.Reset()
	if dropped := c.packed.MergeFrom(h.h); dropped != 0 {
		return fmt.Errorf("marshal histogram: %d values do not fit: %w", dropped, ErrDropped)
	}
	// The V2 payload lists the counts from index 0 to the last populated
	// bucket: a positive count as itself, a run of k > 1 empty buckets as -k,
	// one empty bucket as 0, each as a ZigZag LEB128 number.
	raw := append(c.raw[:0], make([]byte, hdrHeaderLen)...)
	next, any := 0, false
	for v, n := range c.packed.ForEachBucket {
		i := countsIndex(v)
		switch run := i - next; {
		case run > 1:
			raw = appendZigZag(raw, -int64(run))
		case run == 1:
			raw = appendZigZag(raw, 0)
		}
		raw = appendZigZag(raw, n)
		next, any = i+1, true
	}
	if !any {
		raw = appendZigZag(raw, 0) // an empty histogram lists bucket 0
	}
	binary.BigEndian.PutUint32(raw[0:], uint32(hdrCookie))
	binary.BigEndian.PutUint32(raw[4:], uint32(len(raw)-hdrHeaderLen))
	binary.BigEndian.PutUint32(raw[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(raw[12:], SigFigs)
	binary.BigEndian.PutUint64(raw[16:], Lowest)
	binary.BigEndian.PutUint64(raw[24:], Highest)
	binary.BigEndian.PutUint64(raw[32:], math.Float64bits(1))
	c.raw = raw

	// A payload of a few hundred bytes (a per-second histogram) hardly
	// compresses, and inflating a compressed stream costs a Huffman table
	// each time: a reducer merging 60,000 of them would spend most of its
	// time there. Small payloads go in stored deflate blocks, which any zlib
	// reader (hdrhistogram's included) reads as a plain copy.
	zw := c.zw
	if len(raw) <= storeBelow && !best {
		zw = c.zs
	}
	c.z.Reset()
	zw.Reset(&c.z)
	zw.Write(raw) // writes to a bytes.Buffer cannot fail
	zw.Close()
	return nil
}

// MergeInto adds the histogram encoded in b to dst, as if dst.Merge(Decode(b)),
// without building the decoded histogram. On error, which wraps ErrCorrupt
// (and ErrVersion, ErrGeometry or ErrDropped where they apply), dst is
// unchanged.
func (c *Codec) MergeInto(dst *Histogram, b []byte) error {
	if err := dst.check(); err != nil {
		return fmt.Errorf("merge encoded histogram into: %w", err)
	}
	overflow, payload, err := c.inflate(b)
	if err != nil {
		return err
	}
	c.counts = c.counts[:0]
	total, _, err := readPayload(payload, nil, &c.counts)
	if err != nil {
		return err
	}
	if total > math.MaxInt64-dst.h.TotalCount() || overflow > math.MaxInt64-dst.overflow {
		return fmt.Errorf("merge encoded histogram: count overflows int64: %w", ErrDropped)
	}
	for _, bc := range c.counts {
		dst.h.RecordValues(valueAt(int(bc.i)), bc.n) // in range: checked by readPayload
	}
	dst.overflow += overflow
	return nil
}

// MergeIntoSparse adds the histogram encoded in b to dst, as MergeInto
// adds it to a Histogram, touching only its populated buckets. On error,
// which wraps ErrCorrupt (and ErrVersion, ErrGeometry or ErrDropped where
// they apply), dst is unchanged.
func (c *Codec) MergeIntoSparse(dst *Sparse, b []byte) error {
	overflow, payload, err := c.inflate(b)
	if err != nil {
		return err
	}
	if overflow > math.MaxInt64-dst.overflow {
		return fmt.Errorf("merge encoded histogram: overflow count overflows int64: %w", ErrDropped)
	}
	// The counts go straight into dst as they are read and checked; on an
	// error, those added are read again and taken back.
	total, read, err := readPayload(payload, dst, nil)
	if err == nil && total > math.MaxInt64-dst.total {
		err = fmt.Errorf("merge encoded histogram: count overflows int64: %w", ErrDropped)
	}
	if err != nil {
		c.counts = c.counts[:0]
		readPayload(payload[:read], nil, &c.counts) // read once without error
		dst.takeBack(c.counts)
		return err
	}
	dst.total += total
	dst.overflow += overflow
	return nil
}

// inflate checks the envelope of b and returns its overflow count and the
// inflated payload (valid until the next use of c).
func (c *Codec) inflate(b []byte) (overflow int64, payload []byte, err error) {
	if len(b) < prefixLen+hdrOuterLen {
		return 0, nil, corrupt("truncated: %d bytes, need at least %d", len(b), prefixLen+hdrOuterLen)
	}
	if b[0] != magic0 || b[1] != magic1 {
		return 0, nil, corrupt("bad magic %#x %#x", b[0], b[1])
	}
	if b[2] != version {
		return 0, nil, fmt.Errorf("decode histogram: version %d, want %d: %w: %w", b[2], version, ErrVersion, ErrCorrupt)
	}
	o := binary.BigEndian.Uint64(b[3:])
	if o > math.MaxInt64 {
		return 0, nil, corrupt("overflow count %d exceeds int64", o)
	}
	enc := b[prefixLen:]
	if ck := int32(binary.BigEndian.Uint32(enc)); ck != hdrCompressedCookie {
		return 0, nil, corrupt("hdr cookie %#x, want %#x", ck, hdrCompressedCookie)
	}
	if n := binary.BigEndian.Uint32(enc[4:]); uint64(n) != uint64(len(enc)-hdrOuterLen) {
		return 0, nil, corrupt("zlib stream length %d, but %d bytes follow", n, len(enc)-hdrOuterLen)
	}
	// A zlib stream (RFC 1950): a 2-byte header, a deflate stream, and
	// the Adler-32 checksum of the inflated bytes.
	z := enc[hdrOuterLen:]
	if len(z) < 6 || z[0]&0x0f != 8 || z[0]>>4 > 7 || (uint16(z[0])<<8|uint16(z[1]))%31 != 0 || z[1]&0x20 != 0 {
		return 0, nil, corrupt("zlib: bad header")
	}
	if raw, ok := c.inflateStored(z); ok {
		return int64(o), raw[hdrHeaderLen:], nil
	}
	c.br.Reset(z[2:])
	if c.fr == nil {
		c.fr = flate.NewReader(&c.br)
	} else if err := c.fr.(flate.Resetter).Reset(&c.br, nil); err != nil {
		return 0, nil, corrupt("zlib: %v", err)
	}
	// Read and check the header before the payload, whose declared length
	// must fit our geometry: no allocation is sized by untrusted input.
	raw := c.raw[:0]
	if cap(raw) < hdrHeaderLen {
		raw = make([]byte, 0, 4096)
	}
	raw = raw[:hdrHeaderLen]
	if _, err := io.ReadFull(c.fr, raw); err != nil {
		return 0, nil, corrupt("hdr header: %v", err)
	}
	if err := checkHeaderBytes(raw); err != nil {
		return 0, nil, err
	}
	plen := int(binary.BigEndian.Uint32(raw[4:]))
	if plen > maxPayload {
		return 0, nil, corrupt("payload length %d, more than %d", plen, maxPayload)
	}
	if cap(raw) < hdrHeaderLen+plen {
		raw = append(make([]byte, 0, hdrHeaderLen+plen), raw...)
	}
	raw = raw[:hdrHeaderLen+plen]
	if _, err := io.ReadFull(c.fr, raw[hdrHeaderLen:]); err != nil {
		return 0, nil, corrupt("payload: %v", err)
	}
	if n, err := c.fr.Read(c.one[:]); n != 0 || err != io.EOF {
		return 0, nil, corrupt("the stream is longer than its payload length %d (or broken: %v)", plen, err)
	}
	c.raw = raw
	// The deflate reader reads no further than its stream (bytes.Reader is a
	// ByteReader): exactly the checksum must remain.
	if c.br.Len() != 4 {
		return 0, nil, corrupt("%d bytes after the deflate stream, want the 4-byte checksum", c.br.Len())
	}
	if sum := binary.BigEndian.Uint32(z[len(z)-4:]); sum != adlerSum(raw) {
		return 0, nil, corrupt("zlib checksum mismatch")
	}
	return int64(o), raw[hdrHeaderLen:], nil
}

// inflateStored inflates the zlib stream z when its deflate stream is
// stored blocks only, as Append writes a small histogram, by copying them
// (a flate reader builds a Huffman decoder state for each stream), and
// checks what inflate checks. It returns false for any other stream and
// for anything amiss, which inflate's reader then reads or rejects.
func (c *Codec) inflateStored(z []byte) ([]byte, bool) {
	raw, d := c.raw[:0], z[2:]
	// One block, as Append writes a histogram of storeBelow bytes at most
	// (compress/flate ends it with an empty final block): its bytes are the
	// payload, read where they are.
	if len(d) >= 5 && d[0]&^1 == 0 {
		n := int(binary.LittleEndian.Uint16(d[1:]))
		if end := 5 + n; len(d) >= end+4 && binary.LittleEndian.Uint16(d[3:]) == ^uint16(n) {
			final := d[0] == 1
			if !final && bytes.HasPrefix(d[end:], emptyFinal) {
				end, final = end+len(emptyFinal), true
			}
			if final && len(d) == end+4 {
				raw = d[5 : 5+n]
				return raw, storedOK(raw, d[end:])
			}
		}
	}
	for {
		// A stored block starts on a byte: BFINAL in bit 0, BTYPE 00 in
		// bits 1–2, padding, then LEN and its complement NLEN, little-endian.
		if len(d) < 5 || d[0]>>1&3 != 0 {
			return nil, false
		}
		n := int(binary.LittleEndian.Uint16(d[1:]))
		if binary.LittleEndian.Uint16(d[3:]) != ^uint16(n) || len(d) < 5+n {
			return nil, false
		}
		raw = append(raw, d[5:5+n]...)
		final := d[0]&1 == 1
		d = d[5+n:]
		if final {
			break
		}
	}
	c.raw = raw
	return raw, storedOK(raw, d)
}

// emptyFinal is an empty final stored block.
var emptyFinal = []byte{1, 0, 0, 0xff, 0xff}

// storedOK checks what inflate checks of a payload raw read from stored
// blocks, with sum the 4 bytes after the deflate stream.
func storedOK(raw, sum []byte) bool {
	if len(sum) != 4 || len(raw) < hdrHeaderLen || checkHeaderBytes(raw) != nil {
		return false
	}
	if plen := int(binary.BigEndian.Uint32(raw[4:])); plen > maxPayload || len(raw) != hdrHeaderLen+plen {
		return false
	}
	return binary.BigEndian.Uint32(sum) == adlerSum(raw)
}

// readPayload reads the counts of the V2 payload p (deflate describes it)
// and adds them to the buckets of s as it reads them or, when s is nil,
// appends them to *counts; it checks that p is well formed, that every
// count lies in a bucket of the geometry and that their sum fits an
// int64, and returns that sum, which it does not add to s.total. On an
// error it returns how many bytes of p it had read and added: the caller
// takes them back (Sparse.takeBack).
func readPayload(p []byte, s *Sparse, counts *[]bucketCount) (total int64, read int, err error) {
	var pages []*[pageLen]uint32
	if s != nil {
		pages = s.table()
	}
	i := 0 // the bucket of the next number; it only grows
	for j := 0; j < len(p); {
		var v int64 // a count for bucket i
		start := j
		if j+4 <= len(p) {
			// Most of a second's numbers come in pairs: a run of empty
			// buckets in one byte or two (1–64 or up to 8,192 buckets),
			// then a count of 1–63 in one byte. Such a pair is read from
			// one load without a branch on its form, which the processor
			// could not predict.
			x := binary.LittleEndian.Uint32(p[j:])
			two := x >> 7 & 1                 // the run takes two bytes
			u := x&0x7f | x>>1&(0x7f<<7)&-two // the run, ZigZag
			n := x >> (8 + 8*two) & 0xff      // the count's byte
			if x&0x8000 == 0 && u&1 == 1 && n&0x81 == 0 && n != 0 {
				i += int(u>>1) + 1
				v = int64(n >> 1)
				j += 2 + int(two)
				goto add
			}
		}
		{
			// A ZigZag LEB128 number u, read without a branch when it
			// takes one byte or two.
			var u uint64
			if c := uint64(p[j]); j+1 < len(p) && c&uint64(p[j+1])&0x80 == 0 {
				two := c >> 7
				u = c&0x7f | uint64(p[j+1])<<7&-two
				j += 1 + int(two)
			} else if c&0x80 == 0 {
				u, j = c, j+1
			} else {
				x, k, ok := readZigZag(p[j:])
				if !ok {
					return total, start, corrupt("truncated count at bucket %d", i)
				}
				u, j = uint64(x<<1^x>>63), j+k
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
			if v = int64(u >> 1); v == 0 { // one empty bucket
				i++
				continue
			}
		}
	add:
		switch {
		case i == 0:
			return total, start, corrupt("count at bucket 0 (0 µs), outside %d–%d µs", Lowest, Highest)
		case i > highestIndex:
			return total, start, corrupt("more than %d buckets", highestIndex+1)
		case v > math.MaxInt64-total:
			return total, start, corrupt("counts overflow int64")
		}
		total += v
		if s == nil {
			*counts = append(*counts, bucketCount{int32(i), v})
			i++
			continue
		}
		// Every page has its slot (Sparse.table): looking it up costs a
		// load, where keeping the last page would cost a branch taken at
		// random.
		pg := pages[uint(i)/pageLen]
		if pg == nil {
			pg = s.page(i / pageLen)
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

// appendZigZag appends v in hdrhistogram's ZigZag LEB128 form: 7 bits a
// byte, least significant first, at most 9 bytes (the ninth holds 8 bits).
func appendZigZag(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

// readZigZag reads a number written by appendZigZag and its length.
func readZigZag(b []byte) (int64, int, bool) {
	var u uint64
	for i := 0; i < 9; i++ {
		if i == len(b) {
			return 0, 0, false
		}
		if i == 8 {
			u |= uint64(b[i]) << 56
			return int64(u>>1) ^ -int64(u&1), 9, true
		}
		u |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return int64(u>>1) ^ -int64(u&1), i + 1, true
		}
	}
	return 0, 0, false // unreachable
}
