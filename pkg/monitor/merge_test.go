package monitor

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

func pts(at ...float64) []events.MonitorPoint {
	var out []events.MonitorPoint
	for _, a := range at {
		out = append(out, events.MonitorPoint{ElapsedS: a, Value: a * 10})
	}
	return out
}

// TestMerge joins two windows' scrapes, given out of order, and ignores
// the shards that did not scrape.
func TestMerge(t *testing.T) {
	spec := []events.Monitor{{URL: "http://kc:9000/metrics", Series: []string{".*"}}, {URL: "http://db:9187/metrics", Series: []string{"pg_.*"}}}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cpu := events.MonitorSeries{Metric: "process_cpu_usage", Type: "gauge"}
	pool := func(ds string) events.MonitorSeries {
		return events.MonitorSeries{Metric: "agroal_active_count", Labels: map[string]string{"datasource": ds}, Type: "gauge"}
	}
	with := func(s events.MonitorSeries, p []events.MonitorPoint) events.MonitorSeries { s.Points = p; return s }
	w1 := &events.ShardResult{ShardID: "s0000-w1", StartedAt: t0.Add(600 * time.Second), Monitor: []events.MonitorReport{
		{URL: spec[0].URL, Scrapes: 2, Failures: 1, LastError: "late", Series: []events.MonitorSeries{with(pool("b"), pts(600)), with(cpu, pts(600))}},
		{URL: spec[1].URL, Scrapes: 2, Series: []events.MonitorSeries{}}}}
	w0 := &events.ShardResult{ShardID: "s0000", StartedAt: t0, Monitor: []events.MonitorReport{
		{URL: spec[0].URL, Scrapes: 3, Failures: 1, LastError: "early", Series: []events.MonitorSeries{with(cpu, pts(0, 1, 2)), with(pool("a"), pts(1, 2))}},
		{URL: spec[1].URL, Scrapes: 3, Series: []events.MonitorSeries{}}}}
	other := &events.ShardResult{ShardID: "s0001", StartedAt: t0}
	got, warnings := Merge(spec, []*events.ShardResult{w1, other, nil, w0})
	want := []events.MonitorReport{
		{URL: spec[0].URL, Scrapes: 5, Failures: 2, LastError: "late", Series: []events.MonitorSeries{
			with(cpu, pts(0, 1, 2, 600)), with(pool("a"), pts(1, 2)), with(pool("b"), pts(600))}},
		{URL: spec[1].URL, Scrapes: 5, Series: []events.MonitorSeries{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q; want none", warnings)
	}
}

func TestMergeWarnings(t *testing.T) {
	spec := []events.Monitor{{URL: "http://kc:9000/metrics", Series: []string{".*"}}}
	if got, w := Merge(nil, nil); got != nil || w != nil {
		t.Errorf("no monitor section: got %v, %v; want nothing", got, w)
	}
	// The scraping shard was lost: the endpoint is reported, unscraped.
	got, w := Merge(spec, []*events.ShardResult{{ShardID: "s0001"}})
	if len(got) != 1 || got[0].Scrapes != 0 || got[0].Series == nil || len(w) != 1 || !strings.Contains(w[0], "not scraped") {
		t.Errorf("lost scraper: got %+v, %q", got, w)
	}
	// Every scrape failed; and more series than kept.
	res := &events.ShardResult{Monitor: []events.MonitorReport{{URL: spec[0].URL, Scrapes: 4, Failures: 4, LastError: "GET x: 503", SeriesDropped: 7, Series: []events.MonitorSeries{}}}}
	_, w = Merge(spec, []*events.ShardResult{res})
	if len(w) != 2 || !strings.Contains(w[0], "every scrape failed (4): GET x: 503") || !strings.Contains(w[1], "7 more series") {
		t.Errorf("warnings %q; want every scrape failed, then 7 more series", w)
	}
}

// TestSeriesCap: an endpoint keeps MaxMonitorSeries series, the first
// scraped, and counts the matching series beyond.
func TestSeriesCap(t *testing.T) {
	e := newEndpoint("http://kc/metrics", nil)
	scrape := func(n int) []Sample {
		var ss []Sample
		for i := range n {
			ss = append(ss, Sample{Metric: "m", Key: fmt.Sprintf("m%04d", i), Type: "gauge", Value: float64(i)})
		}
		return ss
	}
	e.record(0, scrape(events.MaxMonitorSeries+5), nil)
	e.record(time.Second, scrape(events.MaxMonitorSeries+3), nil)
	if len(e.rep.Series) != events.MaxMonitorSeries || e.rep.SeriesDropped != 5 {
		t.Fatalf("%d series, %d dropped; want %d, 5", len(e.rep.Series), e.rep.SeriesDropped, events.MaxMonitorSeries)
	}
	if last := e.rep.Series[events.MaxMonitorSeries-1]; len(last.Points) != 2 || last.Points[1].ElapsedS != 1 {
		t.Errorf("the last series kept: %+v; want a point at 0 and at 1 s", last)
	}
}

// TestScrapes: the shard of stripe 0 of each window scrapes, over its
// window, and the last window to the run's end.
func TestScrapes(t *testing.T) {
	spec := &events.RunSpec{Monitor: []events.Monitor{{URL: "http://kc/metrics", Series: []string{"x"}}}}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	msg := func(index int, from, to time.Duration) *events.ShardMessage {
		return &events.ShardMessage{StartAt: start, Duration: events.Duration(20 * time.Minute),
			ShardWindow: events.ShardWindow{Index: index, Count: 4, WindowFrom: events.Duration(from), WindowTo: events.Duration(to)}}
	}
	tests := []struct {
		name    string
		spec    *events.RunSpec
		m       *events.ShardMessage
		scrapes bool
		withEnd bool
	}{
		{"stripe 0, first window", spec, msg(0, 0, 10*time.Minute), true, false},
		{"stripe 0, last window", spec, msg(0, 10*time.Minute, 20*time.Minute), true, true},
		{"stripe 1", spec, msg(1, 0, 10*time.Minute), false, false},
		{"no monitor section", &events.RunSpec{}, msg(0, 0, 10*time.Minute), false, false},
	}
	for _, tt := range tests {
		if got := Scrapes(tt.spec, tt.m); got != tt.scrapes {
			t.Errorf("%s: Scrapes %v; want %v", tt.name, got, tt.scrapes)
		}
		if !tt.scrapes {
			continue
		}
		cfg := ConfigFor(tt.spec, tt.m)
		if !cfg.RunStart.Equal(start) || cfg.From != tt.m.WindowFrom.D() || cfg.To != tt.m.WindowTo.D() || cfg.WithEnd != tt.withEnd {
			t.Errorf("%s: config %+v; want the window [%s, %s) from the run's start, with its end %v", tt.name, cfg, tt.m.WindowFrom, tt.m.WindowTo, tt.withEnd)
		}
	}
}
