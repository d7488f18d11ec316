package compare

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Condition is a regression gate: [target=NAME:]METRIC OP CHANGE (doc.go).
type Condition struct {
	// Text is the condition as given.
	Text string `json:"condition"`
	// Target names the target judged; "" judges the whole run.
	Target string `json:"target,omitempty"`
	// Metric is a metric's name (p99, error_ratio, throughput, …).
	Metric string `json:"metric"`
	// Op is >, >=, < or <=.
	Op string `json:"op"`
	// Relative says Value is a fraction of A (0.1 for +10%); otherwise it
	// is a change in the metric's unit (milliseconds for latencies).
	Relative bool    `json:"relative"`
	Value    float64 `json:"value"`
}

// ops are the comparisons, the two-character ones first so that ">=" is
// not read as ">" followed by "=…".
var ops = []string{">=", "<=", ">", "<"}

// ParseConditions parses one or more conditions separated by commas.
func ParseConditions(s string) ([]Condition, error) {
	var cs []Condition
	for _, part := range strings.Split(s, ",") {
		c, err := ParseCondition(part)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// ParseCondition parses one condition, such as p99>+10%,
// error_ratio>+0.01 or target=login:p95>+20ms.
func ParseCondition(s string) (Condition, error) {
	c := Condition{Text: strings.TrimSpace(s)}
	rest := c.Text
	if rest == "" {
		return c, errors.New("empty condition: want METRIC OP CHANGE, such as p99>+10%")
	}
	if name, ok := strings.CutPrefix(rest, "target="); ok {
		// The name may hold spaces and colons (GET http://host:8080/): it
		// ends at the last colon, since METRIC OP CHANGE has none.
		i := strings.LastIndex(name, ":")
		c.Target, rest = strings.TrimSpace(name[:max(i, 0)]), name[i+1:]
		if i < 0 || c.Target == "" {
			return c, fmt.Errorf("%s: want target=NAME:METRIC OP CHANGE, such as target=login:p99>+10%%", c.Text)
		}
	}
	rest = strings.Join(strings.Fields(rest), "")
	at, op := -1, ""
	for _, o := range ops {
		if i := strings.Index(rest, o); i >= 0 && (at < 0 || i < at) {
			at, op = i, o
		}
	}
	if at < 0 {
		return c, fmt.Errorf("%s: no comparison: want METRIC OP CHANGE with OP one of >, >=, <, <=, such as p99>+10%%", c.Text)
	}
	c.Metric, c.Op = strings.ToLower(rest[:at]), op
	if c.Metric == "p99.9" {
		c.Metric = "p999"
	}
	m, ok := lookupMetric(c.Metric)
	switch {
	case !ok:
		return c, fmt.Errorf("%s: unknown metric %q (want one of %s)", c.Text, rest[:at], metricNames())
	case c.Target != "" && m.target == nil:
		return c, fmt.Errorf("%s: %s is not measured per target", c.Text, c.Metric)
	}
	v, rel, err := parseChange(rest[at+len(op):], m.unit)
	if err != nil {
		return c, fmt.Errorf("%s: %v", c.Text, err)
	}
	c.Value, c.Relative = v, rel
	return c, nil
}

// parseChange parses a change: a percentage (relative, as a fraction), a
// duration in milliseconds for a latency, or a number.
func parseChange(s string, unit Unit) (float64, bool, error) {
	if s == "" {
		return 0, false, errors.New("no change after the comparison: want +10%, -5%, +20ms or +0.01")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("%q is not a percentage such as +10%% or -5%%", s)
		}
		return v / 100, true, nil
	}
	if unit == UnitMs {
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
				return 0, false, fmt.Errorf("%q needs a unit: a latency changes by a duration (try %sms) or a percentage", s, s)
			}
			return 0, false, fmt.Errorf("%q is not a change of latency: want a percentage (+10%%) or a duration (+20ms)", s)
		}
		return float64(d) / float64(time.Millisecond), false, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("%q is not a change: want a percentage (+10%%) or a number (%s)", s, unitWord(unit))
	}
	return v, false, nil
}

func unitWord(u Unit) string {
	switch u {
	case UnitPerS:
		return "per second"
	case UnitRatio:
		return "a ratio, 0.01 for one point"
	}
	return "a count"
}

func metricNames() string {
	var names []string
	for _, m := range metrics {
		names = append(names, m.name)
	}
	return strings.Join(names, ", ")
}

// Gate is a judged condition.
type Gate struct {
	Condition
	// Row is the figure judged.
	Row Row `json:"row"`
	// Held says the condition holds: a regression.
	Held bool `json:"held"`
}

// Holds says whether c holds on row: change (or the relative change) OP
// Value.
func (c Condition) Holds(row Row) bool {
	x := row.Change
	if c.Relative {
		x = relative(row.A, row.B)
	}
	switch c.Op {
	case ">":
		return x > c.Value
	case ">=":
		return x >= c.Value
	case "<":
		return x < c.Value
	}
	return x <= c.Value
}

// Judge judges the conditions on c, records them in c.Gates and returns
// those that held. A condition on a target that either run lacks is an
// error: nothing would be judged.
func (c *Comparison) Judge(conds []Condition) ([]Gate, error) {
	var held []Gate
	for _, cond := range conds {
		row, err := c.row(cond)
		if err != nil {
			return nil, err
		}
		g := Gate{Condition: cond, Row: row, Held: cond.Holds(row)}
		c.Gates = append(c.Gates, g)
		if g.Held {
			held = append(held, g)
		}
	}
	return held, nil
}

// row finds the row cond judges.
func (c *Comparison) row(cond Condition) (Row, error) {
	rows := c.Run
	if cond.Target != "" {
		rows = nil
		var names []string
		for _, t := range c.Targets {
			names = append(names, strconv.Quote(t.Name))
			if t.Name == cond.Target && t.InA && t.InB {
				rows = t.Rows
			}
		}
		if rows == nil {
			return Row{}, fmt.Errorf("%s: no target %q in both runs (targets: %s)", cond.Text, cond.Target, strings.Join(names, ", "))
		}
	}
	for _, r := range rows {
		if r.Metric == cond.Metric {
			return r, nil
		}
	}
	return Row{}, fmt.Errorf("%s: no %s to compare", cond.Text, cond.Metric)
}
