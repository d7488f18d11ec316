package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The journey scenario (issue 14, goal 2): a three-step journey (POST a
// form to /token, GET /api with the extracted bearer token, POST the
// refresh token to /refresh) against journeyserver.go's server, pinned to
// CPU 0, each tool on CPU 1:
//
//   - keep-alive: barrage's scenario with connection: shared (a slot keeps
//     its connection, as a k6 VU does), k6 running the same journey as a
//     script, and barrage's plain HTTP/1.1 closed loop on /api with a
//     token, alternating; successful requests per CPU-second, and the
//     ratios journey/plain (goal ≥ 0.5) and journey/k6 (goal ≥ 3);
//   - new connection: barrage's scenario with the default connection per
//     iteration, and vegeta -keepalive=false on /ping, without and with
//     TLS; CPU per iteration (three requests on one new connection)
//     against vegeta's CPU per request (one request on one new
//     connection).

var k6Bin = flag.String("k6", "k6", "k6 binary for the journey scenario (looked up on PATH, then in $(go env GOPATH)/bin)")

// journeySpec is barrage's scenario: %[1]s the server's base URL,
// %[2]s the connection mode.
const journeySpec = `name: journey-bench
insecure: true
timeout: 10s
scenarios:
  - name: journey
    connection: %[2]s
    users: {pattern: "user-{n}", password_pattern: "pass-{n}", count: 1000}
    steps:
      - name: token
        url: %[1]stoken
        form: {grant_type: password, username: "{{username}}", password: "{{password}}", client_id: bench}
        expect: [200]
        extract:
          - {var: access, from: json, expr: $.access_token}
          - {var: refresh, from: json, expr: $.refresh_token}
      - name: api
        url: %[1]sapi
        headers: {Authorization: "Bearer {{access}}"}
        expect: [200]
      - name: refresh
        url: %[1]srefresh
        form: {grant_type: refresh_token, refresh_token: "{{refresh}}", client_id: bench}
        expect: [200]
        extract:
          - {var: access, from: json, expr: $.access_token}
`

// journeyScript is k6's equivalent: %[1]q the base URL, %[2]q where the
// summary goes.
const journeyScript = `import http from 'k6/http';

const base = %[1]q;

export const options = {summaryTrendStats: ['med', 'p(99)']};

export default function () {
  const n = (__VU * 1000003 + __ITER) %% 1000;
  let res = http.post(base + 'token', {grant_type: 'password', username: 'user-' + n, password: 'pass-' + n, client_id: 'bench'});
  if (res.status !== 200) { return; }
  const tok = res.json();
  res = http.get(base + 'api', {headers: {Authorization: 'Bearer ' + tok.access_token}});
  if (res.status !== 200) { return; }
  res = http.post(base + 'refresh', {grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'bench'});
  if (res.status === 200) { res.json(); }
}

export function handleSummary(data) {
  return {%[2]q: JSON.stringify(data)};
}
`

// journeyBench is what the scenario's runs share.
type journeyBench struct {
	*bench
	srv *journeyServer
	k6  string
}

func journeyScenario(b *bench, cfg config) section {
	c, d := cfg.Concurrency, cfg.Duration
	k6, err := findGoTool(*k6Bin)
	if err != nil {
		fmt.Printf("\n== journey: k6 not found (%v): go install go.k6.io/k6@v1.8.1\n", err)
		return section{runs: []measurement{{Tool: "k6", Scenario: "journey", Error: err.Error()}}}
	}
	srv, err := startJourneyServer(b.ctx)
	if err != nil {
		fmt.Printf("\n== journey: %v\n", err)
		return section{runs: []measurement{{Tool: "barrage", Scenario: "journey", Error: err.Error()}}}
	}
	defer srv.stop()
	jb := &journeyBench{bench: b, srv: srv, k6: k6}
	os.Setenv("K6_NO_USAGE_REPORT", "true") // k6 sends nothing but the load

	fmt.Printf("\n== journey, keep-alive: token → api → refresh, closed loop, concurrency %d, %s per run, %d rounds; Go server (GOMAXPROCS=1) on CPU %s at %s\n",
		c, d, cfg.Rounds, serverCPU, srv.h1)
	order := []string{"journey", "k6", "plain"}
	runs, med := b.closedLoop("journey", cfg, order, map[string]runFunc{
		"journey": func() (measurement, error) { return jb.barrageJourney(srv.h1, "shared", c, d) },
		"k6":      func() (measurement, error) { return jb.k6Journey(srv.h1, c, d) },
		"plain": func() (measurement, error) {
			return jb.served(func() (measurement, error) {
				return b.barrageClosed(srv.h1+"api", c, d, "--header", "Authorization: Bearer at-1")
			})
		},
	})
	if b.ctx.Err() != nil {
		return section{}
	}
	jp, jk := ratio(med["journey"], med["plain"]), ratio(med["journey"], med["k6"])
	fmt.Printf("  ratios of the medians: journey/plain %.2f×, journey/k6 %.2f×\n", jp, jk)
	goals := []goalResult{
		{Name: "journey: barrage journey/plain HTTP/1.1, ok requests per CPU-second", Want: "≥ 0.5", Got: jp, Pass: jp >= 0.5},
		{Name: "journey: barrage journey/k6 journey, ok requests per CPU-second", Want: "≥ 3", Got: jk, Pass: jk >= 3},
	}
	for _, g := range goals {
		fmt.Println("  " + g.String())
	}
	medians := map[string]float64{"journey.barrage_ok_per_cpu_s": med["journey"], "journey.k6_ok_per_cpu_s": med["k6"],
		"journey.plain_ok_per_cpu_s": med["plain"], "journey.over_plain": jp, "journey.over_k6": jk}

	fmt.Printf("\n== journey, new connection per iteration: barrage (3 requests per connection) vs vegeta -keepalive=false (1), without and with TLS, concurrency %d, %s per run\n", c, d)
	order = []string{"journey", "vegeta", "journey-tls", "vegeta-tls"}
	byTool := b.alternate("journey-newconn", cfg.Rounds, order, map[string]runFunc{
		"journey":     func() (measurement, error) { return jb.barrageJourney(srv.h1, "iteration", c, d) },
		"vegeta":      func() (measurement, error) { return jb.vegetaNew(srv.h1+"ping", c, d) },
		"journey-tls": func() (measurement, error) { return jb.barrageJourney(srv.tls, "iteration", c, d) },
		"vegeta-tls":  func() (measurement, error) { return jb.vegetaNew(srv.tls+"ping", c, d, "-insecure") },
	}, newConnLine)
	if b.ctx.Err() != nil {
		return section{}
	}
	fmt.Printf("  medians (CPU µs of the load tool per successful iteration or request, min–max over rounds):\n")
	per := map[string]float64{}
	for _, name := range order {
		xs := pick(byTool[name], perUnit)
		if len(xs) == 0 {
			fmt.Printf("    %-11s no successful run\n", name)
			continue
		}
		lo, hi := spread(xs)
		per[name] = median(xs)
		fmt.Printf("    %-11s %7.1f µs per %s (%.1f–%.1f) | %d of %d runs ok\n", name, per[name], unitOf(name), lo, hi,
			len(ok(byTool[name])), len(byTool[name]))
	}
	cl, ct := ratio(per["journey"], per["vegeta"]), ratio(per["journey-tls"], per["vegeta-tls"])
	fmt.Printf("  ratios of the medians: barrage CPU per iteration / vegeta CPU per request: %.2f× cleartext, %.2f× TLS (no goal)\n", cl, ct)
	medians["journey.newconn_us_per_iteration"] = per["journey"]
	medians["journey.newconn_tls_us_per_iteration"] = per["journey-tls"]
	medians["journey.vegeta_newconn_us_per_request"] = per["vegeta"]
	medians["journey.vegeta_newconn_tls_us_per_request"] = per["vegeta-tls"]
	medians["journey.newconn_iteration_over_vegeta_request"] = cl
	medians["journey.newconn_tls_iteration_over_vegeta_request"] = ct
	all := append(runs, flatten(order, byTool)...)
	return section{runs: all, goals: goals, medians: medians}
}

// unitOf names what a tool's figure is per.
func unitOf(name string) string {
	if strings.HasPrefix(name, "journey") {
		return "iteration"
	}
	return "request"
}

// perUnit is CPU microseconds per successful iteration (barrage's journey,
// Extra["iterations"]) or request.
func perUnit(m measurement) float64 {
	n := float64(m.Success)
	if it, ok := m.Extra["iterations"]; ok {
		n = it
	}
	return 1e6 * ratio(m.CPU, n)
}

func newConnLine(m measurement) string {
	unit, n := "requests", float64(m.Success)
	if it, ok := m.Extra["iterations"]; ok {
		unit, n = "iterations", it
	}
	return fmt.Sprintf("%9s ok %s (%s requests) | %5.2f s wall, %5.2f CPU-s (%3.0f%% of a core) | %7.1f CPU µs per %s | server %3.0f%% | %s",
		thousands(n), unit, thousands(float64(m.Success)), m.Wall, m.CPU, 100*ratio(m.CPU, m.Wall), perUnit(m),
		strings.TrimSuffix(unit, "s"), 100*ratio(m.ServerCPU, m.Wall), noise(m))
}

// served runs run and puts the journey server's CPU time over it in
// ServerCPU (runOn measures nginx, idle here), taking it out of Others.
func (jb *journeyBench) served(run func() (measurement, error)) (measurement, error) {
	before := jb.srv.cpuTime()
	m, err := run()
	srv := (jb.srv.cpuTime() - before).Seconds()
	if m.Wall > 0 {
		m.Others = max(0, m.Others-100*(srv-m.ServerCPU)/(m.Wall*float64(runtime.NumCPU())))
	}
	m.ServerCPU = srv
	return m, err
}

// barrageJourney runs the journey spec against base with connection mode
// mode in a closed loop of c iterations at once for d.
func (jb *journeyBench) barrageJourney(base, mode string, c int, d time.Duration) (measurement, error) {
	spec := filepath.Join(jb.tmp, "journey-"+mode+".yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, journeySpec, base, mode), 0o644); err != nil {
		return measurement{}, err
	}
	return jb.served(func() (measurement, error) {
		m, rep, err := jb.barrageRun(loadCPU, d, spec, "--rate", "0", "--max-inflight", strconv.Itoa(c), "--duration", d.String())
		if err != nil {
			return m, err
		}
		var r struct {
			Targets []struct {
				Name    string `json:"name"`
				Kind    string `json:"kind"`
				Success int64  `json:"success"`
			} `json:"targets"`
		}
		data, _ := json.Marshal(rep)
		json.Unmarshal(data, &r)
		for _, t := range r.Targets {
			if t.Kind == "iteration" {
				m.Extra["iterations"] = float64(t.Success)
			}
		}
		return m, nil
	})
}

// k6Journey runs the k6 script against base: c VUs for d, pinned to
// loadCPU.
func (jb *journeyBench) k6Journey(base string, c int, d time.Duration) (measurement, error) {
	script, summary := filepath.Join(jb.tmp, "journey.js"), filepath.Join(jb.tmp, "k6-summary.json")
	defer os.Remove(summary)
	if err := os.WriteFile(script, fmt.Appendf(nil, journeyScript, base, summary), 0o644); err != nil {
		return measurement{}, err
	}
	m, err := jb.served(func() (measurement, error) {
		_, m, err := jb.runOn(loadCPU, d+killMargin, nil, jb.k6, "run", "--quiet", "--no-usage-report",
			"--vus", strconv.Itoa(c), "--duration", d.String(), script)
		return m, err
	})
	m.Tool = "k6"
	if err != nil {
		return m, err
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		return m, fmt.Errorf("k6 wrote no summary: %w", err)
	}
	var s struct {
		Metrics map[string]struct {
			Values map[string]float64 `json:"values"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return m, fmt.Errorf("k6 summary: %w", err)
	}
	m.Requests = int64(s.Metrics["http_reqs"].Values["count"])
	m.Success = int64(math.Round(float64(m.Requests) * (1 - s.Metrics["http_req_failed"].Values["rate"])))
	dur := s.Metrics["http_req_duration"].Values
	m.Extra = map[string]float64{"latency_p50_ms": dur["med"], "latency_p99_ms": dur["p(99)"], "iterations": s.Metrics["iterations"].Values["count"]}
	return m, nil
}

// vegetaNew is vegeta with a new connection per request on url: c workers
// for d, pinned to loadCPU; extra flags after the others.
func (jb *journeyBench) vegetaNew(url string, c int, d time.Duration, extra ...string) (measurement, error) {
	return jb.served(func() (measurement, error) {
		return jb.vegetaClosed(url, c, d, append([]string{"-keepalive=false"}, extra...)...)
	})
}

// findGoTool resolves name on PATH, or in $(go env GOPATH)/bin.
func findGoTool(name string) (string, error) {
	p, err := lookTool(name)
	if err == nil || strings.Contains(name, "/") {
		return p, err
	}
	gp, gerr := exec.Command("go", "env", "GOPATH").Output()
	if gerr != nil {
		return "", err
	}
	alt := filepath.Join(strings.TrimSpace(string(gp)), "bin", name)
	if p, err = lookTool(alt); err != nil {
		return "", errors.Join(fmt.Errorf("%q is neither on PATH nor at %s", name, alt), err)
	}
	return p, nil
}
