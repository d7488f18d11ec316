package report

import (
	"html/template"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// htmlView is what the HTML page is executed with: the report's layout,
// every second in it, and its charts by section.
type htmlView struct {
	page
	Sections []section
	Data     template.HTML
}

// section is a heading over charts.
type section struct {
	Title  string
	Charts []chart.Chart
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"head": chart.Head,
	"div":  chart.Div,
	"br":   br,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}
.note{color:#666}td.note{text-align:left}.warn{color:#a40}summary{cursor:pointer;font-weight:600}
h2{margin-top:1.6em;border-bottom:1px solid #ddd}</style>
{{head}}</head><body>
<h1>{{.Title}}</h1>
{{if .Alert}}<p class="warn"><strong>{{br .Alert}}</strong></p>{{end}}
<table class="summary">{{range .Summary}}<tr><th>{{.Label}}</th><td style="text-align:left">{{br .Value}}{{if .Note}} <span class="note">({{br .Note}})</span>{{end}}</td></tr>
{{end}}</table>
{{if .Warnings}}<h2>Warnings</h2><ul>{{range .Warnings}}<li class="warn">{{br .}}</li>{{end}}</ul>{{end}}
{{if .Checks}}<h2>Thresholds</h2><ul>{{range .Checks}}<li>{{br .}}</li>{{end}}</ul>{{end}}
{{range .Sections}}<h2>{{.Title}}</h2>
{{range .Charts}}{{div .ID}}
{{end}}{{end}}
{{range $t := .Tables}}<h2>{{.Title}}</h2>{{if gt (len .Rows) 60}}<details><summary>{{len .Rows}} rows</summary>{{end}}<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $row := .Rows}}<tr>{{range .}}<td>{{br .}}</td>{{end}}</tr>
{{range index $t.Notes $i}}<tr><td class="note" colspan="{{len $row}}">{{br .}}</td></tr>
{{end}}{{end}}</table>{{if gt (len .Rows) 60}}</details>{{end}}{{if .Note}}<p>{{br .Note}}</p>{{end}}
{{end}}
{{.Data}}</body></html>
`))

// br escapes s for HTML and breaks its lines with <br>: the SLO and
// verdict lines, a warning of several lines.
func br(s string) template.HTML {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = template.HTMLEscapeString(l)
	}
	return template.HTML(strings.Join(lines, "<br>\n"))
}

// HTML writes r as one self-contained HTML page (report.html): the
// report's figures and tables, every second of the run, and its charts,
// drawn by uPlot, which the page carries (package chart).
func HTML(w io.Writer, r *events.Report) error {
	v := htmlView{page: layout(r, true), Sections: sections(r)}
	var all []chart.Chart
	for _, s := range v.Sections {
		all = append(all, s.Charts...)
	}
	data, err := chart.Data(all)
	if err != nil {
		return err
	}
	v.Data = data
	return htmlPage.Execute(w, v)
}
