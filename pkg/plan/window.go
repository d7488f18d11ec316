package plan

import (
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// Window restricts a pacer to its arrivals due in [From, To) and re-bases
// them on From: the j-th arrival of the window is the parent's arrival
// j0 + j, where j0 = P.Arrivals(From) counts the arrivals due before the
// window, and it is due at P.Due(j0 + j) − From.
type Window struct {
	P        pacer.Pacer
	From, To time.Duration
}

var _ pacer.Pacer = Window{}

func (w Window) first() int64 { return w.P.Arrivals(w.From) }

// Due implements pacer.Pacer.
func (w Window) Due(j int64) (time.Duration, bool) {
	if j < 0 {
		return 0, false
	}
	d, ok := w.P.Due(w.first() + j)
	if !ok || d >= w.To {
		return 0, false
	}
	return d - w.From, true
}

// Arrivals implements pacer.Pacer.
func (w Window) Arrivals(t time.Duration) int64 {
	if t <= 0 {
		return 0
	}
	return w.P.Arrivals(min(w.From+t, w.To)) - w.first()
}

// Rate implements pacer.Pacer.
func (w Window) Rate(t time.Duration) float64 { return w.P.Rate(w.From + t) }

// Length implements pacer.Pacer.
func (w Window) Length() time.Duration { return w.To - w.From }

func (w Window) String() string { return fmt.Sprintf("%s, window [%s, %s)", w.P, w.From, w.To) }

// Global returns the run's schedule: nil for a closed loop. A staged load
// (stages, find-max) is its steps back to back (pacer.Stages), whatever d;
// a shape the planner does not know sends nothing (Validate rejects it).
func Global(l events.Load, d time.Duration) pacer.Pacer {
	switch {
	case l.Staged():
		steps := l.Steps()
		pieces := make([]pacer.Pacer, len(steps))
		for i, s := range steps {
			if s.Ramps() {
				pieces[i] = pacer.Linear{From: s.Rate, To: s.RampTo, D: s.To - s.From}
			} else {
				pieces[i] = pacer.Constant{R: s.Rate, D: s.To - s.From}
			}
		}
		return pacer.NewStages(pieces...)
	case l.Shape == events.ShapeRamp:
		return pacer.Linear{From: l.From, To: l.To, D: d}
	case l.Rate > 0:
		return pacer.Constant{R: l.Rate, D: d}
	}
	return nil
}

// Pacer returns the schedule of shard message m, relative to its window's
// start: stripe Index of Count of the global schedule, restricted to the
// window. It returns nil (an untyped nil) for a closed loop.
func Pacer(m events.ShardMessage) pacer.Pacer {
	g := Global(m.Load, m.Duration.D())
	if g == nil {
		return nil
	}
	if m.Count > 1 {
		g = pacer.Striped{P: g, K: int64(m.Index), N: int64(m.Count)}
	}
	if m.WindowFrom == 0 && m.WindowTo.D() >= m.Duration.D() {
		return g
	}
	return Window{P: g, From: m.WindowFrom.D(), To: m.WindowTo.D()}
}
