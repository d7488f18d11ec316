package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
)

// NothingSentPrefix begins what NothingSent says.
const NothingSentPrefix = "no request was sent"

// Bounds of NothingSent's line: the reasons it tells, and the bytes of
// each (a stop reason is an error's text, which may be long).
const (
	maxReasons   = 3
	maxReasonLen = 300
)

// NothingSent says why a run sent no request and dropped no arrival, in one
// line, from what became of its shards: "no request was sent: 2 of 2
// shards failed: scenario login: discovery: …". A shard that could not
// start says why in its stop reason ("failed: …"); one that was aborted,
// interrupted or out of time before its window, in its stop reason too; a
// lost or missed shard, in the reason the reducer found. Shards that share
// a reason make one part, the most common first, at most maxReasons of
// them. It returns "" for a run that sent or dropped anything. Build puts
// the line first among the warnings; barrage run and barrage report end
// with it (exit 3).
func NothingSent(r *events.Report) string {
	if r.Requests != 0 || r.Dropped != 0 {
		return ""
	}
	if len(r.Shards) == 0 {
		return NothingSentPrefix
	}
	groups := groupShards(r.Shards, sentNothing)
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].ids) > len(groups[j].ids) })
	parts := make([]string, 0, maxReasons+1)
	for i, g := range groups {
		if i == maxReasons {
			n := 0
			for _, g := range groups[i:] {
				n += len(g.ids)
			}
			parts = append(parts, fmt.Sprintf("%d more %s for %d other %s", n, plural(n, "shard"), len(groups)-i, plural(len(groups)-i, "reason")))
			break
		}
		parts = append(parts, fmt.Sprintf("%d of %d shards %s: %s", len(g.ids), len(r.Shards), g.status, g.reason))
	}
	return NothingSentPrefix + ": " + strings.Join(parts, "; ")
}

// sentNothing says what became of a shard of a run that sent nothing, and
// why, cut to maxReasonLen bytes.
func sentNothing(s events.ShardReport) (what, why string) {
	why = s.Reason
	switch s.Status {
	case events.StatusTruncated:
		what = "stopped"
		if rest, ok := strings.CutPrefix(why, "failed: "); ok {
			what, why = "failed", rest
		}
	case events.StatusLost:
		what = "were lost"
	case events.StatusMissed:
		what = "were missed"
		if why == "" {
			why = "delivered after its window"
		}
	default:
		what = "ran"
		if why == "" {
			why = "no arrival was due in their windows"
		}
	}
	if why == "" {
		why = "no reason recorded"
	}
	if len(why) > maxReasonLen {
		cut := maxReasonLen
		for cut > 0 && !utf8.RuneStart(why[cut]) {
			cut--
		}
		why = why[:cut] + "…"
	}
	return what, why
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// shardGroup is shards that share what became of them and why.
type shardGroup struct {
	status, reason string
	ids            []string
	rate           float64 // their planned rates' sum
}

// groupShards groups shards by what key says of each, in the order the
// groups are first seen: a thousand shards that failed for one reason make
// one group.
func groupShards(shards []events.ShardReport, key func(events.ShardReport) (status, reason string)) []*shardGroup {
	var groups []*shardGroup
	by := map[[2]string]*shardGroup{}
	for _, s := range shards {
		status, reason := key(s)
		k := [2]string{status, reason}
		g := by[k]
		if g == nil {
			g = &shardGroup{status: status, reason: reason}
			by[k] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, s.ShardID)
		g.rate += s.PlannedRate
	}
	return groups
}
