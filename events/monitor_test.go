package events

import (
	"strings"
	"testing"
)

func TestValidateMonitor(t *testing.T) {
	ok := Monitor{URL: "http://kc.example.com:9000/metrics", Series: []string{"process_cpu_usage", "agroal_.*"}}
	many := make([]Monitor, MaxMonitorEndpoints+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name string
		m    []Monitor
		want []problem
	}{
		// A name and a regular expression, over http or https.
		{"valid", []Monitor{ok, {URL: "https://kc.example.com/metrics", Series: []string{"jvm_threads_.*"}}}, nil},
		{"no URL", []Monitor{{Series: ok.Series}}, []problem{{"monitor[0].url", "missing"}}},
		{"not http", []Monitor{{URL: "ftp://kc/metrics", Series: ok.Series}}, []problem{{"monitor[0].url", "not an absolute http or https URL"}}},
		{"no host", []Monitor{{URL: "http:///metrics", Series: ok.Series}}, []problem{{"monitor[0].url", "not an absolute"}}},
		{"credentials", []Monitor{{URL: "http://u:p@kc/metrics", Series: ok.Series}}, []problem{{"monitor[0].url", "credentials"}}},
		{"no series", []Monitor{{URL: ok.URL}}, []problem{{"monitor[0].series", "missing"}}},
		{"empty pattern", []Monitor{{URL: ok.URL, Series: []string{" "}}}, []problem{{"monitor[0].series[0]", "empty"}}},
		// The second entry's second pattern does not compile.
		{"bad regexp", []Monitor{ok, {URL: ok.URL, Series: []string{"a", "agroal_(.*"}}},
			[]problem{{"monitor[1].series[1]", "not a metric name or a regular expression"}}},
		{"too many endpoints", many, []problem{{"monitor", "11 endpoints; at most 10"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			s.Monitor = tt.m
			got := fieldErrors(t, s.Validate())
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %v", len(got), got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.msg) {
					t.Errorf("problem %d: got %s: %s, want %s: …%s…", i, got[i].Field, got[i].Msg, w.field, w.msg)
				}
			}
		})
	}
}

func TestMonitorMatcher(t *testing.T) {
	re, err := Monitor{Series: []string{"process_cpu_usage", "agroal_.*", "a|b"}}.Matcher()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"process_cpu_usage":       true,
		"process_cpu_usage_total": false, // a name matches whole, not as a prefix
		"my_process_cpu_usage":    false,
		"agroal_active_count":     true,
		"agroal_":                 true,
		"xagroal_active_count":    false, // anchored at the start too
		"a":                       true,  // an alternation is one pattern: "a|b" does not leak into the others
		"b":                       true,
		"ab":                      false,
	} {
		if got := re.MatchString(name); got != want {
			t.Errorf("%q: got %v, want %v", name, got, want)
		}
	}
	if _, err := (Monitor{Series: []string{"ok", "(bad"}}).Matcher(); err == nil || !strings.Contains(err.Error(), "series[1]") {
		t.Errorf("a pattern that does not compile: got %v, want an error naming series[1]", err)
	}
}
