package main

import (
	"fmt"
	"strconv"
	"time"
)

type closedRunner func(url string, c int, d time.Duration) (measurement, error)

// alternate runs each tool once per round, in turn, and collects the runs.
func alternate(scenario string, rounds int, order []string, run map[string]func() (measurement, error)) map[string][]measurement {
	byTool := map[string][]measurement{}
	for r := 1; r <= rounds; r++ {
		for _, tool := range order {
			m, err := run[tool]()
			m.Scenario, m.Round = scenario, r
			if err != nil {
				fmt.Printf("  round %d %-8s FAILED: %v\n", r, tool, err)
				pause()
				continue
			}
			fmt.Printf("  round %d %-8s %9d ok of %9d in %5.2f s wall, %5.2f CPU-s: %8.0f ok/CPU-s, max RSS %5.1f MB, host steal %2.0f%%\n",
				r, tool, m.Success, m.Requests, m.Wall, m.CPU, m.perCPU(), float64(m.MaxRSS)/1e6, m.Steal)
			byTool[tool] = append(byTool[tool], m)
			pause()
		}
	}
	return byTool
}

func flatten(byTool map[string][]measurement) []measurement {
	var all []measurement
	for _, ms := range byTool {
		all = append(all, ms...)
	}
	return all
}

func perCPUMedian(ms []measurement) float64 {
	var xs []float64
	for _, m := range ms {
		xs = append(xs, m.perCPU())
	}
	return median(xs)
}

// capacity: keep-alive closed loop at concurrency c; successful requests per
// CPU-second of the load tool.
func capacity(t *tools, url string, rounds, c int, d time.Duration) ([]measurement, map[string]float64, []string) {
	fmt.Printf("\n== capacity: keep-alive, closed loop, %d connections, %s per run, %d rounds\n", c, d, rounds)
	byTool := alternate("capacity", rounds, []string{"barrage", "vegeta", "wrk"}, map[string]func() (measurement, error){
		"barrage": func() (measurement, error) { return t.barrageClosed(url, c, d) },
		"vegeta":  func() (measurement, error) { return t.vegetaClosed(url, c, d) },
		"wrk":     func() (measurement, error) { return t.wrkClosed(url, c, d) },
	})
	b, v, w := perCPUMedian(byTool["barrage"]), perCPUMedian(byTool["vegeta"]), perCPUMedian(byTool["wrk"])
	fmt.Printf("  medians (ok requests per CPU-second): barrage %.0f, vegeta %.0f, wrk %.0f\n", b, v, w)
	fmt.Printf("  ratios: barrage/vegeta %.2f, barrage/wrk %.2f\n", b/v, b/w)
	goals := []string{
		goal(b >= 2*v, "capacity: barrage ≥ 2× vegeta per CPU-second (%.2f×)", b/v),
		goal(b >= 0.6*w, "capacity: barrage ≥ 0.6× wrk per CPU-second (%.2f×)", b/w),
	}
	return flatten(byTool), map[string]float64{"capacity.barrage": b, "capacity.vegeta": v, "capacity.wrk": w,
		"capacity.barrage_over_vegeta": b / v, "capacity.barrage_over_wrk": b / w}, goals
}

// h2c: the same over HTTP/2 cleartext, barrage vs vegeta; figures only.
func h2c(t *tools, url string, rounds, c int, d time.Duration) ([]measurement, map[string]float64, []string) {
	fmt.Printf("\n== h2c: HTTP/2 cleartext, closed loop, %d streams, %s per run, %d rounds\n", c, d, rounds)
	byTool := alternate("h2c", rounds, []string{"barrage", "vegeta"}, map[string]func() (measurement, error){
		"barrage": func() (measurement, error) { return t.barrageClosed(url, c, d, "--h2c") },
		"vegeta":  func() (measurement, error) { return t.vegetaClosed(url, c, d, "-h2c") },
	})
	b, v := perCPUMedian(byTool["barrage"]), perCPUMedian(byTool["vegeta"])
	fmt.Printf("  medians (ok requests per CPU-second): barrage %.0f, vegeta %.0f; ratio %.2f\n", b, v, b/v)
	return flatten(byTool), map[string]float64{"h2c.barrage": b, "h2c.vegeta": v}, nil
}

// rateScenario: barrage's open model at a fixed rate; achieved vs planned.
func rateScenario(t *tools, url string, rounds int, rate float64, d time.Duration, cpus string) ([]measurement, map[string]float64, []string) {
	where := "on both CPUs (shared with nginx)"
	if cpus != "" {
		where = "pinned to CPUs " + cpus
	}
	fmt.Printf("\n== rate: barrage at %.0f/s for %s (open model), %s, %d rounds\n", rate, d, where, rounds)
	var runs []measurement
	var ratio, drops []float64
	for r := 1; r <= rounds; r++ {
		m, rep, err := t.barrageOn(cpus, d, "--target", url, "--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", d.String())
		m.Scenario, m.Round = "rate", r
		if err != nil {
			fmt.Printf("  round %d FAILED: %v\n", r, err)
			continue
		}
		m.Extra = map[string]float64{"achieved_rate": num(rep, "achieved_rate"), "dropped": num(rep, "dropped"),
			"dropped_late": num(rep, "dropped_late"), "lag_p99_ms": num(rep, "lag_ms.p99"),
			"max_cpu_pct": num(rep, "health.max_cpu_pct"), "latency_p99_ms": num(rep, "latency_ms.p99")}
		fmt.Printf("  round %d achieved %.1f/s (%.4f of planned), %d requests, %.0f dropped (%.0f late), lag p99 %.3f ms, latency p99 %.3f ms, CPU max %.0f%%, %.2f CPU-s, host steal %.0f%%\n",
			r, m.Extra["achieved_rate"], m.Extra["achieved_rate"]/rate, m.Requests, m.Extra["dropped"], m.Extra["dropped_late"],
			m.Extra["lag_p99_ms"], m.Extra["latency_p99_ms"], m.Extra["max_cpu_pct"], m.CPU, m.Steal)
		runs = append(runs, m)
		ratio = append(ratio, m.Extra["achieved_rate"]/rate)
		drops = append(drops, m.Extra["dropped"])
		pause()
	}
	mr, md := median(ratio), median(drops)
	fmt.Printf("  medians: achieved/planned %.4f, dropped %.0f\n", mr, md)
	goals := []string{goal(mr >= 0.99 && mr <= 1.01 && md == 0,
		"rate: %.0f/s achieved within 1%% with nothing dropped (median achieved/planned %.4f, median dropped %.0f)", rate, mr, md)}
	return runs, map[string]float64{"rate.achieved_ratio": mr, "rate.dropped": md}, goals
}

// rssScenario: peak RSS at 5,000/s for 16 s against the same for 4 s.
func rssScenario(t *tools, url string, rounds int) ([]measurement, map[string]float64, []string) {
	fmt.Printf("\n== rss: barrage at 5000/s for 4 s and for 16 s, peak RSS, %d rounds\n", rounds)
	byLen := alternate("rss", rounds, []string{"4s", "16s"}, map[string]func() (measurement, error){
		"4s": func() (measurement, error) {
			m, _, err := t.barrageRun(4*time.Second, "--target", url, "--rate", "5000", "--duration", "4s")
			return m, err
		},
		"16s": func() (measurement, error) {
			m, _, err := t.barrageRun(16*time.Second, "--target", url, "--rate", "5000", "--duration", "16s")
			return m, err
		},
	})
	rss := func(ms []measurement) float64 {
		var xs []float64
		for _, m := range ms {
			xs = append(xs, float64(m.MaxRSS))
		}
		return median(xs)
	}
	a, b := rss(byLen["4s"]), rss(byLen["16s"])
	fmt.Printf("  medians: peak RSS %.1f MB (4 s), %.1f MB (16 s); ratio %.3f\n", a/1e6, b/1e6, b/a)
	goals := []string{goal(b <= 1.10*a, "rss: peak RSS for 16 s within 10%% of 4 s (%.3f)", b/a)}
	return flatten(byLen), map[string]float64{"rss.4s_bytes": a, "rss.16s_bytes": b, "rss.ratio": b / a}, goals
}
