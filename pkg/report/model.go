package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
)

// maxSeriesRows bounds the per-second table of the text and Markdown
// reports; longer runs show every k-th second, and say so (report.json and
// report.html have them all).
const maxSeriesRows = 30

// page is a report laid out once for every format: a title, labelled
// summary lines, tables and warnings.
type page struct {
	Title string
	// Alert is the warning shown above everything else (nothing
	// succeeded, or nothing was sent), and then not again among Warnings.
	Alert    string
	Summary  []field
	Tables   []table
	Warnings []string
	// Checks has one line per threshold, "PASS threshold …" or
	// "FAIL threshold …".
	Checks []string
}

type field struct{ Label, Value, Note string }

type table struct {
	Title  string
	Header []string
	Rows   [][]string
	// Notes are lines shown under a row, by the row's index: what a
	// target's errors were.
	Notes map[int][]string
	Note  string
}

// note adds lines under the table's last row.
func (t *table) note(lines []string) {
	if len(lines) == 0 {
		return
	}
	if t.Notes == nil {
		t.Notes = map[int][]string{}
	}
	t.Notes[len(t.Rows)-1] = lines
}

// layout lays r out; allSeconds keeps every second in the per-second
// table and lists a single shard too (HTML), where text and Markdown show
// every k-th second of a long run.
func layout(r *events.Report, allSeconds bool) page {
	p := page{Title: "barrage run " + r.RunID, Warnings: r.Warnings}
	if len(r.Warnings) > 0 && (r.NothingSucceeded || r.Warnings[0] == NothingSent(r)) {
		p.Alert, p.Warnings = r.Warnings[0], r.Warnings[1:]
	}
	if r.Name != "" {
		p.Title += " (" + r.Name + ")"
	}
	add := func(label, note, format string, args ...any) {
		p.Summary = append(p.Summary, field{label, fmt.Sprintf(format, args...), note})
	}
	add("Started", "", "%s, mode %s", r.StartedAt.UTC().Format(time.RFC3339), r.Mode)
	planned := "closed loop"
	if r.TargetRate > 0 {
		planned = fmt.Sprintf("%.1f/s planned", r.TargetRate)
	}
	add("Rate", "", "%s, %.1f/s achieved, %.1f/s successful, over %.1f s", planned, r.AchievedRate, r.Throughput, r.DurationS)
	for _, t := range r.Targets {
		if t.Kind == events.TargetIteration {
			// Arrivals start iterations of several requests each: the
			// planned rate is of arrivals, the achieved one of requests.
			add("Iterations", "", "%s: %d run, %d completed every step (%.2f%%), %d dropped; p50 %s ms, p99 %s ms per iteration",
				t.Name, t.Requests, t.Success, 100*t.SuccessRatio, t.Dropped, num(t.LatencyMs.P50), num(t.LatencyMs.P99))
		}
	}
	dropped := itoa(r.Dropped) + " dropped"
	if r.DroppedLate > 0 {
		dropped += " (" + itoa(r.DroppedLate) + " of them late)"
	}
	add("Requests", "", "%d sent, %d successful (%.2f%%), %s", r.Requests, r.Success, 100*r.SuccessRatio, dropped)
	add("Latency (ms)", "from the intended send time", "%s", latencyLine(r.LatencyMs))
	add("Uncorrected (ms)", "from the actual send", "%s", latencyLine(r.LatencyUncorrectedMs))
	late := "no late limit (late arrivals sent)"
	if r.LateLimitMs > 0 {
		late = fmt.Sprintf("late limit %g ms", r.LateLimitMs)
	}
	add("Lag (ms)", "actual send minus intended send", "p50 %s, p99 %s, max %s; %s", num(r.LagMs.P50), num(r.LagMs.P99), num(r.LagMs.Max), late)
	add("Status codes", "", "%s", countsLine(r.StatusCodes))
	add("Errors", "", "%s", countsLine(r.Errors))
	run := runFailures(r)
	for _, class := range byCount(r.Errors) {
		add("  "+class, "", "%s", run.line(class))
	}
	add("Bytes", "", "%d in, %d out", r.BytesIn, r.BytesOut)
	h := r.Health
	add("Generator", "", "CPU max %.0f%% (mean %.0f%%), host steal max %.0f%%, lag p99 max %s ms, in flight max %d, connections max %d (%d dialed, %d failed)",
		h.MaxCPUPercent, h.MeanCPUPercent, h.MaxStealPercent, num(h.MaxLagP99Ms), h.MaxInflight, h.MaxOpenConns, h.Dials, h.DialErrors)
	add("", "", "TIME_WAIT max %d of %d ports, file descriptors max %d of %d, RSS max %.1f MB",
		h.MaxTimeWait, h.PortRangeSize, h.MaxOpenFDs, h.FDLimit, float64(h.PeakRSSBytes)/1e6)
	if len(h.GoAways) > 0 {
		add("GOAWAY", "HTTP/2 frames received", "%s", countsLine(h.GoAways))
	}

	if len(r.Targets) > 1 {
		t := table{Title: "Per target", Header: []string{"target", "requests", "ok %", "dropped", "p50 ms", "p99 ms", "max ms", "errors"}}
		for _, x := range r.Targets {
			name := x.Name
			if x.Kind == events.TargetIteration {
				name += " (iterations)"
			}
			t.Rows = append(t.Rows, []string{name, itoa(x.Requests), fmt.Sprintf("%.2f", 100*x.SuccessRatio),
				itoa(x.Dropped), num(x.LatencyMs.P50), num(x.LatencyMs.P99), num(x.LatencyMs.Max), countsLine(x.Errors)})
			t.note(targetFailures(&x).notes())
		}
		p.Tables = append(p.Tables, t)
	}
	if len(r.Shards) > 1 || (allSeconds && len(r.Shards) > 0) {
		t := table{Title: "Shards", Header: []string{"shard", "kind", "status", "planned/s", "achieved/s", "dropped", "skew ms", "cpu max %"},
			Note: fmt.Sprintf("Coverage %.1f%%; start skew p50 %s ms, p99 %s ms, max %s ms", 100*r.Coverage,
				num(r.StartSkewMs.P50), num(r.StartSkewMs.P99), num(r.StartSkewMs.Max))}
		for _, s := range r.Shards {
			t.Rows = append(t.Rows, []string{s.ShardID, s.Kind, s.Status, fmt.Sprintf("%.1f", s.PlannedRate),
				fmt.Sprintf("%.1f", s.AchievedRate), itoa(s.Dropped), num(s.StartSkewMs), fmt.Sprintf("%.0f", s.Health.MaxCPUPercent)})
		}
		p.Tables = append(p.Tables, t)
	}
	if f := r.FindMax; f != nil {
		add("Find-max", f.Conclusion, "max sustainable %s/s (%s)", rate(f.MaxSustainableRate), stoppedBy(f))
	}
	if len(r.Steps) > 0 {
		p.Tables = append(p.Tables, stepsTable(r))
	}
	if f := r.FindMax; f != nil && len(f.Search) > 0 {
		p.Tables = append(p.Tables, searchTable(f))
	}
	// The HTML report plots the monitor's series; text and Markdown
	// summarise them, and say so.
	p.Tables = append(p.Tables, monitorTables(r.Monitor, !allSeconds)...)
	for _, t := range r.Thresholds {
		p.Checks = append(p.Checks, ThresholdLine(t))
	}
	if len(r.TimeSeries) > 0 {
		step := (len(r.TimeSeries) + maxSeriesRows - 1) / maxSeriesRows
		t := table{Title: "Per second (by completion time)", Header: []string{"second", "requests", "ok", "errors", "dropped", "p50 ms", "p99 ms"}}
		if allSeconds {
			step = 1
		}
		if step > 1 {
			t.Title += fmt.Sprintf(", every %d s", step)
			t.Note = fmt.Sprintf("A summary: every %d-th of the run's %d seconds is shown; report.json and report.html have them all.",
				step, len(r.TimeSeries))
		}
		for i := 0; i < len(r.TimeSeries); i += step {
			s := r.TimeSeries[i]
			t.Rows = append(t.Rows, []string{itoa(s.ElapsedS), itoa(s.Requests), itoa(s.Success), itoa(s.Errors),
				itoa(s.Dropped), num(s.P50Ms), num(s.P99Ms)})
		}
		p.Tables = append(p.Tables, t)
	}
	return p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func latencyLine(l events.Latency) string {
	return fmt.Sprintf("min %s, mean %s, p50 %s, p90 %s, p95 %s, p99 %s, p99.9 %s, max %s",
		num(l.Min), num(l.Mean), num(l.P50), num(l.P90), num(l.P95), num(l.P99), num(l.P999), num(l.Max))
}

// num formats milliseconds with about three significant digits.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// countsLine renders a count map as "k: n, …", largest first.
func countsLine(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := byCount(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// byCount returns m's keys, largest count first (ties by key).
func byCount(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// stoppedBy says what ended a find-max search.
func stoppedBy(f *events.FindMaxReport) string {
	switch f.StoppedBy {
	case events.StoppedBySLO:
		return fmt.Sprintf("the SLO broke at %s/s", rate(f.FirstFailingRate))
	case events.StoppedByGenerator:
		return fmt.Sprintf("the generator limited the step at %s/s", rate(f.FirstFailingRate))
	case events.StoppedByIncomplete:
		return fmt.Sprintf("the run ended before %s/s was judged", rate(f.FirstFailingRate))
	}
	return "every step passed, up to find_max.max"
}

// stepsTable lays out the evidence of each step.
func stepsTable(r *events.Report) table {
	t := table{Title: "Steps", Header: []string{"step", "rate/s", "judged s", "offered/s", "sent/s", "ok/s", "requests",
		"err %", "dropped", "p50 ms", "p95 ms", "p99 ms", "max ms", "lag p99 ms"}}
	if f := r.FindMax; f != nil {
		t.Title = "Find-max steps"
		t.Header = append(t.Header, "verdict")
		slo := []string{}
		if f.SLO.P99Ms > 0 {
			slo = append(slo, "p99 ≤ "+num(f.SLO.P99Ms)+" ms")
		}
		if f.SLO.P95Ms > 0 {
			slo = append(slo, "p95 ≤ "+num(f.SLO.P95Ms)+" ms")
		}
		slo = append(slo, "error ratio ≤ "+pct(f.SLO.ErrorRatio))
		t.Note = fmt.Sprintf("SLO: %s; each step judged over its whole seconds after the first %g s", strings.Join(slo, ", "), f.SettleS)
	}
	for _, s := range r.Steps {
		name := itoa(int64(s.Step))
		if s.Kind == "warmup" {
			name = "warm-up"
		}
		rt := rate(s.Rate)
		if s.RampTo != nil {
			rt += "→" + rate(*s.RampTo)
		}
		row := []string{name, rt, itoa(int64(s.JudgedS)), fmt.Sprintf("%.1f", s.OfferedRate), fmt.Sprintf("%.1f", s.SentRate),
			fmt.Sprintf("%.1f", s.OKRate), itoa(s.Requests), fmt.Sprintf("%.2f", 100*s.ErrorRatio), itoa(s.Dropped),
			num(s.LatencyMs.P50), num(s.LatencyMs.P95), num(s.LatencyMs.P99), num(s.LatencyMs.Max), num(s.LagP99Ms)}
		if r.FindMax != nil && s.Kind != "warmup" {
			row = append(row, s.Verdict)
			if len(s.Reasons) > 0 {
				t.Note += fmt.Sprintf("\nstep %d (%s): %s", s.Step, s.Verdict, strings.Join(s.Reasons, "; "))
			}
		} else if r.FindMax != nil {
			row = append(row, "not judged")
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// searchTable lays out a find-max binary search, one run per row.
func searchTable(f *events.FindMaxReport) table {
	t := table{Title: "Find-max binary search", Header: []string{"search", "rate/s", "run", "judged s", "ok/s",
		"err %", "dropped", "p95 ms", "p99 ms", "verdict"}}
	for i, s := range f.Search {
		t.Rows = append(t.Rows, []string{itoa(int64(i + 1)), rate(s.Rate), s.RunID, itoa(int64(s.JudgedS)),
			fmt.Sprintf("%.1f", s.OKRate), fmt.Sprintf("%.2f", 100*s.ErrorRatio), itoa(s.Dropped),
			num(s.LatencyMs.P95), num(s.LatencyMs.P99), s.Verdict})
		if len(s.Reasons) > 0 {
			t.Note += fmt.Sprintf("search %d (%s): %s\n", i+1, s.Verdict, strings.Join(s.Reasons, "; "))
		}
	}
	t.Note = strings.TrimSuffix(t.Note, "\n")
	return t
}
