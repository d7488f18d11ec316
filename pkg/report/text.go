package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/barrage-load/barrage/events"
)

// Text writes r as the plain-text report.
func Text(w io.Writer, r *events.Report) error {
	p := layout(r, false)
	fmt.Fprintln(w, p.Title)
	if p.Alert != "" {
		fmt.Fprintln(w, "!! "+p.Alert)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range p.Summary {
		note := ""
		if f.Note != "" {
			note = "\t(" + f.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s%s\n", f.Label, f.Value, note)
	}
	tw.Flush()
	for _, t := range p.Tables {
		fmt.Fprintln(w, "\n"+t.Title)
		// The rows are aligned first, so that the lines under them, of
		// another shape, do not break the columns.
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(t.Header, "\t")+"\t")
		for _, row := range t.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
		for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			fmt.Fprintln(w, line)
			for _, n := range t.Notes[i-1] { // line 0 is the header
				fmt.Fprintln(w, "    "+n)
			}
		}
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings")
		for _, m := range p.Warnings {
			fmt.Fprintln(w, "  ! "+m)
		}
	}
	if len(p.Checks) > 0 {
		fmt.Fprintln(w, "\nThresholds")
		for _, c := range p.Checks {
			fmt.Fprintln(w, c)
		}
	}
	return nil
}

// Markdown writes r as a Markdown document.
func Markdown(w io.Writer, r *events.Report) error {
	p := layout(r, false)
	cell := strings.NewReplacer("|", `\|`, "\n", " ")
	fmt.Fprintf(w, "# %s\n\n", p.Title)
	if p.Alert != "" {
		fmt.Fprintf(w, "> **Warning:** %s\n\n", p.Alert)
	}
	fmt.Fprint(w, "| | |\n|---|---|\n")
	for _, f := range p.Summary {
		v := cell.Replace(f.Value)
		if f.Note != "" {
			v += " _(" + f.Note + ")_"
		}
		fmt.Fprintf(w, "| %s | %s |\n", cell.Replace(f.Label), v)
	}
	for _, t := range p.Tables {
		fmt.Fprintf(w, "\n## %s\n\n| %s |\n|%s\n", t.Title, strings.Join(t.Header, " | "), strings.Repeat("---|", len(t.Header)))
		for r, row := range t.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = cell.Replace(c)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
			for _, n := range t.Notes[r] { // a row of its own, in the first column
				fmt.Fprintf(w, "| ↳ %s |%s\n", cell.Replace(n), strings.Repeat(" |", len(row)-1))
			}
		}
		if t.Note != "" {
			fmt.Fprintf(w, "\n%s\n", strings.ReplaceAll(t.Note, "\n", "  \n")) // hard line breaks
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w, "\n## Warnings")
		fmt.Fprintln(w)
		for _, m := range p.Warnings {
			fmt.Fprintln(w, "- "+m)
		}
	}
	if len(p.Checks) > 0 {
		fmt.Fprintln(w, "\n## Thresholds")
		fmt.Fprintln(w)
		for _, c := range p.Checks {
			fmt.Fprintln(w, "- "+c)
		}
	}
	return nil
}
