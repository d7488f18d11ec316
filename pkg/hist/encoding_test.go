package hist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// mustMarshal returns h.MarshalBinary() or fails the test.
func mustMarshal(t testing.TB, h *Histogram) []byte {
	t.Helper()
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary() error = %v", err)
	}
	return b
}

// wrapHdr returns our wire form around hdr's own encoding of hh.
func wrapHdr(t testing.TB, hh *hdrhistogram.Histogram, overflow uint64) []byte {
	t.Helper()
	b64, err := hh.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatalf("hdr Encode() error = %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		t.Fatalf("hdr Encode() is not base64: %v", err)
	}
	out := binary.BigEndian.AppendUint64([]byte{magic0, magic1, version}, overflow)
	return append(out, raw...)
}

// header is the 40-byte hdr V2 header inside the zlib stream.
type header struct {
	cookie, payloadLen, offset, sig int32
	lowest, highest                 int64
	ratio                           float64
}

// ours is the header MarshalBinary writes for a payload of n bytes.
func ours(n int32) header {
	return header{hdrCookie, n, 0, SigFigs, Lowest, Highest, 1}
}

// bytes returns the 40 bytes of hd.
func (hd header) bytes() []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(hd.cookie))
	b = binary.BigEndian.AppendUint32(b, uint32(hd.payloadLen))
	b = binary.BigEndian.AppendUint32(b, uint32(hd.offset))
	b = binary.BigEndian.AppendUint32(b, uint32(hd.sig))
	b = binary.BigEndian.AppendUint64(b, uint64(hd.lowest))
	b = binary.BigEndian.AppendUint64(b, uint64(hd.highest))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(hd.ratio))
}

// craft returns a wire form whose zlib stream inflates to hd and payload.
func craft(t testing.TB, hd header, payload []byte) []byte {
	t.Helper()
	return craftRaw(t, append(hd.bytes(), payload...))
}

// craftRaw returns a wire form whose zlib stream inflates to inflated.
func craftRaw(t testing.TB, inflated []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(inflated); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := []byte{magic0, magic1, version, 0, 0, 0, 0, 0, 0, 0, 0}
	out = binary.BigEndian.AppendUint32(out, uint32(hdrCompressedCookie))
	out = binary.BigEndian.AppendUint32(out, uint32(z.Len()))
	return append(out, z.Bytes()...)
}

func TestBinaryRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		h    *Histogram
	}{
		{"empty", New()},
		{"one sample", record(time.Millisecond)},
		{"Lowest and Highest", record(0, time.Hour)},
		{"only overflow", record(2*time.Hour, 3*time.Hour)},
		{"many samples and overflow", record(latencies(20_000, 5)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustMarshal(t, tt.h)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if !got.Equal(tt.h) {
				t.Errorf("Decode(MarshalBinary()) = %v, want %v", got, tt.h)
			}
			var z Histogram // UnmarshalBinary must work on the zero value
			if err := z.UnmarshalBinary(b); err != nil || !z.Equal(tt.h) {
				t.Errorf("UnmarshalBinary() = %v, %v, want %v, nil", &z, err, tt.h)
			}
			if b2 := mustMarshal(t, got); !bytes.Equal(b2, b) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", b2, b)
			}
		})
	}
}

func TestWireLayout(t *testing.T) {
	h := record(time.Millisecond, 2*time.Hour)
	h.overflow = 0x0102030405060708
	b := mustMarshal(t, h)
	if got, want := b[:11], []byte{'B', 'H', 1, 1, 2, 3, 4, 5, 6, 7, 8}; !bytes.Equal(got, want) {
		t.Errorf("prefix = %x, want %x", got, want)
	}
	if got, want := binary.BigEndian.Uint32(b[11:]), uint32(0x1c849314); got != want {
		t.Errorf("hdr cookie = %#x, want %#x", got, want)
	}
	if got, want := int(binary.BigEndian.Uint32(b[15:])), len(b)-19; got != want {
		t.Errorf("zlib length = %d, want the %d bytes that follow", got, want)
	}
	// Bytes 11.. are an hdr V2 compressed encoding: hdr itself reads them
	// back to the same histogram (a small payload is stored, not
	// compressed, so the bytes differ from hdr's own; see codec.go).
	back, err := hdrhistogram.Decode([]byte(base64.StdEncoding.EncodeToString(b[11:])))
	if err != nil {
		t.Fatalf("hdr cannot read bytes 11..: %v", err)
	}
	if !back.Equals(h.h) {
		t.Errorf("hdr reads bytes 11.. as another histogram")
	}
	// doc.go: 23 × 1,024 counters; hdr's ByteSize is 68 bytes plus 8 per counter.
	if got, want := New().h.ByteSize(), 68+23*1024*8; got != want {
		t.Errorf("ByteSize() = %d, want %d", got, want)
	}
}

func TestMarshalZeroValue(t *testing.T) {
	for _, h := range []*Histogram{nil, {}} {
		if _, err := h.MarshalBinary(); !errors.Is(err, ErrGeometry) {
			t.Errorf("(%v).MarshalBinary() error = %v, want %v", h, err, ErrGeometry)
		}
	}
}

// shard is how a *Histogram travels inside a JSON document.
type shard struct {
	Latency *Histogram `json:"latency"`
	Lag     *Histogram `json:"lag"`             // left nil
	Extra   *Histogram `json:"extra,omitempty"` // left nil
}

func TestJSONRoundTrip(t *testing.T) {
	in := shard{Latency: record(latencies(5_000, 3)...)}
	doc, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("json.Marshal() error = %v", err)
	}
	if !strings.Contains(string(doc), `"lag":null`) || strings.Contains(string(doc), `"extra"`) {
		t.Errorf("json.Marshal() = %s, want lag null and no extra", doc)
	}
	text, err := in.Latency.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if want := `"latency":"` + string(text) + `"`; !strings.Contains(string(doc), want) {
		t.Errorf("json.Marshal() = %s, want it to contain %s", doc, want)
	}
	// A []byte of the binary form (events.Histogram) is the same JSON string.
	bin, err := json.Marshal(mustMarshal(t, in.Latency))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"latency":` + string(bin); !strings.Contains(string(doc), want) {
		t.Errorf("json.Marshal() = %s, want it to contain %s", doc, want)
	}

	var out shard
	if err := json.Unmarshal(doc, &out); err != nil {
		t.Fatalf("json.Unmarshal() error = %v", err)
	}
	if !out.Latency.Equal(in.Latency) {
		t.Errorf("round-tripped Latency = %v, want %v", out.Latency, in.Latency)
	}
	if out.Lag != nil || out.Extra != nil {
		t.Errorf("round-tripped nil fields = %v, %v, want nil, nil", out.Lag, out.Extra)
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"not base64", `{"latency":"!!!"}`},
		{"base64 of junk", `{"latency":"` + base64.StdEncoding.EncodeToString([]byte("junk")) + `"}`},
		{"empty string", `{"latency":""}`},
		{"a number", `{"latency":42}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s shard
			if err := json.Unmarshal([]byte(tt.doc), &s); err == nil {
				t.Errorf("json.Unmarshal(%s) error = nil, want an error", tt.doc)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := mustMarshal(t, record(latencies(1000, 4)...))
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	at := func(v int64) *hdrhistogram.Histogram { // our geometry, a value Record never writes
		hh := hdrhistogram.New(Lowest, Highest, SigFigs)
		if err := hh.RecordValue(v); err != nil {
			t.Fatal(err)
		}
		return hh
	}
	tests := []struct {
		name string
		b    []byte
		want error // besides ErrCorrupt
	}{
		{"nil", nil, nil},
		{"shorter than the prefix", valid[:5], nil},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), nil},
		{"version 2", edit(func(b []byte) []byte { b[2] = 2; return b }), ErrVersion},
		{"version 0", edit(func(b []byte) []byte { b[2] = 0; return b }), ErrVersion},
		{"overflow past MaxInt64", edit(func(b []byte) []byte { b[3] = 0x80; return b }), nil},
		{"hdr cookie of the uncompressed form", edit(func(b []byte) []byte { b[14] = 0x13; return b }), nil},
		{"zlib length one short", edit(func(b []byte) []byte { b[18]--; return b }), nil},
		{"zlib length one long", edit(func(b []byte) []byte { b[18]++; return b }), nil},
		{"zlib length negative", edit(func(b []byte) []byte { b[15] = 0xff; return b }), nil},
		{"trailing byte", append(bytes.Clone(valid), 0), nil},
		{"zlib checksum flipped", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), nil},
		{"zlib header flipped", edit(func(b []byte) []byte { b[19] ^= 0xff; return b }), nil},
		{"hdr at 2 digits", wrapHdr(t, hdrhistogram.New(Lowest, Highest, 2), 0), ErrGeometry},
		{"hdr up to 1000 µs", wrapHdr(t, hdrhistogram.New(Lowest, 1000, SigFigs), 0), ErrGeometry},
		{"hdr from 1000 µs", wrapHdr(t, hdrhistogram.New(1000, Highest, SigFigs), 0), ErrGeometry},
		{"header lowest 0 (hdr reads it as 1)", craft(t, header{hdrCookie, 1, 0, SigFigs, 0, Highest, 1}, []byte{0}), ErrGeometry},
		{"header 1..MaxInt64 at 5 digits", craft(t, header{hdrCookie, math.MaxInt32, 0, 5, 1, math.MaxInt64, 1}, nil), ErrGeometry},
		{"header with inner cookie of the compressed form", craft(t, header{hdrCompressedCookie, 1, 0, SigFigs, Lowest, Highest, 1}, []byte{0}), nil},
		{"header with conversion ratio 2", craft(t, header{hdrCookie, 1, 0, SigFigs, Lowest, Highest, 2}, []byte{0}), nil},
		{"header with normalizing offset 1", craft(t, header{hdrCookie, 1, 0 + 1, SigFigs, Lowest, Highest, 1}, []byte{0}), nil},
		{"header cut short", craftRaw(t, ours(0).bytes()[:25]), nil},
		{"payload length past our counts", craft(t, ours(23552*9+1), nil), nil},
		{"payload shorter than its length", craft(t, ours(3), []byte{2}), nil},
		{"payload longer than its length", craft(t, ours(1), []byte{2, 2}), nil},
		{"payload truncated varint", craft(t, ours(1), []byte{0x80}), nil},
		{"payload zero run past the counts", craft(t, ours(3), []byte{0xff, 0xff, 0x0f}), nil},
		{"payload two-byte runs past the counts", craft(t, ours(6), []byte{0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f}), nil},
		{"payload one-byte count at 0 µs", craft(t, ours(1), []byte{2}), nil},
		{"payload counts past MaxInt64 by a one-byte count", craft(t, ours(11), append(appendZigZag([]byte{1}, math.MaxInt64), 2)), nil},
		{"count at 0 µs", wrapHdr(t, at(0), 0), nil},
		{"count past Highest's bucket", wrapHdr(t, at(4_000_000_000), 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Decode(tt.b)
			t.Log(err)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode() = %v, %v, want error %v", h, err, ErrCorrupt)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Decode() error = %v, want %v", err, tt.want)
			}
			z := record(time.Second)
			if err := z.UnmarshalBinary(tt.b); err == nil || !z.Equal(record(time.Second)) {
				t.Errorf("UnmarshalBinary() = %v, %v, want an error and no change", z, err)
			}
		})
	}
}

func TestDecodeEveryTruncation(t *testing.T) {
	valid := mustMarshal(t, record(latencies(1000, 6)...))
	for n := range len(valid) {
		if h, err := Decode(valid[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Decode(first %d of %d bytes) = %v, %v, want error %v", n, len(valid), h, err, ErrCorrupt)
		}
	}
}

// zlibBomb returns a wire form whose header is hd, followed by n zero bytes
// that deflate to about n/1000 bytes.
func zlibBomb(t *testing.T, hd header, n int) []byte {
	return craft(t, hd, make([]byte, n))
}

func TestDecodeHostileInputAllocatesLittle(t *testing.T) {
	const limit = 2 << 20 // our counts (184 KiB), payload (207 KiB), zlib and base64 state
	tests := []struct {
		name string
		b    []byte
	}{
		// hdr would allocate ~50 MB of counts and accept a payload that long.
		{"huge geometry", zlibBomb(t, header{hdrCookie, 50 << 20, 0, 5, 1, math.MaxInt64, 1}, 50<<20)},
		{"our geometry, huge payload length", zlibBomb(t, ours(math.MaxInt32), 50<<20)},
		{"our geometry, stream longer than its payload", zlibBomb(t, ours(100), 50<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(tt.b)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Decode(%d bytes) error = %v, want %v", len(tt.b), err, ErrCorrupt)
			}
			got := after.TotalAlloc - before.TotalAlloc
			t.Logf("Decode(%d bytes) allocated %d bytes: %v", len(tt.b), got, err)
			if got > limit {
				t.Errorf("Decode(%d bytes) allocated %d bytes, want at most %d", len(tt.b), got, limit)
			}
		})
	}
}

// TestCraftedValid shows that craft builds input Decode accepts, so the
// crafted rows of TestDecodeErrors fail for the reason they name.
func TestCraftedValid(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want *Histogram
	}{
		{"one empty counter", craft(t, ours(1), []byte{0}), New()},
		{"empty, then a count of 1 at 1 µs", craft(t, ours(2), []byte{0, 2}), record(time.Microsecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.b)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("Decode() = %v, %v, want %v, nil", got, err, tt.want)
			}
		})
	}
}
