package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Threshold metrics. Latencies are measured from the intended send, as in
// the report's latency_ms; error_ratio is the share of requests sent that
// were not a success (transport error, timeout, or a status other than
// 2xx/3xx; dropped arrivals are not requests); rate is successful responses
// per second.
const (
	MetricP50        = "p50"
	MetricP90        = "p90"
	MetricP95        = "p95"
	MetricP99        = "p99"
	MetricP999       = "p999"
	MetricMax        = "max"
	MetricMean       = "mean"
	MetricErrorRatio = "error_ratio"
	MetricRate       = "rate"
)

// Metrics lists the threshold metrics, latencies first.
var Metrics = []string{MetricP50, MetricP90, MetricP95, MetricP99, MetricP999, MetricMax, MetricMean,
	MetricErrorRatio, MetricRate}

// LatencyMetric reports whether m is a latency, whose limit is a duration.
func LatencyMetric(m string) bool {
	return m != MetricErrorRatio && m != MetricRate && slices.Contains(Metrics, m)
}

// Threshold comparison operators; DefaultOp when none is given.
var Ops = []string{"<", "<=", ">", ">="}

// DefaultOp is a threshold's operator when it gives none: the metric must
// stay below the value.
const DefaultOp = "<"

// Threshold is a pass/fail criterion judged on the merged report: the
// metric, over the whole run or one target or one step, compared with Value.
type Threshold struct {
	// Metric is one of Metrics.
	Metric string `json:"metric" yaml:"metric"`
	// Op is one of Ops; empty means DefaultOp. The threshold holds when
	// "actual Op value" is true.
	Op string `json:"op,omitempty" yaml:"op"`
	// Value is the limit: a duration such as "500ms" for a latency, a
	// number for error_ratio (0 to 1) and rate (per second).
	Value Limit `json:"value" yaml:"value"`
	// Target, if set, judges only the target of that name.
	Target string `json:"target,omitempty" yaml:"target"`
	// Step, if set (from 1), judges only that step of a stages or find-max
	// load, over the seconds the reducer judges (DefaultSettle left out).
	Step int `json:"step,omitempty" yaml:"step"`
	// Abort, if set, stops the run once the threshold has been broken for
	// Abort.After. The local backend watches live figures, which carry the
	// p99 latency and transport errors only: Validate accepts abort for run-
	// wide p99 and error_ratio thresholds.
	Abort *ThresholdAbort `json:"abort,omitempty" yaml:"abort"`
}

// ThresholdAbort says when a broken threshold stops the run.
type ThresholdAbort struct {
	// After is how long the threshold must stay broken; > 0.
	After Duration `json:"after" yaml:"after"`
}

// OpOrDefault is t's operator, DefaultOp when unset.
func (t Threshold) OpOrDefault() string {
	if t.Op == "" {
		return DefaultOp
	}
	return t.Op
}

// Holds reports whether actual satisfies "actual op limit".
func Holds(actual float64, op string, limit float64) bool {
	switch op {
	case "<", "":
		return actual < limit
	case "<=":
		return actual <= limit
	case ">":
		return actual > limit
	case ">=":
		return actual >= limit
	}
	return false
}

// Limit is a threshold's value: a duration ("500ms", written as a string) or
// a plain number (0.01).
type Limit struct {
	// IsDuration tells which of the two was written.
	IsDuration bool
	// Duration is the value when written as a duration.
	Duration time.Duration
	// Number is the value when written as a number.
	Number float64
}

// DurationLimit and NumberLimit build limits.
func DurationLimit(d time.Duration) Limit { return Limit{IsDuration: true, Duration: d} }

// NumberLimit is the limit v, written as a number.
func NumberLimit(v float64) Limit { return Limit{Number: v} }

// Float is the limit in the metric's unit: milliseconds for a duration.
func (l Limit) Float() float64 {
	if l.IsDuration {
		return float64(l.Duration) / float64(time.Millisecond)
	}
	return l.Number
}

func (l Limit) String() string {
	if l.IsDuration {
		return l.Duration.String()
	}
	return strconv.FormatFloat(l.Number, 'g', -1, 64)
}

// MarshalText writes the limit as it is written in a spec.
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a number ("0.01") or a Go duration ("500ms").
func (l *Limit) UnmarshalText(b []byte) error {
	s := string(b)
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*l = NumberLimit(v)
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		*l = DurationLimit(d)
		return nil
	}
	return fmt.Errorf("invalid threshold value %q (want a duration such as 500ms, or a number such as 0.01)", s)
}

// MarshalJSON writes a duration as a string and a number as a number.
func (l Limit) MarshalJSON() ([]byte, error) {
	if l.IsDuration {
		return json.Marshal(l.Duration.String())
	}
	if math.IsNaN(l.Number) || math.IsInf(l.Number, 0) {
		return nil, fmt.Errorf("threshold value %v is not a finite number", l.Number)
	}
	return json.Marshal(l.Number)
}

// UnmarshalJSON reads a JSON number, or a string holding a number or a
// duration.
func (l *Limit) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil // as encoding/json does for other values: unchanged
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return l.UnmarshalText([]byte(s))
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("invalid threshold value %s (want a duration such as \"500ms\", or a number such as 0.01)", b)
	}
	*l = NumberLimit(v)
	return nil
}
