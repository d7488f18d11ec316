package monitor

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is one value of one series, as scraped.
type Sample struct {
	// Metric is the sample's name (a histogram's parts with their suffix).
	Metric string
	// Labels are its labels, without the name; nil when it has none.
	Labels map[string]string
	// Type is its family's type: counter, gauge, histogram, summary,
	// untyped.
	Type  string
	Value float64
	// Key names the series: the metric and its labels, sorted.
	Key string
}

// Parse reads a Prometheus text exposition and returns the samples that
// keep matches whole (a family's name, or the sample's own), sorted by
// Key; a value that is not finite is left out.
func Parse(r io.Reader, keep *regexp.Regexp) ([]Sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	var out []Sample
	for name, f := range fams {
		whole := keep.MatchString(name)
		vec, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{}, f)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", name, err)
		}
		typ := strings.ToLower(f.GetType().String())
		for _, s := range vec {
			metric := string(s.Metric[model.MetricNameLabel])
			v := float64(s.Value)
			if !whole && !keep.MatchString(metric) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			out = append(out, newSample(metric, s.Metric, typ, v))
		}
	}
	slices.SortFunc(out, func(a, b Sample) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// newSample is the sample of metric with the labels of ls (its name aside).
func newSample(metric string, ls model.Metric, typ string, v float64) Sample {
	s := Sample{Metric: metric, Type: typ, Value: v}
	for k, val := range ls {
		if k == model.MetricNameLabel {
			continue
		}
		if s.Labels == nil {
			s.Labels = make(map[string]string, len(ls)-1)
		}
		s.Labels[string(k)] = string(val)
	}
	s.Key = seriesKey(events.MonitorSeries{Metric: metric, Labels: s.Labels})
	return s
}
