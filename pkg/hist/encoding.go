package hist

import (
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Wire constants; doc.go describes the format byte by byte.
const (
	magic0, magic1 = 'B', 'H'
	version        = 1
	prefixLen      = 3 + 8 // magic, version, overflow

	hdrCompressedCookie = hdrhistogram.V2CompressedEncodingCookieBase | 0x10 // 0x1c849314
	hdrCookie           = hdrhistogram.V2EncodingCookieBase | 0x10           // 0x1c849313
	hdrOuterLen         = 8                                                  // cookie, zlib length
	hdrHeaderLen        = hdrhistogram.ENCODING_HEADER_SIZE                  // 40
)

var (
	_ encoding.BinaryMarshaler   = (*Histogram)(nil)
	_ encoding.BinaryUnmarshaler = (*Histogram)(nil)
	_ encoding.TextMarshaler     = (*Histogram)(nil)
	_ encoding.TextUnmarshaler   = (*Histogram)(nil)
)

// MarshalBinary returns the wire form of h (see the package documentation).
func (h *Histogram) MarshalBinary() ([]byte, error) {
	c := codecs.Get().(*Codec)
	defer codecs.Put(c)
	return c.Append(nil, h)
}

// UnmarshalBinary replaces h with the histogram encoded in b. It works on the
// zero value (as encoding/json needs). On error, which wraps ErrCorrupt (and
// ErrVersion or ErrGeometry where they apply), h is unchanged.
func (h *Histogram) UnmarshalBinary(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*h = *d
	return nil
}

// MarshalText returns the standard base64 encoding of MarshalBinary, so that
// a *Histogram is a string in JSON (and a nil one is null). Declare fields as
// *Histogram: encoding/json only finds this method on a Histogram value
// field when the value is addressable.
func (h *Histogram) MarshalText() ([]byte, error) {
	b, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// UnmarshalText replaces h with the histogram whose MarshalText is text. On
// error h is unchanged.
func (h *Histogram) UnmarshalText(text []byte) error {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(b, text)
	if err != nil {
		return fmt.Errorf("decode histogram: base64: %w: %w", err, ErrCorrupt)
	}
	return h.UnmarshalBinary(b[:n])
}

// Decode returns the histogram encoded in b by MarshalBinary. Its errors wrap
// ErrCorrupt, and also ErrVersion or ErrGeometry where they apply. It never
// panics on any input, and checks the geometry before it reads any count.
func Decode(b []byte) (*Histogram, error) {
	h := New()
	if err := MergeEncoded(h, b); err != nil {
		return nil, err
	}
	return h, nil
}

// MergeEncoded adds the histogram encoded in b to dst without decoding it
// into a histogram of its own: dst.Merge(Decode(b)) at a fraction of the
// cost. On error dst is unchanged.
func MergeEncoded(dst *Histogram, b []byte) error {
	c := codecs.Get().(*Codec)
	defer codecs.Put(c)
	return c.MergeInto(dst, b)
}

// checkHeaderBytes checks that an inflated V2 header declares exactly our
// geometry.
func checkHeaderBytes(hd []byte) error {
	if len(hd) < hdrHeaderLen {
		return corrupt("hdr header: %d bytes, want %d", len(hd), hdrHeaderLen)
	}
	if c := int32(binary.BigEndian.Uint32(hd[0:])); c != hdrCookie {
		return corrupt("hdr inner cookie %#x, want %#x", c, hdrCookie)
	}
	if off := int32(binary.BigEndian.Uint32(hd[8:])); off != 0 {
		return corrupt("normalizing index offset %d, want 0", off)
	}
	sig := int64(int32(binary.BigEndian.Uint32(hd[12:])))
	lowest := int64(binary.BigEndian.Uint64(hd[16:]))
	highest := int64(binary.BigEndian.Uint64(hd[24:]))
	if err := checkGeometry(lowest, highest, sig); err != nil {
		return fmt.Errorf("decode histogram: %w: %w", err, ErrCorrupt)
	}
	if r := math.Float64frombits(binary.BigEndian.Uint64(hd[32:])); r != 1 {
		return corrupt("conversion ratio %v, want 1", r)
	}
	return nil
}

// corrupt returns a decode error wrapping ErrCorrupt.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("decode histogram: "+format+": %w", append(args, ErrCorrupt)...)
}
