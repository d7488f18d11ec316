package events

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Limits of a spec's monitor section, and of what is kept of it.
const (
	MaxMonitorEndpoints = 10  // monitor entries per spec
	MaxMonitorPatterns  = 100 // series patterns per entry
	// MaxMonitorSeries is how many series are kept per endpoint; the
	// matching series beyond it are counted (MonitorReport.SeriesDropped)
	// and the report warns. With one point a second it bounds an
	// endpoint's memory: 200 series × 3,600 points × 16 bytes ≈ 11 MB an
	// hour.
	MaxMonitorSeries = 200
)

// Monitor is one Prometheus endpoint of the server under test whose own
// metrics are scraped every second during the run, and the series to keep
// (RunSpec.Monitor).
type Monitor struct {
	// URL is the endpoint, http or https, such as Keycloak's management
	// port: http://kc:9000/metrics. Its host must be allowed like a
	// target's (allow_hosts; on AWS the deployment's allow-list).
	URL string `json:"url" yaml:"url"`
	// Series are metric names or regular expressions (RE2), each matched
	// against the whole name: "agroal_.*" keeps agroal_active_count,
	// "process_cpu_usage" that metric only. A histogram or summary is kept
	// whole when its name matches, or in part when a part's name does
	// (http_server_requests_seconds_count).
	Series []string `json:"series" yaml:"series"`
}

// Matcher is the one regular expression that matches, whole, the names
// m.Series keep; an error names the pattern that does not compile.
func (m Monitor) Matcher() (*regexp.Regexp, error) {
	alts := make([]string, len(m.Series))
	for i, s := range m.Series {
		if _, err := regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("series[%d]: %q is not a regular expression: %w", i, s, err)
		}
		alts[i] = "(?:" + s + ")"
	}
	return regexp.Compile("^(?:" + strings.Join(alts, "|") + ")$")
}

// validateMonitor checks s.Monitor: each URL absolute http(s) without
// credentials, each entry's series present and compiling. Its hosts are
// checked against the allow-lists where a spec's hosts are
// (pkg/journey.CheckHosts).
func (s *RunSpec) validateMonitor(p *problems) {
	if len(s.Monitor) > MaxMonitorEndpoints {
		p.add("monitor", "%d endpoints; at most %d", len(s.Monitor), MaxMonitorEndpoints)
	}
	for i, m := range s.Monitor {
		field := fmt.Sprintf("monitor[%d]", i)
		if u, err := url.Parse(m.URL); m.URL == "" {
			p.add(field+".url", "missing")
		} else if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
			p.add(field+".url", "%q is not an absolute http or https URL", m.URL)
		} else if u.User != nil {
			p.add(field+".url", "credentials in the URL are not supported")
		}
		switch {
		case len(m.Series) == 0:
			p.add(field+".series", "missing: name the metrics to keep (a name or a regular expression, such as \"agroal_.*\")")
		case len(m.Series) > MaxMonitorPatterns:
			p.add(field+".series", "%d patterns; at most %d", len(m.Series), MaxMonitorPatterns)
		}
		for k, ser := range m.Series {
			if strings.TrimSpace(ser) == "" {
				p.add(fmt.Sprintf("%s.series[%d]", field, k), "empty")
			} else if _, err := regexp.Compile(ser); err != nil {
				p.add(fmt.Sprintf("%s.series[%d]", field, k), "%q is not a metric name or a regular expression: %v", ser, err)
			}
		}
	}
}
