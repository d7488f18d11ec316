package monitor

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Scrapes reports whether the shard of message m scrapes the monitor
// endpoints of spec: the shard of stripe index 0 of each window, when the
// spec has a monitor section.
func Scrapes(spec *events.RunSpec, m *events.ShardMessage) bool {
	return len(spec.Monitor) > 0 && m.Index == 0
}

// ConfigFor is the Config of the shard of message m, which Scrapes: its
// window's seconds, the run's end too when its window is the last.
func ConfigFor(spec *events.RunSpec, m *events.ShardMessage) Config {
	return Config{Endpoints: spec.Monitor, RunStart: m.StartAt, From: m.WindowFrom.D(), To: m.WindowTo.D(),
		WithEnd: m.WindowTo.D() >= m.Duration.D(), Insecure: spec.Insecure}
}

// Merge joins the scrapes that results carry (one scraping shard per
// window) into report.json's monitor section: one entry per endpoint of
// spec, in its order, the windows' counts added, their series joined by
// metric and labels (in the order first scraped, at most
// events.MaxMonitorSeries) with their points in time order, and the last
// error of the latest window that had one. It returns nil without a
// monitor section, and a warning for each endpoint that was never
// scraped, whose every scrape failed, or that had more series than kept.
func Merge(spec []events.Monitor, results []*events.ShardResult) ([]events.MonitorReport, []string) {
	if len(spec) == 0 {
		return nil, nil
	}
	var scraped []*events.ShardResult
	for _, r := range results {
		if r != nil && len(r.Monitor) == len(spec) {
			scraped = append(scraped, r)
		}
	}
	slices.SortStableFunc(scraped, func(a, b *events.ShardResult) int { return a.StartedAt.Compare(b.StartedAt) })
	out := make([]events.MonitorReport, len(spec))
	var warnings []string
	for i, m := range spec {
		var parts []events.MonitorReport
		for _, r := range scraped {
			if r.Monitor[i].URL == m.URL {
				parts = append(parts, r.Monitor[i])
			}
		}
		out[i] = join(m.URL, parts)
		warnings = append(warnings, warn(&out[i], len(parts))...)
	}
	return out, warnings
}

// join adds up parts, one endpoint's scrapes of consecutive windows.
func join(url string, parts []events.MonitorReport) events.MonitorReport {
	rep := events.MonitorReport{URL: url, Series: []events.MonitorSeries{}}
	index := map[string]int{}
	for _, p := range parts {
		rep.Scrapes += p.Scrapes
		rep.Failures += p.Failures
		if p.LastError != "" {
			rep.LastError = p.LastError
		}
		dropped := p.SeriesDropped
		for _, s := range p.Series {
			k := seriesKey(s)
			i, ok := index[k]
			if !ok {
				if len(rep.Series) >= events.MaxMonitorSeries {
					dropped++
					continue
				}
				i = len(rep.Series)
				index[k] = i
				rep.Series = append(rep.Series, events.MonitorSeries{Metric: s.Metric, Labels: s.Labels, Type: s.Type})
			}
			rep.Series[i].Points = append(rep.Series[i].Points, s.Points...)
		}
		rep.SeriesDropped = max(rep.SeriesDropped, dropped)
	}
	for i := range rep.Series {
		slices.SortStableFunc(rep.Series[i].Points, func(a, b events.MonitorPoint) int { return cmp.Compare(a.ElapsedS, b.ElapsedS) })
	}
	return rep
}

// seriesKey names a series by its metric and its labels, sorted; NUL
// separates them (no name holds one, and the text format quotes it in a
// value).
func seriesKey(s events.MonitorSeries) string {
	var b strings.Builder
	b.WriteString(s.Metric)
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		fmt.Fprintf(&b, "\x00%s\x00%s", k, s.Labels[k])
	}
	return b.String()
}

// warn says what a reader of the report should know of r, joined from
// parts windows.
func warn(r *events.MonitorReport, parts int) []string {
	var w []string
	switch {
	case parts == 0:
		w = append(w, fmt.Sprintf("monitor %s: not scraped: the shard that scrapes (stripe 0 of each window) reported no scrape", r.URL))
	case r.Scrapes > 0 && r.Failures == r.Scrapes:
		w = append(w, fmt.Sprintf("monitor %s: every scrape failed (%d): %s", r.URL, r.Failures, r.LastError))
	}
	if r.SeriesDropped > 0 {
		w = append(w, fmt.Sprintf("monitor %s: %d more series matched than the %d kept (name fewer series)", r.URL, r.SeriesDropped, events.MaxMonitorSeries))
	}
	return w
}
