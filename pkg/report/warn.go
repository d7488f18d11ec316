package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Thresholds beyond which a report warns that the generator limited the run.
const (
	// LagWarnMs: a p99 scheduling lag above this means requests left late.
	LagWarnMs = 10.0
	// CPUWarnPercent: a second at or above this share of the worker's CPUs
	// means the generator was saturated.
	CPUWarnPercent = 90.0
	// PortWarnFraction: TIME_WAIT sockets above this fraction of the
	// ephemeral range means new connections are close to failing.
	PortWarnFraction = 0.5
	// FDWarnFraction: open descriptors above this fraction of the limit.
	FDWarnFraction = 0.8
	// AchievedWarnRatio: the share of a second's planned arrivals that the
	// timing of sends may move into the next second (1 %: 10 ms of a second,
	// the default late limit); see shortSecond.
	AchievedWarnRatio = 0.99
	// StealWarnPercent: a second in which the hypervisor took at least this
	// share of the host's CPU time.
	StealWarnPercent = 10.0
)

// warnings lists what the reader must know before trusting the figures.
// short is the worst short second's description (shortAcc), stops the
// shards that stopped early, in the order they came.
func warnings(r *events.Report, short string, stops []stopped) []string {
	w := []string{}
	add := func(format string, args ...any) { w = append(w, fmt.Sprintf(format, args...)) }
	// A run that sent nothing says why first, once for all its shards.
	nothing := NothingSent(r)
	if nothing != "" {
		add("%s", nothing)
	}

	var lost []events.ShardReport
	for _, s := range r.Shards {
		if s.Status == events.StatusLost || s.Status == events.StatusMissed {
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		add("%d of %d shards never reported (%s); coverage is %.1f%% and nothing was invented for them",
			len(lost), len(r.Shards), unreported(lost), 100*r.Coverage)
	}
	planned := r.Requests + r.Dropped
	if busy := r.Dropped - r.DroppedLate; busy > 0 {
		add("%d of %d arrivals (%.2f%%) were dropped because every in-flight slot was busy: the generator limited the rate; raise --max-inflight or add workers",
			busy, planned, 100*float64(busy)/float64(planned))
	}
	if r.DroppedLate > 0 {
		add("%d of %d arrivals (%.2f%%) were dropped because the scheduler reached them more than %g ms late: the generator process was stalled (CPU starved or paused); add workers or free the CPU, or raise the late limit (--late-limit, spec late_limit; 0 never drops, sending late arrivals and counting their lag)",
			r.DroppedLate, planned, 100*float64(r.DroppedLate)/float64(planned), r.LateLimitMs)
	}
	h := r.Health
	if r.LagMs.P99 > LagWarnMs {
		add("scheduling lag p99 was %.1f ms (max %.1f ms): requests left later than planned; latencies from the intended send include that wait",
			r.LagMs.P99, r.LagMs.Max)
	}
	if short != "" {
		add("%s", short)
	}
	if h.MaxCPUPercent >= CPUWarnPercent {
		add("generator CPU reached %.0f%% of its cores: results may reflect the generator's limit, not the target's; add workers",
			h.MaxCPUPercent)
	}
	if h.MaxStealPercent >= StealWarnPercent {
		add("the hypervisor took up to %.0f%% of the generator host's CPU time in a second (steal time): the generator was slowed by its host; lag and drops may come from there",
			h.MaxStealPercent)
	}
	if h.PortRangeSize > 0 && float64(h.MaxTimeWait) >= PortWarnFraction*float64(h.PortRangeSize) {
		add("%d sockets in TIME_WAIT towards the target, %.0f%% of the %d ephemeral ports: new connections will soon fail with addr_in_use; use keep-alive or more workers",
			h.MaxTimeWait, 100*float64(h.MaxTimeWait)/float64(h.PortRangeSize), h.PortRangeSize)
	}
	if h.FDLimit > 0 && float64(h.MaxOpenFDs) >= FDWarnFraction*float64(h.FDLimit) {
		add("%d open file descriptors of a limit of %d: raise the limit (ulimit -n) or lower --max-inflight",
			h.MaxOpenFDs, h.FDLimit)
	}
	if n := r.Errors["addr_in_use"]; n > 0 {
		add("%d requests failed with addr_in_use: the generator ran out of ephemeral ports, not the target", n)
	}
	if n := r.Errors["too_many_open_files"]; n > 0 {
		add("%d requests failed with too_many_open_files: the generator hit its file-descriptor limit, not the target", n)
	}
	if len(h.GoAways) > 0 {
		codes := make([]string, 0, len(h.GoAways))
		for c, n := range h.GoAways {
			codes = append(codes, fmt.Sprintf("%s ×%d", c, n))
		}
		sort.Strings(codes)
		add("the server sent HTTP/2 GOAWAY %v; connections were replaced (ENHANCE_YOUR_CALM means it throttled the client: spread streams over more --connections or workers)", codes)
	}
	for _, s := range stops {
		if nothing == "" {
			add("shard %s stopped early (%s) after %.1f s; its figures cover only the part it ran",
				s.id, s.reason, s.sendS)
		}
	}
	return w
}

// unreported lists shards that never reported, grouped by status and
// reason: a thousand shards missed for one reason make one line, not a
// thousand.
func unreported(shards []events.ShardReport) string {
	groups := groupShards(shards, func(s events.ShardReport) (string, string) { return s.Status, s.Reason })
	parts := make([]string, len(groups))
	for i, g := range groups {
		ids := g.ids
		if len(ids) > 5 {
			ids = append(ids[:5:5], fmt.Sprintf("… %d more", len(g.ids)-5))
		}
		why := g.reason
		if why == "" && g.status == events.StatusMissed {
			why = "delivered after its window"
		}
		if why == "" {
			why = "no reason recorded"
		}
		parts[i] = fmt.Sprintf("%d %s, %.1f/s planned: %s: %s", len(g.ids), g.status, g.rate, strings.Join(ids, ", "), why)
	}
	return strings.Join(parts, "; ")
}

// shortAcc finds, over the shards as they come, the second in which a
// worker sent the smallest share of its planned arrivals, among those
// short by more than counting and timing explain (the first of the
// worst), and describes it in msg ("" for none).
//
// A sample of L seconds at planned rate R plans n = R·L arrivals (the
// pacer's count of those due in the interval); the worker counts m =
// achieved rate × L requests started between the sampler's two wake-ups
// that close it. A generator that sends every arrival on time still sees m
// differ from n:
//
//   - by one arrival: the wake-ups come a little after the whole seconds and
//     each request starts a little after it is due, so the counted window is
//     the planned one shifted by less than an arrival's spacing, and a window
//     of L seconds of a schedule at R holds ⌊R·L⌋ or ⌈R·L⌉ of its arrivals:
//     m = n ± 1, 50 ± 1 at 50/s (98 % to 102 %), 7 ± 1 at 7/s (86 % to 114 %);
//   - by 1 % of n (1 − AchievedWarnRatio): a request may start up to the
//     late limit, 10 ms by default, after it is due (later, it is dropped),
//     which moves up to R × 10 ms arrivals into the next second;
//   - by what the second before counted too many: a sampler that wakes late
//     closes that second with arrivals of this one, which is then short by as
//     many as the one before has in excess; that excess is credited.
//
// So a second is short when n − m − max(0, m₋₁ − n₋₁) > 1 + n·(1 −
// AchievedWarnRatio): at 50/s, 48 requests sent after a second on time are
// short, 49 are not; at 7/s, 5 are, 6 are not. Only rateSeconds are judged,
// so a shard's seconds after it stopped early are not.
type shortAcc struct {
	worst float64 // starts at 1
	msg   string
}

func (a *shortAcc) add(res *events.ShardResult) {
	xs := res.Health.Samples
	for _, i := range rateSeconds(xs, res.SendSeconds) {
		x := &xs[i]
		planned, sent := x.PlannedRate*x.IntervalS, x.AchievedRate*x.IntervalS
		credit := 0.0
		if i > 0 {
			credit = max(0, (xs[i-1].AchievedRate-xs[i-1].PlannedRate)*xs[i-1].IntervalS)
		}
		if planned-sent-credit <= 1+planned*(1-AchievedWarnRatio) || sent/planned >= a.worst {
			continue
		}
		a.worst = sent / planned
		a.msg = fmt.Sprintf("in its worst second a worker (shard %s) sent only %.0f of its %.0f planned arrivals (%.0f%%), "+
			"more short than counting whole arrivals and the timing of sends explain: it did not keep the rate",
			res.ShardID, sent, planned, 100*a.worst)
	}
}
