package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/pkg/stack"
)

// dashboardBody is the runs dashboard's body as JSON, its tokens (the
// region) replaced by "TOKEN".
func (s *synthesized) dashboardBody(t *testing.T) (name any, body map[string]any) {
	t.Helper()
	props := s.resource(t, "AWS::CloudWatch::Dashboard", "RunsDashboard")["Properties"].(map[string]any)
	var text strings.Builder
	switch b := props["DashboardBody"].(type) {
	case string:
		text.WriteString(b)
	case map[string]any: // {"Fn::Join": ["", [parts]]}
		for _, part := range b["Fn::Join"].([]any)[1].([]any) {
			if s, ok := part.(string); ok {
				text.WriteString(s)
			} else {
				text.WriteString("TOKEN")
			}
		}
	}
	if err := json.Unmarshal([]byte(text.String()), &body); err != nil {
		t.Fatalf("the dashboard's body is not JSON: %v\n%s", err, text.String())
	}
	return props["DashboardName"], body
}

// TestDashboard: the stack has the runs dashboard, named after the stack,
// whose "run" variable lists the runs with metrics in the workers' EMF
// namespace and stands for the run's id in every metric it plots: the
// rate (sent, completed, successful, errors, dropped), latency, errors by
// class (a search) and requests in flight.
func TestDashboard(t *testing.T) {
	s := stacks()["defaults"]
	name, body := s.dashboardBody(t)
	if fmt.Sprint(name) != "map[Fn::Join:[ [map[Ref:AWS::StackName] -runs]]]" && name != "Barrage-runs" {
		t.Errorf("dashboard name %v; want the stack's name and -runs", name)
	}
	vars, _ := body["variables"].([]any)
	if len(vars) != 1 {
		t.Fatalf("variables %v; want the run", body["variables"])
	}
	v := vars[0].(map[string]any)
	search, _ := v["search"].(string)
	if v["type"] != "pattern" || v["pattern"] != runPattern || v["inputType"] != "select" || v["populateFrom"] != stack.MetricsRunID ||
		!strings.Contains(search, "{"+stack.MetricsNamespace+","+stack.MetricsRunID+"}") {
		t.Errorf("variable %v; want a pattern %q chosen from the runs in namespace %s", v, runPattern, stack.MetricsNamespace)
	}
	plotted := map[string]bool{} // metric names plotted for the run
	var searches []string
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		for _, m := range props["metrics"].([]any) {
			m := m.([]any)
			if e, ok := m[0].(map[string]any); ok {
				if expr, _ := e["expression"].(string); strings.HasPrefix(expr, "SEARCH(") {
					searches = append(searches, expr)
				}
				continue
			}
			// [namespace, name, dimension, value, {options}]
			if len(m) >= 4 && m[0] == stack.MetricsNamespace && m[2] == stack.MetricsRunID && m[3] == runPattern {
				plotted[m[1].(string)] = true
			}
		}
	}
	for _, want := range []string{"Sent", "Requests", "Successes", "Errors", "Dropped", "DroppedLate", "LatencyP99", "LatencyMean", "Inflight"} {
		if !plotted[want] {
			t.Errorf("the dashboard does not plot %s of the run; it plots %v", want, slices.Sorted(func(yield func(string) bool) {
				for k := range plotted {
					if !yield(k) {
						return
					}
				}
			}))
		}
	}
	if len(searches) != 1 || !strings.Contains(searches[0], stack.MetricsRunID+`="`+runPattern+`"`) {
		t.Errorf("searches %q; want errors by class of the run", searches)
	}
}
