package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/barrage-load/barrage/events"
)

// Text writes r as the plain-text report.
func Text(w io.Writer, r *events.Report) error {
	p := layout(r)
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
	p := layout(r)
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

var htmlPage = template.Must(template.New("report").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}
.note{color:#666}td.note{text-align:left}.warn{color:#a40}</style></head><body>
<h1>{{.Title}}</h1>
{{if .Alert}}<p class="warn"><strong>{{.Alert}}</strong></p>{{end}}
<table>{{range .Summary}}<tr><th>{{.Label}}</th><td style="text-align:left">{{.Value}}{{if .Note}} <span class="note">({{.Note}})</span>{{end}}</td></tr>
{{end}}</table>
{{range $t := .Tables}}<h2>{{.Title}}</h2><table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $row := .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{range index $t.Notes $i}}<tr><td class="note" colspan="{{len $row}}">{{.}}</td></tr>
{{end}}{{end}}</table>{{if .Note}}<p>{{.Note}}</p>{{end}}
{{end}}{{if .Warnings}}<h2>Warnings</h2><ul>{{range .Warnings}}<li class="warn">{{.}}</li>{{end}}</ul>{{end}}
{{if .Checks}}<h2>Thresholds</h2><ul>{{range .Checks}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// HTML writes r as a standalone HTML page.
func HTML(w io.Writer, r *events.Report) error { return htmlPage.Execute(w, layout(r)) }
