package compare

import (
	"math"
	"time"

	"github.com/barrage-load/barrage/events"
)

// Unit is what a metric is counted in.
type Unit string

// The units of metrics.
const (
	UnitMs    Unit = "ms"    // milliseconds
	UnitPerS  Unit = "per_s" // per second
	UnitRatio Unit = "ratio" // 0 to 1
	UnitCount Unit = "count" // a whole number
)

// metric is a figure of a report: how to read it for the run and, where
// it is measured per target, for a target (of a run whose send window
// lasted durationS seconds).
type metric struct {
	name   string
	unit   Unit
	run    func(r *events.Report) float64
	target func(t *events.TargetReport, durationS float64) float64 // nil: not per target
}

// metrics lists the metrics compared, in the order they are shown.
var metrics = []metric{
	latency("p50", func(l events.Latency) float64 { return l.P50 }),
	latency("p90", func(l events.Latency) float64 { return l.P90 }),
	latency("p95", func(l events.Latency) float64 { return l.P95 }),
	latency("p99", func(l events.Latency) float64 { return l.P99 }),
	latency("p999", func(l events.Latency) float64 { return l.P999 }),
	latency("max", func(l events.Latency) float64 { return l.Max }),
	latency("mean", func(l events.Latency) float64 { return l.Mean }),
	{"target_rate", UnitPerS, func(r *events.Report) float64 { return r.TargetRate }, nil},
	{"achieved_rate", UnitPerS, func(r *events.Report) float64 { return r.AchievedRate },
		func(t *events.TargetReport, d float64) float64 { return perSecond(t.Requests, d) }},
	{"throughput", UnitPerS, func(r *events.Report) float64 { return r.Throughput },
		func(t *events.TargetReport, d float64) float64 { return perSecond(t.Success, d) }},
	{"error_ratio", UnitRatio, func(r *events.Report) float64 { return errorRatio(r.Requests, r.Success) },
		func(t *events.TargetReport, _ float64) float64 { return errorRatio(t.Requests, t.Success) }},
	{"dropped", UnitCount, func(r *events.Report) float64 { return float64(r.Dropped) },
		func(t *events.TargetReport, _ float64) float64 { return float64(t.Dropped) }},
	{"requests", UnitCount, func(r *events.Report) float64 { return float64(r.Requests) },
		func(t *events.TargetReport, _ float64) float64 { return float64(t.Requests) }},
}

// latency is the metric of one latency figure, for the run and per target.
func latency(name string, pick func(events.Latency) float64) metric {
	return metric{name, UnitMs, func(r *events.Report) float64 { return pick(r.LatencyMs) },
		func(t *events.TargetReport, _ float64) float64 { return pick(t.LatencyMs) }}
}

func perSecond(n int64, durationS float64) float64 {
	if durationS <= 0 {
		return 0
	}
	return float64(n) / durationS
}

func errorRatio(requests, success int64) float64 {
	if requests <= 0 {
		return 0
	}
	return float64(requests-success) / float64(requests)
}

// lookupMetric returns the metric called name, and whether there is one.
func lookupMetric(name string) (metric, bool) {
	for _, m := range metrics {
		if m.name == name {
			return m, true
		}
	}
	return metric{}, false
}

// Comparison is two runs side by side: A the baseline, B the run judged
// against it (barrage compare --format json prints it).
type Comparison struct {
	// A and B say which runs were compared.
	A RunInfo `json:"a"`
	B RunInfo `json:"b"`
	// Run has a row per metric for the whole runs.
	Run []Row `json:"run"`
	// Targets has the targets of A in A's order, then those only B has.
	Targets []TargetRows `json:"targets"`
	// Gates are the conditions judged (--fail-if), in the order given.
	Gates []Gate `json:"gates,omitempty"`
}

// RunInfo names a compared run.
type RunInfo struct {
	RunID     string    `json:"run_id"`
	Name      string    `json:"name,omitempty"`
	StartedAt time.Time `json:"started_at"`
	DurationS float64   `json:"duration_s"`
}

// Row is one metric in both runs and its change.
type Row struct {
	Metric string  `json:"metric"`
	Unit   Unit    `json:"unit"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	// Change is B − A, in Unit.
	Change float64 `json:"change"`
	// ChangePct is (B − A) / A in percent; nil when A is 0 and B is not.
	ChangePct *float64 `json:"change_pct"`
}

// TargetRows is one target's rows; InA or InB is false for a target that
// only one run has, whose rows then read 0 on the other side.
type TargetRows struct {
	Name string `json:"name"`
	InA  bool   `json:"in_a"`
	InB  bool   `json:"in_b"`
	Rows []Row  `json:"rows"`
}

// Compare sets the reports a (the baseline) and b side by side.
func Compare(a, b *events.Report) *Comparison {
	c := &Comparison{A: info(a), B: info(b)}
	for _, m := range metrics {
		c.Run = append(c.Run, newRow(m, m.run(a), m.run(b)))
	}
	for _, name := range targetNames(a, b) {
		ta, tb := findTarget(a, name), findTarget(b, name)
		tr := TargetRows{Name: name, InA: ta != nil, InB: tb != nil}
		for _, m := range metrics {
			if m.target != nil {
				tr.Rows = append(tr.Rows, newRow(m, targetValue(m, ta, a), targetValue(m, tb, b)))
			}
		}
		c.Targets = append(c.Targets, tr)
	}
	return c
}

func info(r *events.Report) RunInfo {
	return RunInfo{RunID: r.RunID, Name: r.Name, StartedAt: r.StartedAt, DurationS: r.DurationS}
}

// targetNames lists a's targets, then those only b has.
func targetNames(a, b *events.Report) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range []*events.Report{a, b} {
		for _, t := range r.Targets {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

func findTarget(r *events.Report, name string) *events.TargetReport {
	for i := range r.Targets {
		if r.Targets[i].Name == name {
			return &r.Targets[i]
		}
	}
	return nil
}

// targetValue is m of target t in run r; 0 when r has no such target.
func targetValue(m metric, t *events.TargetReport, r *events.Report) float64 {
	if t == nil {
		return 0
	}
	return m.target(t, r.DurationS)
}

func newRow(m metric, a, b float64) Row {
	row := Row{Metric: m.name, Unit: m.unit, A: a, B: b, Change: b - a}
	if p := relative(a, b); !math.IsInf(p, 0) {
		pct := p * 100
		row.ChangePct = &pct
	}
	return row
}

// relative is the relative change from a to b, (b − a) / a: +Inf when b
// rose from a zero a, −Inf when it fell from it, 0 when both are 0.
func relative(a, b float64) float64 {
	switch {
	case a != 0:
		return (b - a) / math.Abs(a)
	case b > 0:
		return math.Inf(1)
	case b < 0:
		return math.Inf(-1)
	}
	return 0
}
