package monitor

import (
	"math"
	"regexp"
	"time"

	"github.com/barrage-load/barrage/events"
)

// endpoint is what one endpoint has given so far. Only its scraping
// goroutine touches it until Stop.
type endpoint struct {
	keep  *regexp.Regexp
	rep   events.MonitorReport
	index map[string]int // series key → its place in rep.Series
}

func newEndpoint(url string, keep *regexp.Regexp) *endpoint {
	return &endpoint{keep: keep, rep: events.MonitorReport{URL: url, Series: []events.MonitorSeries{}}, index: map[string]int{}}
}

// record adds one scrape made at elapsed from the run's start: its
// samples, or its failure.
func (e *endpoint) record(elapsed time.Duration, samples []Sample, err error) {
	e.rep.Scrapes++
	if err != nil {
		e.rep.Failures++
		e.rep.LastError = err.Error()
		return
	}
	at := math.Round(elapsed.Seconds()*1000) / 1000 // milliseconds are plenty at one scrape a second
	dropped := 0
	for _, s := range samples {
		i, ok := e.index[s.Key]
		if !ok {
			if len(e.rep.Series) >= events.MaxMonitorSeries {
				dropped++
				continue
			}
			i = len(e.rep.Series)
			e.index[s.Key] = i
			e.rep.Series = append(e.rep.Series, events.MonitorSeries{Metric: s.Metric, Labels: s.Labels, Type: s.Type})
		}
		e.rep.Series[i].Points = append(e.rep.Series[i].Points, events.MonitorPoint{ElapsedS: at, Value: s.Value})
	}
	// Distinct series beyond the cap, counted without remembering each:
	// the most one scrape had.
	e.rep.SeriesDropped = max(e.rep.SeriesDropped, dropped)
}
