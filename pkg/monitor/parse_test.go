package monitor

import (
	"reflect"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// exposition is a Keycloak-like management endpoint's answer.
const exposition = `# HELP process_cpu_usage The "recent cpu usage" for the Java Virtual Machine process
# TYPE process_cpu_usage gauge
process_cpu_usage 0.25
# TYPE agroal_active_count gauge
agroal_active_count{datasource="default"} 3
agroal_active_count{datasource="other"} 1
# TYPE agroal_awaiting_count gauge
agroal_awaiting_count{datasource="default"} NaN
# TYPE http_server_requests_seconds histogram
http_server_requests_seconds_bucket{status="500",le="0.1"} 4
http_server_requests_seconds_bucket{status="500",le="+Inf"} 5
http_server_requests_seconds_sum{status="500"} 0.75
http_server_requests_seconds_count{status="500"} 5
# TYPE jvm_threads_live_threads gauge
jvm_threads_live_threads 42
# TYPE keycloak_logins_total counter
keycloak_logins_total{realm="test"} 17
`

func keys(ss []Sample) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.ReplaceAll(s.Key, "\x00", " "))
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		series []string
		want   []string // the kept series' keys, NUL shown as a space
	}{
		// A name keeps that metric only, whole: not process_cpu_usage_x, not a prefix.
		{"a name", []string{"process_cpu_usage"}, []string{"process_cpu_usage"}},
		// A regular expression keeps each series of each matching family;
		// agroal_awaiting_count's NaN is no number JSON can hold: left out.
		{"a regexp", []string{"agroal_.*"}, []string{"agroal_active_count datasource default", "agroal_active_count datasource other"}},
		// A histogram's family name keeps its parts.
		{"a histogram whole", []string{"http_server_requests_seconds"}, []string{
			"http_server_requests_seconds_bucket le +Inf status 500", "http_server_requests_seconds_bucket le 0.1 status 500",
			"http_server_requests_seconds_count status 500", "http_server_requests_seconds_sum status 500"}},
		// A part's own name keeps that part.
		{"a histogram's part", []string{"http_server_requests_seconds_count"}, []string{"http_server_requests_seconds_count status 500"}},
		{"a counter", []string{"keycloak_logins_total"}, []string{"keycloak_logins_total realm test"}},
		{"nothing matches", []string{"jvm_gc_.*"}, nil},
		{"anchored", []string{"threads"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := events.Monitor{Series: tt.series}.Matcher()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(strings.NewReader(exposition), re)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(keys(got), tt.want) {
				t.Errorf("got %q, want %q", keys(got), tt.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	re, _ := events.Monitor{Series: []string{"agroal_active_count", "keycloak_logins_total", "process_cpu_usage"}}.Matcher()
	got, err := Parse(strings.NewReader(exposition), re)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{Metric: "agroal_active_count", Labels: map[string]string{"datasource": "default"}, Type: "gauge", Value: 3},
		{Metric: "agroal_active_count", Labels: map[string]string{"datasource": "other"}, Type: "gauge", Value: 1},
		{Metric: "keycloak_logins_total", Labels: map[string]string{"realm": "test"}, Type: "counter", Value: 17},
		{Metric: "process_cpu_usage", Type: "gauge", Value: 0.25},
	}
	for i := range got {
		got[i].Key = ""
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseGarbage(t *testing.T) {
	re, _ := events.Monitor{Series: []string{".*"}}.Matcher()
	for _, in := range []string{"<html><body>not metrics</body></html>\n", "metric{a=\"b\" 1\n", "metric one\n"} {
		if got, err := Parse(strings.NewReader(in), re); err == nil {
			t.Errorf("%q: got %v and no error, want a parse error", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(exposition)
	f.Add("a 1\nb{x=\"y\"} NaN\n")
	re, _ := events.Monitor{Series: []string{".*"}}.Matcher()
	f.Fuzz(func(t *testing.T, in string) {
		ss, err := Parse(strings.NewReader(in), re)
		if err != nil {
			return
		}
		for _, s := range ss {
			if s.Metric == "" || s.Key == "" {
				t.Errorf("a sample without a name: %+v", s)
			}
		}
	})
}
