package pacer

import (
	"math"
	"testing"
	"time"
)

// staged is 10/s for 1 s, a ramp 10→30/s over 1 s, a 1 s pause, and 5/s
// for 2 s: 10 + 20 + 0 + 10 arrivals.
var staged = NewStages(
	Constant{R: 10, D: time.Second},
	Linear{From: 10, To: 30, D: time.Second},
	Constant{R: 0, D: time.Second},
	Constant{R: 5, D: 2 * time.Second},
)

func TestStagesDue(t *testing.T) {
	tests := []struct {
		name   string
		i      int64
		want   time.Duration
		wantOK bool
	}{
		// The first stage's arrivals come every 100 ms from 0.
		{"first", 0, 0, true},
		{"first stage last", 9, 900 * time.Millisecond, true},
		// Arrival 10 is the ramp's first, due when the ramp starts.
		{"ramp first", 10, time.Second, true},
		// The ramp's N(t) = 10t + 10t²: its arrival 11 (global 21) at t = 0.7623 s.
		{"ramp middle", 21, time.Second + fromSeconds((-10+math.Sqrt(100+40*11))/20), true},
		// The pause holds nothing: arrival 30 is the 5/s stage's first, at 3 s.
		{"after pause", 30, 3 * time.Second, true},
		{"last", 39, 4800 * time.Millisecond, true},
		// The schedule holds 40 arrivals.
		{"past end", 40, 0, false},
		{"negative", -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := staged.Due(tt.i)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("Due(%d) = %v, %v; want %v, %v", tt.i, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStagesArrivalsRateLength(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		want int64
		rate float64
	}{
		// Nothing before the start; the first stage's rate.
		{"start", 0, 0, 10},
		// Arrivals 0..4 of the first stage.
		{"half first", 500 * time.Millisecond, 5, 10},
		// The first stage's 10, and the ramp's first, due at exactly 1 s, not yet.
		{"boundary", time.Second, 10, 10},
		// The ramp at its middle: N(0.5) = 7.5, so 8 of its arrivals.
		{"ramp half", 1500 * time.Millisecond, 18, 20},
		// In the pause: the first two stages' 30.
		{"pause", 2500 * time.Millisecond, 30, 0},
		// Everything, past the end; the last stage's rate.
		{"end", 5 * time.Second, 40, 5},
		{"past end", time.Hour, 40, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := staged.Arrivals(tt.at); got != tt.want {
				t.Errorf("Arrivals(%v) = %d; want %d", tt.at, got, tt.want)
			}
			if got := staged.Rate(tt.at); math.Abs(got-tt.rate) > 1e-9 {
				t.Errorf("Rate(%v) = %v; want %v", tt.at, got, tt.rate)
			}
		})
	}
	if got := staged.Length(); got != 5*time.Second {
		t.Errorf("Length = %v; want 5s", got)
	}
	if got, want := staged.String(), "stages [constant 10/s for 1s; ramp 10/s to 30/s over 1s; constant 0/s for 1s; constant 5/s for 2s]"; got != want {
		t.Errorf("String = %q; want %q", got, want)
	}
	var zero Stages
	if _, ok := zero.Due(0); ok || zero.Arrivals(time.Hour) != 0 || zero.Length() != 0 || zero.Rate(0) != 0 {
		t.Errorf("the zero Stages holds arrivals")
	}
}

// TestStagesStriped: shards of a stages schedule together hold it exactly,
// each following the same shape at its share of the rate.
func TestStagesStriped(t *testing.T) {
	const n = 3
	total := int64(0)
	for k := int64(0); k < n; k++ {
		s := Striped{P: staged, K: k, N: n}
		total += s.Arrivals(s.Length())
		if got := s.Rate(1500 * time.Millisecond); math.Abs(got-20.0/n) > 1e-9 {
			t.Errorf("shard %d rate in the ramp = %v; want %v", k, got, 20.0/n)
		}
	}
	if total != 40 {
		t.Errorf("shards hold %d arrivals; want 40", total)
	}
}

// checkSchedule checks the defining properties of a pacer: Due is strictly
// increasing, within the schedule's length, and Arrivals(Due(i)) = i and
// Arrivals(Due(i)+1ns) = i+1.
func checkSchedule(t *testing.T, p Pacer) {
	t.Helper()
	prev := time.Duration(-1)
	n := p.Arrivals(p.Length())
	for i := int64(0); i < n; i++ {
		d, ok := p.Due(i)
		if !ok {
			t.Fatalf("%s: Due(%d) not ok, but Arrivals(Length) = %d", p, i, n)
		}
		if d <= prev || d >= p.Length() {
			t.Fatalf("%s: Due(%d) = %v after %v, length %v", p, i, d, prev, p.Length())
		}
		if got := p.Arrivals(d); got != i {
			t.Fatalf("%s: Arrivals(Due(%d) = %v) = %d", p, i, d, got)
		}
		if got := p.Arrivals(d + 1); got != i+1 {
			t.Fatalf("%s: Arrivals(Due(%d)+1ns) = %d", p, i, got)
		}
		prev = d
	}
	if _, ok := p.Due(n); ok {
		t.Fatalf("%s: Due(%d) ok past Arrivals(Length) = %d", p, n, n)
	}
}

func TestStagesSchedule(t *testing.T) {
	checkSchedule(t, staged)
	checkSchedule(t, Striped{P: staged, K: 1, N: 4})
	checkSchedule(t, NewStages(Constant{R: 1.0 / 3, D: 1500 * time.Millisecond}, Linear{From: 0, To: 7, D: 1300 * time.Millisecond},
		Linear{From: 7, To: 0, D: 900 * time.Millisecond}, Constant{R: 3000, D: 333 * time.Millisecond}))
}

// FuzzStages builds stages from arbitrary rates and lengths and checks the
// schedule's properties.
func FuzzStages(f *testing.F) {
	f.Add(10.0, 30.0, 5.0, uint16(1000), uint16(1000), uint16(2000))
	f.Add(0.0, 0.0, 0.0, uint16(1), uint16(0), uint16(7))
	f.Add(0.3, 999.9, 1.5, uint16(3333), uint16(17), uint16(1))
	f.Fuzz(func(t *testing.T, a, b, c float64, da, db, dc uint16) {
		for _, r := range []float64{a, b, c} {
			if math.IsNaN(r) || r < 0 || r > 5000 {
				return
			}
		}
		ms := func(v uint16) time.Duration { return time.Duration(v%5000) * time.Millisecond }
		s := NewStages(Constant{R: a, D: ms(da)}, Linear{From: a, To: b, D: ms(db)}, Linear{From: b, To: c, D: ms(dc)},
			Constant{R: c, D: ms(da)})
		if got, want := s.Length(), 2*ms(da)+ms(db)+ms(dc); got != want {
			t.Fatalf("%s: Length = %v; want %v", s, got, want)
		}
		checkSchedule(t, s)
	})
}
