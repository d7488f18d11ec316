// Command compare benchmarks barrage against vegeta and wrk on one machine
// and prints medians and ratios (see bench/README.md). All traffic goes to
// an nginx it starts on 127.0.0.1; every run is bounded in time.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	scenarios := flag.String("scenarios", "capacity,rate,rss", "comma-separated: capacity, rate, rss, h2c")
	rounds := flag.Int("rounds", 3, "rounds per scenario (at least 3); tools alternate within a round")
	dur := flag.Duration("duration", 5*time.Second, "length of each capacity run")
	conc := flag.Int("c", 50, "concurrency of capacity runs (connections / in-flight requests)")
	rate := flag.Float64("rate", 20000, "rate scenario: arrivals per second")
	rateDur := flag.Duration("rate-duration", 5*time.Second, "rate scenario: duration")
	rateCPUs := flag.String("rate-cpus", "", "rate scenario: taskset CPU list for barrage (default: unpinned, both CPUs)")
	var t tools
	flag.StringVar(&t.barrage, "barrage", "bench/out/barrage", "barrage binary")
	flag.StringVar(&t.vegeta, "vegeta", "vegeta", "vegeta binary")
	flag.StringVar(&t.wrk, "wrk", "wrk", "wrk binary")
	jsonOut := flag.String("json", "bench/out/results.json", "where to write every run and the medians")
	flag.Parse()
	if *rounds < 3 {
		*rounds = 3
	}
	var err error
	if t.tmp, err = os.MkdirTemp("", "barrage-bench"); err != nil {
		fail(err)
	}
	defer os.RemoveAll(t.tmp)
	srv, err := startNginx()
	if err != nil {
		fail(err)
	}
	defer srv.stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; srv.stop(); os.Exit(130) }()

	fmt.Printf("nginx (1 worker) pinned to CPU 0 at %s; each load tool pinned to CPU 1 (taskset)\n", srv.h1)
	out := results{Started: time.Now().UTC()}
	for _, sc := range strings.Split(*scenarios, ",") {
		switch strings.TrimSpace(sc) {
		case "capacity":
			out.add(capacity(&t, srv.h1, *rounds, *conc, *dur))
		case "h2c":
			out.add(h2c(&t, srv.h2c, *rounds, *conc, *dur))
		case "rate":
			out.add(rateScenario(&t, srv.h1, *rounds, *rate, *rateDur, *rateCPUs))
		case "rss":
			out.add(rssScenario(&t, srv.h1, *rounds))
		default:
			fail(fmt.Errorf("unknown scenario %q", sc))
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err == nil {
			fmt.Println("\nevery run and median:", *jsonOut)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

// results is the machine-readable summary.
type results struct {
	Started time.Time          `json:"started"`
	Runs    []measurement      `json:"runs"`
	Medians map[string]float64 `json:"medians"`
	Goals   []string           `json:"goals"`
}

func (r *results) add(runs []measurement, medians map[string]float64, goals []string) {
	r.Runs = append(r.Runs, runs...)
	if r.Medians == nil {
		r.Medians = map[string]float64{}
	}
	for k, v := range medians {
		r.Medians[k] = v
	}
	r.Goals = append(r.Goals, goals...)
}

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

func goal(ok bool, format string, args ...any) string {
	verdict := "MISS"
	if ok {
		verdict = "PASS"
	}
	line := verdict + "  " + fmt.Sprintf(format, args...)
	fmt.Println("  " + line)
	return line
}

func pause() { time.Sleep(time.Second) }
