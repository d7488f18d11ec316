package hist

import (
	"testing"
	"time"
)

// TestBucketerAdd: values count in every bucket whose bound they are at or
// under, cumulative, and their number and sum come back.
func TestBucketerAdd(t *testing.T) {
	h := New()
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 40 * time.Millisecond, time.Minute} {
		h.Record(d)
	}
	bounds := []time.Duration{time.Millisecond, 5 * time.Millisecond, 50 * time.Millisecond}
	counts := []int64{10, 0, 0} // Add adds to what is there
	n, sum, err := NewBucketer().Add(h, bounds, counts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{12, 3, 4}; counts[0] != want[0] || counts[1] != want[1] || counts[2] != want[2] {
		t.Errorf("counts %v; want %v", counts, want)
	}
	want := 500*time.Microsecond + time.Millisecond + 3*time.Millisecond + 40*time.Millisecond + time.Minute
	if n != 5 || sum < want*999/1000 || sum > want {
		t.Errorf("n %d sum %v; want 5, %v within 0.1 %%", n, sum, want)
	}
	if _, _, err := NewBucketer().Add(h, bounds, counts[:2]); err == nil {
		t.Error("two counts for three bounds: no error")
	}
}

// TestBucketerAddAllocs: once warm, Add allocates nothing (the engine's
// sampler calls it every second).
func TestBucketerAddAllocs(t *testing.T) {
	h := New()
	for i := range 1000 {
		h.Record(time.Duration(i) * 37 * time.Microsecond)
	}
	b := NewBucketer()
	bounds := []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}
	counts := make([]int64, len(bounds))
	b.Add(h, bounds, counts)
	if n := testing.AllocsPerRun(20, func() { b.Add(h, bounds, counts) }); n != 0 {
		t.Errorf("%v allocations per Add; want 0", n)
	}
}
