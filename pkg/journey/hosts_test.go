package journey

import (
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// TestCheckHostsSteps: a step's host is what its URL renders to with the
// values known before the run; a run-time value anywhere in the scheme,
// user info or host makes it unknown, which an allow-list refuses.
func TestCheckHostsSteps(t *testing.T) {
	list := hostguard.Guard{Allow: [][]string{{"*.example.com"}}}
	ex := []events.Extract{{Var: "next", From: "header", Expr: "Location"}, {Var: "base", From: "header", Expr: "X-Base"}}
	tests := []struct {
		name string
		url  string
		sc   func(*events.Scenario)
		g    hostguard.Guard
		want string // "" passes
	}{
		{"literal", "https://api.example.com/a", nil, list, ""},
		{"path from a response", "https://api.example.com/{{next}}", nil, list, ""},
		{"query from a response", "https://api.example.com?x={{next}}", nil, list, ""},
		{"host from vars", "{{host}}/token", nil, list, ""},
		{"host from vars, not allowed", "https://{{evil}}/token", nil, list, `host "evil.example.net" is not on the allow-list`},
		{"whole URL from a response", "{{next}}", nil, list, "only known at run time"},
		{"host suffix from a response", "https://api.example.com{{next}}", nil, list, "only known at run time"},
		{"user info from a response", "https://{{next}}@api.example.com/", nil, list, "only known at run time"},
		{"scheme from a response", "{{next}}://api.example.com/", nil, list, "only known at run time"},
		{"a var an extractor overwrites", "{{base}}/x", func(sc *events.Scenario) { sc.Vars["base"] = "https://api.example.com" }, list, "only known at run time"},
		{"a secret", "https://{{key}}/x", func(sc *events.Scenario) { sc.Secrets = map[string]string{"key": "env:X"} }, list, "only known at run time"},
		{"a dataset column", "https://{{username}}.example.com/", func(sc *events.Scenario) { sc.Users = &events.UsersData{Count: 3} }, list, "only known at run time"},
		{"a built-in", "https://{{uuid}}.example.com/", nil, list, "only known at run time"},
		// Without an allow-list any host will do; only the forbidden
		// addresses are refused (a literal here, the rest when dialed).
		{"no list, from a response", "{{next}}", nil, hostguard.Guard{}, ""},
		{"no list, metadata literal", "http://169.254.169.254/", nil, hostguard.Guard{}, "instance-metadata address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := events.Scenario{Name: "s", Vars: map[string]string{"host": "https://api.example.com", "evil": "evil.example.net"},
				Steps: []events.ScenarioStep{{URL: "https://api.example.com/", Extract: ex}, {URL: tt.url}}}
			if tt.sc != nil {
				tt.sc(&sc)
			}
			s := &events.RunSpec{Scenarios: []events.Scenario{sc}}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			err := CheckHosts(s, tt.g)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%s: %v; want it allowed", tt.url, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "scenarios[0].steps[1].url: ")):
				t.Errorf("%s: %v; want scenarios[0].steps[1].url: …%s…", tt.url, err, tt.want)
			}
		})
	}
}

// TestCheckHostsMonitor: a monitor endpoint's host is checked like a
// target's, against the allow-list and the addresses never contacted.
func TestCheckHostsMonitor(t *testing.T) {
	list := hostguard.Guard{Allow: [][]string{{"*.example.com"}}}
	tests := []struct {
		name, url string
		g         hostguard.Guard
		want      string // "" passes
	}{
		{"on the list", "http://kc.example.com:9000/metrics", list, ""},
		{"not on the list", "http://kc.example.net:9000/metrics", list, `monitor[1].url: host "kc.example.net" is not on the allow-list`},
		{"no list", "http://kc.example.net:9000/metrics", hostguard.Guard{}, ""},
		{"metadata, no list", "http://169.254.169.254/metrics", hostguard.Guard{}, "monitor[1].url: host \"169.254.169.254\" is an instance-metadata address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &events.RunSpec{Targets: []events.Target{{URL: "https://api.example.com/"}},
				Monitor: []events.Monitor{{URL: "http://kc.example.com:9000/metrics", Series: []string{"x"}}, {URL: tt.url, Series: []string{"x"}}}}
			err := CheckHosts(s, tt.g)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%s: %v; want it allowed", tt.url, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%s: %v; want …%s…", tt.url, err, tt.want)
			}
		})
	}
}
