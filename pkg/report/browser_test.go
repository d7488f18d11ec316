package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report/chart"
)

// chromium finds headless Chromium: $BARRAGE_CHROMIUM, or chromium,
// chromium-browser or google-chrome on the PATH. Without one the test
// skips, but fails under CI=true, where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BARRAGE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium (chromium, chromium-browser or google-chrome on the PATH, or BARRAGE_CHROMIUM): apt-get install -y chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// artifacts is where the browser test keeps the page and its screenshot:
// $BARRAGE_ARTIFACTS, or a temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BARRAGE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// drawn is what the page says of one chart once loaded.
type drawn struct {
	Series  int   `json:"series"`  // uPlot's series, less the x
	Points  int   `json:"points"`  // x values
	NonNull []int `json:"nonnull"` // values drawn per series
	Colored int   `json:"colored"` // canvas pixels in colour (axes and grid are grey)
	// Labels are the series' labels in the legend; Sums the sums of the
	// values uPlot draws per series (a stacked series' are its stack's).
	Labels []string  `json:"labels"`
	Sums   []float64 `json:"sums"`
}

// inspectJS reports every chart of the blob as drawn, or null if not.
const inspectJS = `(() => {
  const out = {};
  for (const c of JSON.parse(document.getElementById("barrage-charts").textContent)) {
    const u = window.barrageCharts[c.id];
    if (!u) { out[c.id] = null; continue; }
    const cv = u.ctx.canvas, d = u.ctx.getImageData(0, 0, cv.width, cv.height).data;
    let colored = 0;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i], g = d[i+1], b = d[i+2];
      if (d[i+3] > 0 && Math.max(Math.abs(r-g), Math.abs(g-b), Math.abs(r-b)) > 40) colored++;
    }
    out[c.id] = {series: u.series.length - 1, points: u.data[0].length,
      nonnull: u.data.slice(1).map(s => s.filter(v => v != null).length), colored,
      labels: u.series.slice(1).map(s => s.label), sums: u.data.slice(1).map(s => s.reduce((a, v) => a + (v || 0), 0))};
  }
  return out;
})()`

// interactJS times what a reader does on the latency chart: moving the
// cursor over it (the legend follows), zooming in and out.
const interactJS = `(async () => {
  const u = window.barrageCharts["latency"], n = u.data[0].length, w = u.bbox.width / devicePixelRatio;
  const painted = () => new Promise(done => setTimeout(done, 0)); // uPlot paints in a microtask before it
  let t = performance.now();
  for (let i = 0; i < 100; i++) { u.setCursor({left: (i * 37) % w, top: 50}); await painted(); }
  const cursor = (performance.now() - t) / 100;
  t = performance.now();
  u.setScale("x", {min: u.data[0][0], max: u.data[0][Math.floor(n / 10)]});
  await painted();
  const zoom = performance.now() - t;
  t = performance.now();
  u.setScale("x", {min: u.data[0][0], max: u.data[0][n - 1]});
  await painted();
  return {cursor_ms: cursor, zoom_ms: zoom, unzoom_ms: performance.now() - t};
})()`

// TestBrowser opens report.html of a synthetic 10-minute and 2-hour run in
// headless Chromium: no console error or exception, no request but the
// file itself, and every chart drawn by uPlot with all its points and
// colour on its canvas. It logs the page's size and load time (not
// asserted) and keeps a full-page PNG screenshot beside the page.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	dir := artifacts(t)
	for _, seconds := range []int{600, 7200} {
		name := fmt.Sprintf("%ds", seconds)
		t.Run(name, func(t *testing.T) { browse(t, exe, dir, name, synthetic(seconds), 10) })
	}
	// A report as Build makes it from two shards' results: two seconds, one
	// target, no steps and no monitor section.
	t.Run("built", func(t *testing.T) {
		start := time.Unix(1_800_000_000, 0).UTC()
		r, err := Build(Input{RunID: "built", Results: []*events.ShardResult{
			shard(t, "a", start, []time.Duration{time.Millisecond, 3 * time.Millisecond, 9 * time.Millisecond}),
			shard(t, "b", start, []time.Duration{2 * time.Millisecond, 40 * time.Millisecond}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		browse(t, exe, dir, "built", r, 5)
	})
}

// browse opens r's report.html, named name, and checks it drew at least
// minCharts charts, all it has.
func browse(t *testing.T, exe, dir, name string, r *events.Report, minCharts int) {
	var page bytes.Buffer
	if err := HTML(&page, r); err != nil {
		t.Fatal(err)
	}
	var want []chart.Chart
	for _, s := range sections(r) {
		want = append(want, s.Charts...)
	}
	got := openPage(t, exe, dir, "report-"+name, page.Bytes(), true)
	checkCharts(t, want, got, minCharts)
	// Errors by class are stacked on the rate chart, one series a class.
	classes := map[string]bool{}
	for _, p := range r.TimeSeries {
		for c := range p.ErrorsByClass {
			classes[c] = true
		}
	}
	if d := got["rate"]; d != nil {
		for c := range classes {
			if !slices.Contains(d.Labels, "errors: "+c) {
				t.Errorf("rate chart: series %q; want one stacked series of the class %s", d.Labels, c)
			}
		}
	}
}

// openPage writes page to dir as base.html, opens it in headless Chromium
// and checks that it reported no problem and requested nothing but the
// file; it keeps a full-page screenshot as base.png, logs the page's size
// and load times (and, with interact, how fast the latency chart answers
// the cursor and zooms: not asserted) and returns what each chart of the
// page's blob drew.
func openPage(t *testing.T, exe, dir, base string, page []byte, interact bool) map[string]*drawn {
	t.Helper()
	path := filepath.Join(dir, base+".html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := (&url.URL{Scheme: "file", Path: path}).String()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()),
		// Nothing resolves: were the page to ask for a host, it could not reach it.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	var mu sync.Mutex
	var requests, problems []string
	listen := func(ev any) { // on the tab's reading goroutine: keep it short
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, fmt.Sprintf("console.%s %s", ev.Type, args(ev.Args)))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, fmt.Sprintf("exception: %s %v", ev.ExceptionDetails.Text, ev.ExceptionDetails.Exception))
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithListener(listen))
	defer cancelTab()
	enable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, log.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(ctx, enable); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	began := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(fileURL)); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	// Ready: painted, waiting (within the test's deadline) for the task the
	// renderer schedules after uPlot's paint.
	readyMs := evaluate[float64](ctx, t, `new Promise(done => {
	  const wait = () => window.barrageReadyMs ? done(window.barrageReadyMs) : setTimeout(wait, 10);
	  wait();
	})`, chromedp.EvalAwaitPromise)
	wall := time.Since(began)
	loadMs := evaluate[float64](ctx, t, `performance.getEntriesByType("navigation")[0].loadEventEnd`)
	drawMs := evaluate[float64](ctx, t, `window.barrageDrawMs`)
	chartErrors := evaluate[[]string](ctx, t, `window.barrageChartErrors`)
	charts := evaluate[map[string]*drawn](ctx, t, inspectJS)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	png := filepath.Join(dir, base+".png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes (%s); load event at %.0f ms, charts painted at %.0f ms (built in %.0f ms), %v navigating from Go; screenshot %s",
		base, len(page), path, loadMs, readyMs, drawMs, wall.Round(time.Millisecond), png)
	if interact {
		times := evaluate[map[string]float64](ctx, t, interactJS, chromedp.EvalAwaitPromise)
		t.Logf("%s, responsiveness of the latency chart: %.2f ms a cursor move (legend updated, painted; mean of 100), %.1f ms to zoom into a tenth and %.1f ms back",
			base, times["cursor_ms"], times["zoom_ms"], times["unzoom_ms"])
	}

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page reported problems:\n%s", joinLines(problems))
	}
	if len(chartErrors) > 0 {
		t.Errorf("charts not drawn: %v", chartErrors)
	}
	if others := slices.DeleteFunc(slices.Clone(requests), func(u string) bool { return u == fileURL }); len(requests) == 0 || len(others) > 0 {
		t.Errorf("requests %v; want the file %s and nothing else", requests, fileURL)
	}
	return charts
}

// checkCharts holds what a page drew against the charts it should have.
func checkCharts(t *testing.T, want []chart.Chart, got map[string]*drawn, minCharts int) {
	t.Helper()
	if len(got) != len(want) || len(want) < minCharts {
		t.Errorf("%d charts in the page, %d in the report; want the same, at least %d", len(got), len(want), minCharts)
	}
	for _, c := range want {
		d := got[c.ID]
		if d == nil {
			t.Errorf("chart %s: not drawn", c.ID)
			continue
		}
		if d.Series != len(c.Series) || d.Points != len(c.X) {
			t.Errorf("chart %s: %d series of %d points; want %d of %d", c.ID, d.Series, d.Points, len(c.Series), len(c.X))
		}
		for i, n := range d.NonNull {
			if n == 0 {
				t.Errorf("chart %s: series %q has no value drawn", c.ID, c.Series[i].Label)
			}
		}
		if d.Colored < 5*len(c.Series) { // a single point is a dot of about 12 pixels
			t.Errorf("chart %s: %d coloured pixels on its canvas; want a drawing of %d series", c.ID, d.Colored, len(c.Series))
		}
		checkStack(t, c, d)
	}
}

// checkStack holds the sums uPlot drew against c's: a stacked series is
// drawn at the running sum of its stack, any other at its own values.
func checkStack(t *testing.T, c chart.Chart, d *drawn) {
	t.Helper()
	if len(d.Sums) != len(c.Series) || len(d.Labels) != len(c.Series) {
		t.Errorf("chart %s: %d sums and %d labels drawn; want %d", c.ID, len(d.Sums), len(d.Labels), len(c.Series))
		return
	}
	var stack float64
	for i, s := range c.Series {
		var own float64
		for _, v := range s.Values {
			if !math.IsNaN(v) && (v > 0 || !(c.YAxis.Log || s.Right && c.Y2Axis != nil && c.Y2Axis.Log)) {
				own += v
			}
		}
		want := own
		if s.Stack {
			stack += own
			want = stack
		}
		if d.Labels[i] != s.Label || math.Abs(d.Sums[i]-want) > 1e-6*max(1, math.Abs(want)) {
			t.Errorf("chart %s, series %d: %q drawn summing to %g; want %q summing to %g", c.ID, i, d.Labels[i], d.Sums[i], s.Label, want)
		}
	}
}

// evaluate runs a JavaScript expression in the page and decodes its value.
func evaluate[T any](ctx context.Context, t *testing.T, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %.60s: %v", js, err)
	}
	return v
}

func args(as []*runtime.RemoteObject) string {
	var b bytes.Buffer
	for _, a := range as {
		if a.Value != nil {
			b.Write(a.Value)
		} else {
			b.WriteString(a.Description)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func joinLines(s []string) string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}
