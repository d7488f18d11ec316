package chart

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// UPlotVersion is the version of uPlot embedded (uplot/README.md).
const UPlotVersion = "1.6.32"

var (
	//go:embed uplot/uPlot.iife.min.js
	uplotJS string
	//go:embed uplot/uPlot.min.css
	uplotCSS string
	//go:embed uplot/LICENSE
	uplotLicense string
	//go:embed render.js
	renderJS string
	//go:embed chart.css
	chartCSS string
)

// Chart is one plot: an x axis, one or two y axes and the series drawn on
// them, all of the same length as X.
type Chart struct {
	// ID names the chart: the page's <div data-chart="ID"> is where it is
	// drawn (Div writes one).
	ID    string `json:"id"`
	Title string `json:"title"`
	// X holds the x values, increasing. With Names, X is 0, 1, … and each
	// x is labelled by its name instead (categories: targets, steps).
	X     []float64 `json:"x"`
	Names []string  `json:"names,omitempty"`
	// XAxis and YAxis label the axes with their units; Y2Axis, when set,
	// is a second y axis on the right for the series with Right set.
	XAxis  Axis     `json:"x_axis"`
	YAxis  Axis     `json:"y_axis"`
	Y2Axis *Axis    `json:"y2_axis,omitempty"`
	Series []Series `json:"series"`
	// Note is a line under the chart (what it shows, what it leaves out).
	Note string `json:"note,omitempty"`
}

// Axis is an axis's label (with the unit) and its scale.
type Axis struct {
	Label string `json:"label"`
	// Log draws a base-10 logarithmic scale (zeros are not drawn).
	Log bool `json:"log,omitempty"`
	// Percentile labels x = 1/(1−q) as the percentile q ("99.9%"): the
	// HdrHistogram percentile plot's axis.
	Percentile bool `json:"percentile,omitempty"`
	// Whole puts ticks at whole numbers only (seconds, counts).
	Whole bool `json:"whole,omitempty"`
}

// Series is one line (or set of points) of a chart.
type Series struct {
	Label string `json:"label"`
	// Values are the y values, one per x; NaN is a gap (null in the page).
	Values Values `json:"values"`
	// Color is a CSS colour; empty picks one from the palette.
	Color string `json:"color,omitempty"`
	// Dash draws a dashed line; Points draws points only; Fill shades the
	// area under the line.
	Dash   bool `json:"dash,omitempty"`
	Points bool `json:"points,omitempty"`
	Fill   bool `json:"fill,omitempty"`
	// Right puts the series on the chart's second y axis.
	Right bool `json:"right,omitempty"`
	// Stack draws the series on top of the chart's previous stacked
	// series: at the running sum of their values (a gap counts as 0), its
	// area filled down to the one below, its legend showing its own value.
	Stack bool `json:"stack,omitempty"`
	// Join draws the line across gaps: for a series sampled at other x
	// than the chart's others (two runs' percentile plots on one axis),
	// whose gaps are x it was not sampled at, not missing values.
	Join bool `json:"join,omitempty"`
}

// Values are a series' y values; NaN and infinities encode as null.
type Values []float64

// MarshalJSON writes the values compactly, gaps as null.
func (v Values) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'g', 6, 64)
	}
	return append(b, ']'), nil
}

// Gap is a missing value.
var Gap = math.NaN()

// Head returns what a page's <head> needs to draw charts: uPlot's styles
// and code, inlined with its licence, and the renderer. Nothing is loaded
// from the network.
func Head() template.HTML {
	var b strings.Builder
	b.WriteString("<style>\n")
	b.WriteString(uplotCSS)
	b.WriteString("\n")
	b.WriteString(chartCSS)
	b.WriteString("</style>\n<script>\n/*\nuPlot " + UPlotVersion + ", embedded:\n")
	b.WriteString(strings.ReplaceAll(uplotLicense, "*/", "* /"))
	b.WriteString("*/\n")
	b.WriteString(uplotJS)
	b.WriteString("\n</script>\n")
	return template.HTML(b.String())
}

// Data returns the charts as the page's one JSON blob and the script that
// draws each into its <div data-chart="ID"> once the page has loaded. Put
// it at the end of the <body>.
func Data(charts []Chart) (template.HTML, error) {
	if charts == nil {
		charts = []Chart{}
	}
	js, err := json.Marshal(charts) // escapes <, > and &: safe in a <script>
	if err != nil {
		return "", err
	}
	return template.HTML(`<script type="application/json" id="barrage-charts">` + string(js) +
		"</script>\n<script>\n" + renderJS + "\n</script>\n"), nil
}

// Div returns the placeholder a chart is drawn into.
func Div(id string) template.HTML {
	return template.HTML(`<div class="chart" data-chart="` + template.HTMLEscapeString(id) + `"></div>`)
}
