package hist

import (
	"errors"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, that every error wraps
// ErrCorrupt, and that whatever it accepts re-encodes to an Equal histogram.
func FuzzDecode(f *testing.F) {
	for _, h := range []*Histogram{
		New(),
		record(time.Millisecond),
		record(0, time.Hour, 2*time.Hour),
		record(latencies(2_000, 11)...),
	} {
		f.Add(mustMarshal(f, h))
	}
	f.Add(craft(f, ours(2), []byte{0, 2}))
	f.Add([]byte("BH\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode() error = %v, want one wrapping %v", err, ErrCorrupt)
			}
			return
		}
		if h.Count() < 0 || h.Overflow() < 0 {
			t.Fatalf("Decode() = %v, want non-negative counts", h)
		}
		_ = h.Quantile(0.99) // must not panic
		b2, err := h.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary() of a decoded histogram error = %v", err)
		}
		h2, err := Decode(b2)
		if err != nil {
			t.Fatalf("Decode(MarshalBinary()) error = %v", err)
		}
		if !h2.Equal(h) {
			t.Fatalf("Decode(MarshalBinary()) = %v, want %v", h2, h)
		}
	})
}
