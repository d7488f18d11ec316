package hist

import (
	"bytes"
	"compress/zlib"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
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
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("marshal histogram: %w", err)
	}
	// hdr returns its encoding in base64; the wire carries the raw bytes.
	b64, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("marshal histogram: %w", err)
	}
	out := make([]byte, prefixLen+base64.StdEncoding.DecodedLen(len(b64)))
	out[0], out[1], out[2] = magic0, magic1, version
	binary.BigEndian.PutUint64(out[3:], uint64(h.overflow))
	n, err := base64.StdEncoding.Decode(out[prefixLen:], b64)
	if err != nil {
		return nil, fmt.Errorf("marshal histogram: hdr encoding: %w", err)
	}
	return out[:prefixLen+n], nil
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
// panics on any input, and reads the geometry before allocating for it.
func Decode(b []byte) (*Histogram, error) {
	if len(b) < prefixLen+hdrOuterLen {
		return nil, corrupt("truncated: %d bytes, need at least %d", len(b), prefixLen+hdrOuterLen)
	}
	if b[0] != magic0 || b[1] != magic1 {
		return nil, corrupt("bad magic %#x %#x", b[0], b[1])
	}
	if b[2] != version {
		return nil, fmt.Errorf("decode histogram: version %d, want %d: %w: %w", b[2], version, ErrVersion, ErrCorrupt)
	}
	overflow := binary.BigEndian.Uint64(b[3:])
	if overflow > math.MaxInt64 {
		return nil, corrupt("overflow count %d exceeds int64", overflow)
	}
	enc := b[prefixLen:]
	if c := int32(binary.BigEndian.Uint32(enc)); c != hdrCompressedCookie {
		return nil, corrupt("hdr cookie %#x, want %#x", c, hdrCompressedCookie)
	}
	if n := binary.BigEndian.Uint32(enc[4:]); uint64(n) != uint64(len(enc)-hdrOuterLen) {
		return nil, corrupt("zlib stream length %d, but %d bytes follow", n, len(enc)-hdrOuterLen)
	}
	if err := checkHeader(enc[hdrOuterLen:]); err != nil {
		return nil, err
	}
	// hdr reads the payload with its own hardening, now bounded by our
	// geometry; it wants the base64 form MarshalBinary stripped.
	b64 := make([]byte, base64.StdEncoding.EncodedLen(len(enc)))
	base64.StdEncoding.Encode(b64, enc)
	hh, err := hdrhistogram.Decode(b64)
	if err != nil {
		return nil, corrupt("hdr: %v", err)
	}
	d := &Histogram{h: hh, overflow: int64(overflow)}
	if err := d.check(); err != nil { // checkHeader saw it; hdr must agree
		return nil, fmt.Errorf("decode histogram: %w: %w", err, ErrCorrupt)
	}
	// Record never writes below Lowest or past the bucket of Highest, though
	// the counts array has room for both.
	if hh.TotalCount() > 0 {
		if lo := hh.Min(); lo < Lowest {
			return nil, corrupt("count at %d µs, below the lowest value %d", lo, Lowest)
		}
		if hi := hh.Max(); hi > Highest && !hh.ValuesAreEquivalent(hi, Highest) {
			return nil, corrupt("count at %d µs, above the highest value %d", hi, Highest)
		}
	}
	return d, nil
}

// checkHeader inflates the fixed header at the start of the zlib stream z
// and checks that it declares exactly our geometry, before hdr sizes a counts
// array and a payload buffer from it.
func checkHeader(z []byte) error {
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return corrupt("zlib: %v", err)
	}
	var hd [hdrHeaderLen]byte
	if _, err := io.ReadFull(zr, hd[:]); err != nil {
		return corrupt("hdr header: %v", err)
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
	// The payload length is bounded by hdr against our geometry's counts.
	return nil
}

// corrupt returns a decode error wrapping ErrCorrupt.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("decode histogram: "+format+": %w", append(args, ErrCorrupt)...)
}
