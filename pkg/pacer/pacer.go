package pacer

import (
	"fmt"
	"math"
	"time"
)

// Pacer is an arrival schedule.
type Pacer interface {
	// Due returns when arrival i (0-based) is due, as an offset from the
	// start of the schedule, and false when the schedule holds no arrival i.
	Due(i int64) (time.Duration, bool)
	// Arrivals returns how many arrivals are due before t: the number of i
	// with Due(i) < t.
	Arrivals(t time.Duration) int64
	// Rate returns the planned arrivals per second at t.
	Rate(t time.Duration) float64
	// Length is how long the schedule lasts.
	Length() time.Duration
	fmt.Stringer
}

var (
	_ Pacer = Constant{}
	_ Pacer = Linear{}
	_ Pacer = Striped{}
)

// seconds converts t to float seconds.
func seconds(t time.Duration) float64 { return t.Seconds() }

// fromSeconds converts float seconds to a Duration, rounded to the nanosecond.
func fromSeconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// Constant is R arrivals per second for D.
type Constant struct {
	R float64       // arrivals per second, > 0
	D time.Duration // length of the schedule
}

// Due implements Pacer: i / R.
func (c Constant) Due(i int64) (time.Duration, bool) {
	if i < 0 || c.R <= 0 {
		return 0, false
	}
	t := fromSeconds(float64(i) / c.R)
	return t, t < c.D
}

// Arrivals implements Pacer: ⌈R·t⌉, the count of i with i/R < t.
func (c Constant) Arrivals(t time.Duration) int64 {
	if c.R <= 0 || t <= 0 {
		return 0
	}
	t = min(t, c.D)
	return countBelow(c, int64(math.Ceil(c.R*seconds(t))), t)
}

// Rate implements Pacer.
func (c Constant) Rate(time.Duration) float64 { return c.R }

// Length implements Pacer.
func (c Constant) Length() time.Duration { return c.D }

func (c Constant) String() string { return fmt.Sprintf("constant %g/s for %s", c.R, c.D) }

// Linear ramps the rate linearly from From to To arrivals per second over D.
type Linear struct {
	From, To float64       // rates at the start and at the end, ≥ 0
	D        time.Duration // length of the ramp, > 0
}

// slope returns k = (To−From)/D in arrivals per second².
func (l Linear) slope() float64 { return (l.To - l.From) / seconds(l.D) }

// Due implements Pacer: 2i / (a + √(a² + 2ki)).
func (l Linear) Due(i int64) (time.Duration, bool) {
	if i < 0 || l.D <= 0 || l.From < 0 || l.To < 0 {
		return 0, false
	}
	if i == 0 {
		return 0, l.From > 0 || l.To > 0
	}
	a, k := l.From, l.slope()
	disc := a*a + 2*k*float64(i)
	if disc < 0 { // a falling ramp that ends before arrival i
		return 0, false
	}
	den := a + math.Sqrt(disc)
	if den <= 0 {
		return 0, false
	}
	t := fromSeconds(2 * float64(i) / den)
	return t, t < l.D
}

// Arrivals implements Pacer: ⌈N(t)⌉ with N(t) = a·t + k·t²/2.
func (l Linear) Arrivals(t time.Duration) int64 {
	if l.D <= 0 || t <= 0 {
		return 0
	}
	t = min(t, l.D)
	s := seconds(t)
	return countBelow(l, int64(math.Ceil(l.From*s+l.slope()*s*s/2)), t)
}

// Rate implements Pacer: From + k·t.
func (l Linear) Rate(t time.Duration) float64 {
	t = max(0, min(t, l.D))
	return l.From + l.slope()*seconds(t)
}

// Length implements Pacer.
func (l Linear) Length() time.Duration { return l.D }

func (l Linear) String() string {
	return fmt.Sprintf("ramp %g/s to %g/s over %s", l.From, l.To, l.D)
}

// Striped is shard K of N of another pacer: arrivals K, K+N, K+2N, … of P.
type Striped struct {
	P    Pacer
	K, N int64 // 0 ≤ K < N
}

// Due implements Pacer: P.Due(K + j·N).
func (s Striped) Due(j int64) (time.Duration, bool) {
	if j < 0 || s.N <= 0 || s.K < 0 || s.K >= s.N {
		return 0, false
	}
	return s.P.Due(s.K + j*s.N)
}

// Arrivals implements Pacer: the j with K + j·N < P.Arrivals(t).
func (s Striped) Arrivals(t time.Duration) int64 {
	a := s.P.Arrivals(t)
	if s.N <= 0 || a <= s.K {
		return 0
	}
	return (a - s.K + s.N - 1) / s.N
}

// Rate implements Pacer: P's rate divided by N.
func (s Striped) Rate(t time.Duration) float64 { return s.P.Rate(t) / float64(s.N) }

// Length implements Pacer.
func (s Striped) Length() time.Duration { return s.P.Length() }

func (s Striped) String() string { return fmt.Sprintf("shard %d of %d of %s", s.K, s.N, s.P) }

// countBelow corrects an estimate n of the arrivals due before t for float
// rounding, so that Arrivals and Due always agree: it returns the number of i
// with Due(i) < t, searching at most a couple of steps from n.
func countBelow(p Pacer, n int64, t time.Duration) int64 {
	n = max(n, 0)
	for n > 0 {
		if d, ok := p.Due(n - 1); ok && d < t {
			break
		}
		n--
	}
	for {
		d, ok := p.Due(n)
		if !ok || d >= t {
			return n
		}
		n++
	}
}
