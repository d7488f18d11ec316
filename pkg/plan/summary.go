package plan

import (
	"fmt"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Summary renders a plan for people: its shards (identical ones grouped),
// its reasons, cost and warnings.
func Summary(p *events.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s (%s backend): %d shard(s), starting %s, reported by %s\n",
		p.RunID, p.Backend, len(p.Shards), p.StartAt.Format("2006-01-02 15:04:05Z07:00"), p.Deadline.Format("15:04:05"))
	type group struct {
		first, last events.PlanShard
		n           int
	}
	var groups []group
	for _, s := range p.Shards {
		if g := &groups; len(*g) > 0 {
			last := &(*g)[len(*g)-1]
			if same(last.last, s) {
				last.last, last.n = s, last.n+1
				continue
			}
		}
		groups = append(groups, group{first: s, last: s, n: 1})
	}
	for _, g := range groups {
		ids := g.first.ShardID
		if g.n > 1 {
			ids += "…" + g.last.ShardID
		}
		size := ""
		switch {
		case g.first.MemoryMB > 0:
			size = fmt.Sprintf(", %d MB", g.first.MemoryMB)
		case g.first.VCPU > 0:
			size = fmt.Sprintf(", %.2g vCPU", g.first.VCPU)
		}
		fmt.Fprintf(&b, "  %-22s %3d × %s%s, %s/s each, window %s–%s, in flight ≤ %d\n",
			ids, g.n, g.first.Kind, size, num(g.first.Rate), g.first.WindowFrom, g.first.WindowTo, g.first.MaxInflight)
	}
	b.WriteString("why:\n")
	for _, r := range p.Reasons {
		b.WriteString("  - " + r + "\n")
	}
	if p.Backend == BackendAWS {
		fmt.Fprintf(&b, "estimated cost: $%.4f\n", p.CostUSD)
	}
	for _, w := range p.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	return b.String()
}

// same reports whether two shards differ only in their stripe.
func same(a, b events.PlanShard) bool {
	return a.Kind == b.Kind && a.Window == b.Window && a.Rate == b.Rate && a.MemoryMB == b.MemoryMB &&
		a.VCPU == b.VCPU && a.MaxInflight == b.MaxInflight
}
