package compare

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// table is a titled block of rows, the one layout Text, Markdown and HTML share.
type table struct {
	Title string
	Note  string // under the title, may be ""
	Rows  [][]string
}

var header = []string{"metric", "A", "B", "change", "change %"}

// tables lays c out: the runs, then each target, then the gates.
func (c *Comparison) tables() []table {
	ts := []table{{Title: "Run", Rows: cells(c.Run, true, true)}}
	for _, t := range c.Targets {
		tt := table{Title: "Target " + t.Name, Rows: cells(t.Rows, t.InA, t.InB)}
		switch {
		case !t.InA:
			tt.Note = "only in B"
		case !t.InB:
			tt.Note = "only in A"
		}
		ts = append(ts, tt)
	}
	return ts
}

// cells formats rows; a side the target is missing from reads "—".
func cells(rows []Row, inA, inB bool) [][]string {
	var out [][]string
	for _, r := range rows {
		a, b, ch, pct := "—", "—", "—", "—"
		if inA {
			a = Value(r.A, r.Unit)
		}
		if inB {
			b = Value(r.B, r.Unit)
		}
		if inA && inB {
			ch, pct = signed(r.Change, r.Unit), Percent(r)
		}
		out = append(out, []string{label(r), a, b, ch, pct})
	}
	return out
}

// label names a row's metric with its unit.
func label(r Row) string {
	switch r.Unit {
	case UnitMs:
		return r.Metric + " (ms)"
	case UnitPerS:
		return r.Metric + " (/s)"
	}
	return r.Metric
}

// Value formats v in unit u: milliseconds and rates with two decimals,
// ratios with four, counts whole.
func Value(v float64, u Unit) string { return strconv.FormatFloat(v, 'f', decimals(u), 64) }

// signed formats a change in unit u with its sign: +1.50, -0.20, 0.00.
func signed(v float64, u Unit) string { return withSign(v, decimals(u)) }

func decimals(u Unit) int {
	switch u {
	case UnitRatio:
		return 4
	case UnitCount:
		return 0
	}
	return 2
}

// withSign formats v with prec decimals and its sign, never as -0.
func withSign(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	switch {
	case strings.Trim(s, "-0.") == "":
		return strings.TrimPrefix(s, "-")
	case v > 0:
		return "+" + s
	}
	return s
}

// Percent formats a row's relative change: +12.3%, -4.0%, 0.0%, or "new"
// when B rose from a zero A (and "gone" when it fell to a negative, which
// no metric does).
func Percent(r Row) string {
	if r.ChangePct == nil {
		if r.B > 0 {
			return "new"
		}
		return "gone"
	}
	return withSign(*r.ChangePct, 1) + "%"
}

// GateLine describes a judged gate in one line, such as
// "FAIL p99>+10%: p99 2.10 ms → 21.30 ms (+914.3%)".
func GateLine(g Gate) string {
	verdict := "ok  "
	if g.Held {
		verdict = "FAIL"
	}
	return verdict + " " + g.Text + ": " + Change(g.Row)
}

// Change says how a row changed, such as "p99 2.10 ms → 21.30 ms
// (+914.3%)".
func Change(r Row) string {
	unit := map[Unit]string{UnitMs: " ms", UnitPerS: "/s"}[r.Unit]
	return fmt.Sprintf("%s %s%s → %s%s (%s, %s)", r.Metric, Value(r.A, r.Unit), unit, Value(r.B, r.Unit), unit,
		signed(r.Change, r.Unit)+unit, Percent(r))
}

// runLine names a run: its id, name, start and length.
func runLine(side string, r RunInfo) string {
	s := side + ": " + r.RunID
	if r.Name != "" {
		s += " (" + r.Name + ")"
	}
	if !r.StartedAt.IsZero() {
		s += ", started " + r.StartedAt.UTC().Format(time.RFC3339)
	}
	return s + fmt.Sprintf(", %.1f s", r.DurationS)
}

// Text writes c as plain text.
func (c *Comparison) Text(w io.Writer) error {
	fmt.Fprintf(w, "Comparison of two runs, B against A\n%s\n%s\n", runLine("A", c.A), runLine("B", c.B))
	for _, t := range c.tables() {
		fmt.Fprintf(w, "\n%s\n", t.Title)
		if t.Note != "" {
			fmt.Fprintf(w, "(%s)\n", t.Note)
		}
		// Numbers align right, metric names left (padded to one width).
		width := len(header[0])
		for _, row := range t.Rows {
			width = max(width, len(row[0]))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, row := range append([][]string{header}, t.Rows...) {
			fmt.Fprintf(tw, "%-*s\t%s\t\n", width, row[0], strings.Join(row[1:], "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.Gates) > 0 {
		fmt.Fprintln(w, "\nGates (--fail-if)")
		for _, g := range c.Gates {
			fmt.Fprintln(w, "  "+GateLine(g))
		}
	}
	return nil
}

// Markdown writes c as a Markdown document.
func (c *Comparison) Markdown(w io.Writer) error {
	cell := strings.NewReplacer("|", `\|`, "\n", " ")
	fmt.Fprintf(w, "# Comparison of two runs, B against A\n\n- %s\n- %s\n", cell.Replace(runLine("A", c.A)), cell.Replace(runLine("B", c.B)))
	for _, t := range c.tables() {
		fmt.Fprintf(w, "\n## %s\n\n", cell.Replace(t.Title))
		if t.Note != "" {
			fmt.Fprintf(w, "_%s_\n\n", t.Note)
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
		for _, row := range t.Rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
	if len(c.Gates) > 0 {
		fmt.Fprint(w, "\n## Gates (--fail-if)\n\n")
		for _, g := range c.Gates {
			fmt.Fprintf(w, "- %s\n", cell.Replace(GateLine(g)))
		}
	}
	return nil
}
