package report

import (
	"testing"

	"github.com/barrage-load/barrage/pkg/report/chart"
)

// Synthetic is synthetic for the tests of package report_test.
var Synthetic = synthetic

// BrowsePage opens page in headless Chromium as TestBrowser opens
// report.html (skipping without Chromium, failing under CI=true), keeps it
// and its screenshot as base.html and base.png in $BARRAGE_ARTIFACTS, and
// checks that it drew each chart of want, every series with data: for
// pages the package's own tests cannot build (barrage compare's, whose
// package imports this one).
func BrowsePage(t *testing.T, base string, page []byte, want []chart.Chart) {
	t.Helper()
	exe := chromium(t)
	checkCharts(t, want, openPage(t, exe, artifacts(t), base, page, false), len(want))
}
