package report_test

import (
	"bytes"
	"testing"

	"github.com/barrage-load/barrage/pkg/compare"
	"github.com/barrage-load/barrage/pkg/report"
)

// TestBrowserCompare opens barrage compare's HTML page of two synthetic
// runs, a 10-minute baseline and a 15-minute run 50% slower that lacks one
// of its targets, in headless Chromium: no console error, no request but
// the file, and every chart (the percentile plots of the runs and of the
// two targets in both, p99 per second) drawn with A and B. The page and
// its screenshot are kept as compare-600s-900s.html and .png.
func TestBrowserCompare(t *testing.T) {
	a, b := report.Synthetic(600), report.Synthetic(900)
	b.RunID = "synthetic-900s-slower"
	for i := range b.LatencyPercentiles.Ms {
		b.LatencyPercentiles.Ms[i] *= 1.5
		b.LatencyPercentiles.UncorrectedMs[i] *= 1.5
	}
	b.LatencyMs.P99 *= 1.5
	b.Targets = b.Targets[1:]
	for i := range b.Targets {
		for j := range b.Targets[i].PercentilesMs {
			b.Targets[i].PercentilesMs[j] *= 1.5
		}
	}
	for i := range b.TimeSeries {
		b.TimeSeries[i].P99Ms *= 1.5
	}
	c := compare.Compare(a, b)
	conds, err := compare.ParseConditions("p99>+10%,throughput<-50%")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Judge(conds); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := c.HTML(&page, a, b); err != nil {
		t.Fatal(err)
	}
	want := compare.Charts(a, b)
	if len(want) != 4 {
		t.Fatalf("%d charts; want 4: the runs', two targets', p99 per second", len(want))
	}
	report.BrowsePage(t, "compare-600s-900s", page.Bytes(), want)
}
