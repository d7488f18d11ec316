package pacer

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Stages runs pieces one after the other: piece k starts when piece k−1
// ends, and is its own schedule from there (see doc.go for the maths). Build
// it with NewStages; the zero Stages holds no arrival.
type Stages struct {
	pieces []Pacer
	// start[k] is when piece k starts; first[k] how many arrivals the
	// pieces before k hold. Both have one more entry than pieces: the end.
	start []time.Duration
	first []int64
}

var _ Pacer = Stages{}

// NewStages returns the schedule of pieces run back to back. Each piece
// counts its arrivals from its own start, as if alone.
func NewStages(pieces ...Pacer) Stages {
	s := Stages{pieces: pieces, start: make([]time.Duration, len(pieces)+1), first: make([]int64, len(pieces)+1)}
	for k, p := range pieces {
		s.start[k+1] = s.start[k] + p.Length()
		s.first[k+1] = s.first[k] + p.Arrivals(p.Length())
	}
	return s
}

// Pieces returns the pieces of s, in order.
func (s Stages) Pieces() []Pacer { return s.pieces }

// Due implements Pacer: the piece k holding arrival i (first[k] ≤ i <
// first[k+1]) makes it due at start[k] + piece.Due(i − first[k]).
func (s Stages) Due(i int64) (time.Duration, bool) {
	n := len(s.pieces)
	if i < 0 || n == 0 || i >= s.first[n] {
		return 0, false
	}
	// The last k with first[k] ≤ i; pieces without arrivals are skipped, as
	// first[k] = first[k+1] for them.
	k := sort.Search(n, func(k int) bool { return s.first[k+1] > i })
	d, ok := s.pieces[k].Due(i - s.first[k])
	if !ok {
		return 0, false // cannot happen: first counts exactly the piece's arrivals
	}
	return s.start[k] + d, true
}

// Arrivals implements Pacer: the arrivals of the pieces before the one
// holding t, plus that piece's arrivals before t − start[k].
func (s Stages) Arrivals(t time.Duration) int64 {
	n := len(s.pieces)
	if n == 0 || t <= 0 {
		return 0
	}
	if t >= s.start[n] {
		return s.first[n]
	}
	k := s.piece(t)
	return s.first[k] + s.pieces[k].Arrivals(t-s.start[k])
}

// piece returns the k with start[k] ≤ t < start[k+1], for 0 ≤ t < Length.
func (s Stages) piece(t time.Duration) int {
	return sort.Search(len(s.pieces), func(k int) bool { return s.start[k+1] > t })
}

// Rate implements Pacer: the rate of the piece running at t (the last
// piece's at or after the end, the first's before the start).
func (s Stages) Rate(t time.Duration) float64 {
	n := len(s.pieces)
	switch {
	case n == 0:
		return 0
	case t < 0:
		return s.pieces[0].Rate(0)
	case t >= s.start[n]:
		return s.pieces[n-1].Rate(s.pieces[n-1].Length())
	}
	k := s.piece(t)
	return s.pieces[k].Rate(t - s.start[k])
}

// Length implements Pacer: the pieces' lengths added up.
func (s Stages) Length() time.Duration {
	if len(s.pieces) == 0 {
		return 0
	}
	return s.start[len(s.pieces)]
}

func (s Stages) String() string {
	parts := make([]string, len(s.pieces))
	for k, p := range s.pieces {
		parts[k] = p.String()
	}
	return fmt.Sprintf("stages [%s]", strings.Join(parts, "; "))
}
