// Command compare benchmarks barrage against vegeta and wrk on one machine
// and prints medians and ratios (see bench/README.md). All traffic goes to
// an nginx it starts on 127.0.0.1; every run is bounded in time and stops by
// itself, and nginx is stopped at exit, on Ctrl-C too.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

// minRounds is the fewest rounds a median is taken over.
const minRounds = 3

// config is what the flags ask for.
type config struct {
	Scenarios    []string      `json:"scenarios"`
	Rounds       int           `json:"rounds"`
	Duration     time.Duration `json:"duration"`
	Concurrency  int           `json:"concurrency"`
	Rate         float64       `json:"rate"`
	RateDuration time.Duration `json:"rate_duration"`
	RateCPUs     string        `json:"rate_cpus"`
	JSONOut      string        `json:"-"`
}

// MarshalJSON writes the durations as Go durations ("5s"), as the flags
// take them.
func (c config) MarshalJSON() ([]byte, error) {
	type plain config
	return json.Marshal(struct {
		plain
		Duration     string `json:"duration"`
		RateDuration string `json:"rate_duration"`
	}{plain(c), c.Duration.String(), c.RateDuration.String()})
}

func main() {
	var cfg config
	var b bench
	scenarios := flag.String("scenarios", "capacity,rate,rss", "comma-separated scenarios: capacity, rate, rss, h2c, h2 (h2c and h2: barrage vs h2load), journey, workers, longrun")
	flag.IntVar(&cfg.Rounds, "rounds", 3, "rounds per scenario (at least 3); tools alternate within a round")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "length of each capacity, h2c and h2 run")
	flag.IntVar(&cfg.Concurrency, "c", 50, "capacity: concurrency (connections or in-flight requests); h2c and h2 take -h2-conns and -h2-streams")
	flag.Float64Var(&cfg.Rate, "rate", 20000, "rate scenario: planned arrivals per second")
	flag.DurationVar(&cfg.RateDuration, "rate-duration", 5*time.Second, "rate scenario: length of each run")
	flag.StringVar(&cfg.RateCPUs, "rate-cpus", "any", `rate scenario: taskset CPU list for barrage ("any": unpinned, the whole 2-core machine as the goal says)`)
	flag.StringVar(&b.barrage, "barrage", "bench/out/barrage", "barrage binary")
	flag.StringVar(&b.vegeta, "vegeta", "vegeta", "vegeta binary (looked up on PATH, then in $(go env GOPATH)/bin)")
	flag.StringVar(&b.wrk, "wrk", "wrk", "wrk binary")
	flag.StringVar(&b.h2load, "h2load", "h2load", "h2load binary (nghttp2-client)")
	flag.StringVar(&cfg.JSONOut, "json", "bench/out/results.json", "where to write every run and the medians (\"\": nowhere)")
	flag.Parse()
	for _, s := range strings.Split(*scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scenarios = append(cfg.Scenarios, s)
		}
	}
	if cfg.Rounds < minRounds {
		fmt.Printf("note: -rounds %d raised to %d (a median needs at least %d)\n", cfg.Rounds, minRounds, minRounds)
		cfg.Rounds = minRounds
	}
	if cfg.RateCPUs == "any" {
		cfg.RateCPUs = ""
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	b.ctx = ctx
	err := run(&b, cfg)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "compare: interrupted; nginx stopped")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// run checks the tools, starts nginx, runs the scenarios and writes the
// summary; nginx and the temporary folder are gone when it returns.
func run(b *bench, cfg config) error {
	need := map[string]bool{"barrage": true}
	for _, sc := range cfg.Scenarios {
		switch sc {
		case "capacity":
			need["vegeta"], need["wrk"] = true, true
		case "h2c", "h2":
			need["h2load"] = true
		case "journey":
			need["vegeta"] = true
		case "rate", "rss", "workers", "longrun":
		default:
			return fmt.Errorf("unknown scenario %q (want capacity, rate, rss, h2c, h2, journey, workers or longrun)", sc)
		}
	}
	if err := b.resolveTools(need); err != nil {
		return err
	}
	var err error
	if b.tmp, err = os.MkdirTemp("", "barrage-bench"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	if b.nginx, err = startNginx(b.ctx, filepath.Join(b.tmp, "nginx")); err != nil {
		return err
	}
	defer b.nginx.stop()

	out := results{Started: time.Now().UTC(), Config: cfg, Host: hostInfo{CPUs: runtime.NumCPU(),
		Nginx: b.nginx.version, Tools: map[string]string{"barrage": b.barrage, "vegeta": b.vegeta, "wrk": b.wrk, "h2load": b.h2load}}}
	fmt.Printf("barrage bench on %d CPUs: %s (1 worker) pinned to CPU %s at %s, h2c at %s, h2 (TLS) at %s; load tools pinned to CPU %s\n",
		out.Host.CPUs, b.nginx.version, serverCPU, b.nginx.h1, b.nginx.h2c, b.nginx.h2, loadCPU)
	fmt.Printf("tools: barrage %s, vegeta %s, wrk %s, h2load %s\n", b.barrage, b.vegeta, b.wrk, b.h2load)
	for _, sc := range cfg.Scenarios {
		var s section
		switch sc {
		case "capacity":
			s = capacity(b, cfg)
		case "h2c":
			s = h2Scenario(b, cfg, "h2c", b.nginx.h2c)
		case "h2":
			s = h2Scenario(b, cfg, "h2", b.nginx.h2)
		case "rate":
			s = rateScenario(b, cfg)
		case "rss":
			s = rssScenario(b, cfg)
		case "journey":
			s = journeyScenario(b, cfg)
		case "workers":
			s = workersScenario(b, cfg)
		case "longrun":
			s = longrunScenario(b)
		}
		out.add(s)
		if err := b.ctx.Err(); err != nil {
			return err
		}
	}
	out.Finished = time.Now().UTC()
	fmt.Println("\n== goals")
	if len(out.Goals) == 0 {
		fmt.Println("  (none for these scenarios)")
	}
	for _, g := range out.Goals {
		fmt.Println("  " + g.String())
	}
	if cfg.JSONOut != "" {
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.JSONOut, data, 0o644); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
		fmt.Println("\nevery run and median:", cfg.JSONOut)
	}
	failed := 0
	for _, m := range out.Runs {
		if m.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d runs failed (see FAILED above)", failed, len(out.Runs))
	}
	return nil
}

// results is the machine-readable summary written to -json.
type results struct {
	Started  time.Time          `json:"started"`
	Finished time.Time          `json:"finished"`
	Host     hostInfo           `json:"host"`
	Config   config             `json:"config"`
	Runs     []measurement      `json:"runs"`
	Medians  map[string]float64 `json:"medians"`
	Goals    []goalResult       `json:"goals"`
}

// hostInfo says where the figures come from.
type hostInfo struct {
	CPUs  int               `json:"cpus"`
	Nginx string            `json:"nginx"`
	Tools map[string]string `json:"tools"`
}

// section is what one scenario adds to the summary.
type section struct {
	runs    []measurement
	medians map[string]float64
	goals   []goalResult
}

func (r *results) add(s section) {
	r.Runs = append(r.Runs, s.runs...)
	if r.Medians == nil {
		r.Medians = map[string]float64{}
	}
	for k, v := range s.medians {
		r.Medians[k] = v
	}
	r.Goals = append(r.Goals, s.goals...)
}

// goalResult is one performance goal and whether the medians meet it.
type goalResult struct {
	Name  string  `json:"name"`
	Want  string  `json:"want"`
	Got   float64 `json:"got"`
	Pass  bool    `json:"pass"`
	Notes string  `json:"notes,omitempty"`
}

func (g goalResult) String() string {
	v := "MISS"
	if g.Pass {
		v = "PASS"
	}
	s := fmt.Sprintf("%s  %s: want %s, got %.3f", v, g.Name, g.Want, g.Got)
	if g.Notes != "" {
		s += " (" + g.Notes + ")"
	}
	return s
}

// median is the middle value (the mean of the two middle ones for an even
// count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is the smallest and largest value.
func spread(xs []float64) (lo, hi float64) {
	for i, x := range xs {
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}

// ratio is a/b, or 0 when b is 0 (a tool with no successful run).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// pause lets sockets in TIME_WAIT and the CPUs settle between runs.
func (b *bench) pause() error {
	select {
	case <-time.After(time.Second):
		return nil
	case <-b.ctx.Done():
		return errors.New("interrupted")
	}
}
