package plan

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestIndex: over 3 stripes × 2 windows of a ramp, the shards' arrivals map
// one to one onto the global arrivals, each due when the global schedule
// says.
func TestIndex(t *testing.T) {
	d := 20 * time.Second
	load := events.Load{Shape: events.ShapeRamp, From: 10, To: 50}
	g := Global(load, d)
	total := g.Arrivals(d)
	seen := make([]bool, total)
	for k := range 3 {
		for _, w := range [][2]time.Duration{{0, 7 * time.Second}, {7 * time.Second, d}} {
			m := events.ShardMessage{Load: load, Duration: events.Duration(d), ShardWindow: events.ShardWindow{Index: k, Count: 3,
				WindowFrom: events.Duration(w[0]), WindowTo: events.Duration(w[1])}}
			p, index := Pacer(m), Index(m)
			for j := int64(0); ; j++ {
				due, ok := p.Due(j)
				if !ok {
					break
				}
				i := index(j)
				if i < 0 || i >= total || seen[i] {
					t.Fatalf("shard %d window %v: arrival %d maps to %d (of %d, seen %v)", k, w, j, i, total, i < total && seen[i])
				}
				seen[i] = true
				if gd, _ := g.Due(i); gd != due+w[0] {
					t.Fatalf("shard %d: arrival %d due %v, global %d due %v", k, j, due+w[0], i, gd)
				}
			}
		}
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("global arrival %d of %d belongs to no shard", i, total)
		}
	}
}
