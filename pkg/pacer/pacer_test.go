package pacer

import (
	"math"
	"testing"
	"time"
)

func TestDueTable(t *testing.T) {
	tests := []struct {
		name   string
		p      Pacer
		i      int64
		want   time.Duration
		wantOK bool
	}{
		// The first arrival of a constant pacer is due at once.
		{"constant first", Constant{R: 10, D: time.Second}, 0, 0, true},
		// Arrival i of 10/s is due at i × 100 ms.
		{"constant 10/s #3", Constant{R: 10, D: time.Second}, 3, 300 * time.Millisecond, true},
		// The last arrival in the window.
		{"constant last", Constant{R: 10, D: time.Second}, 9, 900 * time.Millisecond, true},
		// An arrival due exactly at the end belongs to the next window.
		{"constant end", Constant{R: 10, D: time.Second}, 10, time.Second, false},
		// A fractional rate: 0.5/s puts arrival 1 at 2 s.
		{"constant 0.5/s", Constant{R: 0.5, D: 10 * time.Second}, 1, 2 * time.Second, true},
		// A zero rate holds no arrival.
		{"constant zero", Constant{R: 0, D: time.Second}, 0, 0, false},
		// Negative indexes hold nothing.
		{"constant negative", Constant{R: 10, D: time.Second}, -1, 0, false},
		// A flat ramp is a constant pacer.
		{"flat ramp", Linear{From: 10, To: 10, D: time.Second}, 5, 500 * time.Millisecond, true},
		// 0→2/s over 1 s holds N(1) = 1 arrival, due at 0.
		{"ramp from zero first", Linear{From: 0, To: 2, D: time.Second}, 0, 0, true},
		// 0→200/s over 1 s: N(t) = 100t², so arrival 25 is due at 0.5 s.
		{"ramp from zero", Linear{From: 0, To: 200, D: time.Second}, 25, 500 * time.Millisecond, true},
		// 100→300/s over 1 s: N(t) = 100t + 100t², N(0.5) = 75.
		{"ramp up", Linear{From: 100, To: 300, D: time.Second}, 75, 500 * time.Millisecond, true},
		// 300→100/s over 1 s: N(t) = 300t − 100t², N(0.5) = 125.
		{"ramp down", Linear{From: 300, To: 100, D: time.Second}, 125, 500 * time.Millisecond, true},
		// The ramp 100→300 holds N(1) = 200 arrivals: #200 is past the end.
		{"ramp end", Linear{From: 100, To: 300, D: time.Second}, 200, time.Second, false},
		// Shard 1 of 4 of 100/s: its arrival 2 is global arrival 9, at 90 ms.
		{"striped", Striped{P: Constant{R: 100, D: time.Second}, K: 1, N: 4}, 2, 90 * time.Millisecond, true},
		// A striped pacer ends with its parent.
		{"striped end", Striped{P: Constant{R: 100, D: time.Second}, K: 3, N: 4}, 25, time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.Due(tt.i)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("%s.Due(%d) = %v, %v; want %v, %v", tt.p, tt.i, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestArrivalsTable(t *testing.T) {
	tests := []struct {
		name string
		p    Pacer
		t    time.Duration
		want int64
	}{
		// Nothing is due before the start.
		{"constant at 0", Constant{R: 10, D: time.Second}, 0, 0},
		// Arrival 0 is due at 0, so it is due before any t > 0.
		{"constant just after 0", Constant{R: 10, D: time.Second}, 1, 1},
		// Arrivals 0..4 are due before 500 ms; #5 is due at exactly 500 ms.
		{"constant half", Constant{R: 10, D: time.Second}, 500 * time.Millisecond, 5},
		// The whole window.
		{"constant whole", Constant{R: 10, D: time.Second}, time.Second, 10},
		// Past the end, the count stays at the total.
		{"constant past end", Constant{R: 10, D: time.Second}, time.Hour, 10},
		// A rate whose period is not a whole number of nanoseconds.
		{"constant 3/s", Constant{R: 3, D: 10 * time.Second}, 10 * time.Second, 30},
		// 1 arrival of 0.3/s over 3 s (at 0), then #1 at 3.33 s is past the end.
		{"constant slow", Constant{R: 0.3, D: 3 * time.Second}, 3 * time.Second, 1},
		// Ramp 0→200 over 1 s holds 100.
		{"ramp whole", Linear{From: 0, To: 200, D: time.Second}, time.Second, 100},
		// Ramp 100→300: N(0.5) = 75, so arrivals 0..74 are due before 0.5 s.
		{"ramp half", Linear{From: 100, To: 300, D: time.Second}, 500 * time.Millisecond, 75},
		// Shard 0 of 3 of 10 arrivals takes 0, 3, 6, 9.
		{"striped k0", Striped{P: Constant{R: 10, D: time.Second}, K: 0, N: 3}, time.Second, 4},
		// Shard 2 of 3 of 10 arrivals takes 2, 5, 8.
		{"striped k2", Striped{P: Constant{R: 10, D: time.Second}, K: 2, N: 3}, time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Arrivals(tt.t); got != tt.want {
				t.Errorf("%s.Arrivals(%v) = %d; want %d", tt.p, tt.t, got, tt.want)
			}
		})
	}
}

// TestArrivalsAgreesWithDue checks the defining property of Arrivals against
// Due on many pacers and instants.
func TestArrivalsAgreesWithDue(t *testing.T) {
	pacers := []Pacer{
		Constant{R: 7, D: 3 * time.Second},
		Constant{R: 20000, D: 2 * time.Second},
		Constant{R: 1.0 / 3, D: 10 * time.Second},
		Linear{From: 0, To: 1000, D: 2 * time.Second},
		Linear{From: 900, To: 10, D: 2 * time.Second},
		Striped{P: Linear{From: 50, To: 500, D: time.Second}, K: 5, N: 7},
	}
	for _, p := range pacers {
		for ms := int64(0); ms <= p.Length().Milliseconds()+5; ms += 13 {
			at := time.Duration(ms) * time.Millisecond
			n := p.Arrivals(at)
			if n > 0 {
				if d, ok := p.Due(n - 1); !ok || d >= at {
					t.Fatalf("%s: Arrivals(%v) = %d but Due(%d) = %v, %v", p, at, n, n-1, d, ok)
				}
			}
			if d, ok := p.Due(n); ok && d < at {
				t.Fatalf("%s: Arrivals(%v) = %d but Due(%d) = %v is earlier", p, at, n, n, d)
			}
		}
	}
}

// TestDueIncreasing checks every pacer's schedule is strictly increasing and
// each arrival of a constant pacer sits in its own slot [i/r, (i+1)/r).
func TestDueIncreasing(t *testing.T) {
	for _, p := range []Pacer{
		Constant{R: 1000, D: time.Second},
		Linear{From: 0, To: 5000, D: time.Second},
		Linear{From: 5000, To: 1, D: time.Second},
	} {
		prev := time.Duration(-1)
		for i := int64(0); ; i++ {
			d, ok := p.Due(i)
			if !ok {
				break
			}
			if d <= prev {
				t.Fatalf("%s: Due(%d) = %v not after Due(%d) = %v", p, i, d, i-1, prev)
			}
			prev = d
		}
	}
	c := Constant{R: 1000, D: time.Second}
	for i := int64(0); i < 1000; i++ {
		d, _ := c.Due(i)
		lo, hi := time.Duration(i)*time.Millisecond, time.Duration(i+1)*time.Millisecond
		if d < lo || d >= hi {
			t.Fatalf("Due(%d) = %v outside its slot [%v, %v)", i, d, lo, hi)
		}
	}
}

// TestStripesPartitionSchedule checks that n striped shards together hold the
// parent schedule exactly: every due time once, none added.
func TestStripesPartitionSchedule(t *testing.T) {
	parent := Linear{From: 100, To: 900, D: 2 * time.Second}
	const n = 16
	got := map[time.Duration]int{}
	total := int64(0)
	for k := int64(0); k < n; k++ {
		s := Striped{P: parent, K: k, N: n}
		for j := int64(0); ; j++ {
			d, ok := s.Due(j)
			if !ok {
				break
			}
			got[d]++
			total++
		}
	}
	want := parent.Arrivals(parent.D)
	if total != want {
		t.Fatalf("shards hold %d arrivals; parent holds %d", total, want)
	}
	for i := int64(0); i < want; i++ {
		d, _ := parent.Due(i)
		if got[d] == 0 {
			t.Fatalf("parent arrival %d at %v is in no shard", i, d)
		}
	}
}

func TestRate(t *testing.T) {
	l := Linear{From: 100, To: 300, D: 2 * time.Second}
	for _, tc := range []struct {
		at   time.Duration
		want float64
	}{{0, 100}, {time.Second, 200}, {2 * time.Second, 300}, {5 * time.Second, 300}} {
		if got := l.Rate(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Rate(%v) = %v; want %v", tc.at, got, tc.want)
		}
	}
	s := Striped{P: Constant{R: 100, D: time.Second}, K: 0, N: 4}
	if got := s.Rate(0); got != 25 {
		t.Errorf("striped Rate = %v; want 25", got)
	}
}
