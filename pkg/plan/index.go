package plan

import "github.com/barrage-load/barrage/events"

// Index returns the map from the arrival indexes of shard message m's
// schedule (Pacer(m)) to the run's global arrival indexes. Arrival j of the
// shard's window is the stripe's arrival first + j, where first counts the
// stripe's arrivals before the window, and the stripe's arrival i is the
// global arrival K + i·N:
//
//	global(j) = K + (first + j)·N
//
// Journeys pick their dataset rows by it, so that no two arrivals of a run
// share a row while the dataset has rows to spare. A closed loop, which
// has no schedule, maps the same way with first = 0.
func Index(m events.ShardMessage) func(int64) int64 {
	var first int64
	if w, ok := Pacer(m).(Window); ok {
		first = w.first()
	}
	k, n := int64(0), int64(1)
	if m.Count > 1 {
		k, n = int64(m.Index), int64(m.Count)
	}
	return func(j int64) int64 { return k + (first+j)*n }
}
