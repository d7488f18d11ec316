package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// runFunc is one run of one tool in a scenario.
type runFunc func() (measurement, error)

// alternate runs every entry of order once per round, in turn (a, b, c, a,
// b, c, …) with a pause after each, so that a slow spell of the host falls
// on every tool alike. It prints a line per run with line and returns every
// run (failed ones carry Error) grouped by entry.
func (b *bench) alternate(scenario string, rounds int, order []string, run map[string]runFunc,
	line func(measurement) string) map[string][]measurement {
	byTool := map[string][]measurement{}
	for r := 1; r <= rounds; r++ {
		for _, name := range order {
			if b.ctx.Err() != nil {
				return byTool
			}
			m, err := run[name]()
			m.Scenario, m.Round = scenario, r
			if b.ctx.Err() != nil {
				return byTool // interrupted: no line, no summary
			}
			if err != nil {
				m.Error = err.Error()
				fmt.Printf("  r%d %-8s FAILED: %v\n", r, name, err)
			} else {
				fmt.Printf("  r%d %-8s %s\n", r, name, line(m))
			}
			byTool[name] = append(byTool[name], m)
			b.pause()
		}
	}
	return byTool
}

// closedLine is the per-run line of a closed-loop scenario.
func closedLine(m measurement) string {
	s := fmt.Sprintf("%9s ok of %9s | %5.2f s wall, %5.2f CPU-s (%3.0f%% of a core) | %8s ok/CPU-s, %8s ok/s",
		thousands(float64(m.Success)), thousands(float64(m.Requests)), m.Wall, m.CPU, 100*ratio(m.CPU, m.Wall),
		thousands(m.perCPU()), thousands(m.perWall()))
	if p50, ok := m.Extra["latency_p50_ms"]; ok {
		s += fmt.Sprintf(" | p50 %.2f ms, p99 %.2f ms", p50, m.Extra["latency_p99_ms"])
	}
	if n := m.Extra["socket_errors"]; n > 0 {
		s += fmt.Sprintf(" | %.0f socket errors", n)
	}
	return s + fmt.Sprintf(" | nginx %3.0f%% | RSS %5.1f MB | %s",
		100*ratio(m.ServerCPU, m.Wall), float64(m.MaxRSS)/1e6, noise(m))
}

// noise is how busy the host was with other work over a run: CPU time of
// other processes and hypervisor steal, each in percent of all CPUs.
func noise(m measurement) string {
	return fmt.Sprintf("others %2.0f%%, steal %2.0f%%", m.Others, m.Steal)
}

// ok is the runs that did not fail.
func ok(ms []measurement) []measurement {
	var out []measurement
	for _, m := range ms {
		if m.Error == "" {
			out = append(out, m)
		}
	}
	return out
}

// pick is f of every run that did not fail.
func pick(ms []measurement, f func(measurement) float64) []float64 {
	var xs []float64
	for _, m := range ok(ms) {
		xs = append(xs, f(m))
	}
	return xs
}

func flatten(order []string, byTool map[string][]measurement) []measurement {
	var all []measurement
	for _, name := range order {
		all = append(all, byTool[name]...)
	}
	return all
}

// closedLoop runs the tools of order against url in closed loops and prints
// their medians; it returns the runs and the median ok/CPU-s per tool.
func (b *bench) closedLoop(scenario string, cfg config, order []string, run map[string]runFunc) ([]measurement, map[string]float64) {
	byTool := b.alternate(scenario, cfg.Rounds, order, run, closedLine)
	if b.ctx.Err() != nil {
		return nil, nil
	}
	fmt.Printf("  medians (ok requests per CPU-second of the load tool, min–max over rounds):\n")
	med := map[string]float64{}
	for _, name := range order {
		ms := byTool[name]
		xs := pick(ms, measurement.perCPU)
		if len(xs) == 0 {
			fmt.Printf("    %-8s no successful run (0 of %d)\n", name, len(ms))
			continue
		}
		lo, hi := spread(xs)
		med[name] = median(xs)
		fmt.Printf("    %-8s %9s ok/CPU-s (%s–%s) | %9s ok/s | %3.0f%% of a core | nginx %3.0f%% | %d of %d runs ok\n",
			name, thousands(med[name]), thousands(lo), thousands(hi),
			thousands(median(pick(ms, measurement.perWall))),
			100*median(pick(ms, func(m measurement) float64 { return ratio(m.CPU, m.Wall) })),
			100*median(pick(ms, func(m measurement) float64 { return ratio(m.ServerCPU, m.Wall) })),
			len(ok(ms)), len(ms))
	}
	return flatten(order, byTool), med
}

// capacity: keep-alive closed loop at concurrency c; successful requests per
// CPU-second of the load tool.
func capacity(b *bench, cfg config) section {
	c, d := cfg.Concurrency, cfg.Duration
	fmt.Printf("\n== capacity: keep-alive closed loop, concurrency %d, %s per run, %d rounds, 1 s between runs\n", c, d, cfg.Rounds)
	order := []string{"barrage", "vegeta", "wrk"}
	runs, med := b.closedLoop("capacity", cfg, order, map[string]runFunc{
		"barrage": func() (measurement, error) { return b.barrageClosed(b.nginx.h1, c, d) },
		"vegeta":  func() (measurement, error) { return b.vegetaClosed(b.nginx.h1, c, d) },
		"wrk":     func() (measurement, error) { return b.wrkClosed(b.nginx.h1, c, d) },
	})
	if b.ctx.Err() != nil {
		return section{}
	}
	bv, bw := ratio(med["barrage"], med["vegeta"]), ratio(med["barrage"], med["wrk"])
	fmt.Printf("  ratios of the medians: barrage/vegeta %.2f×, barrage/wrk %.2f×\n", bv, bw)
	goals := []goalResult{
		{Name: "capacity: barrage/vegeta, ok requests per CPU-second", Want: "≥ 2", Got: bv, Pass: bv >= 2},
		{Name: "capacity: barrage/wrk, ok requests per CPU-second", Want: "≥ 0.6", Got: bw, Pass: bw >= 0.6},
	}
	for i, tool := range []string{"vegeta", "wrk"} {
		if med["barrage"] == 0 || med[tool] == 0 {
			goals[i].Pass, goals[i].Notes = false, "no successful run of barrage or "+tool
		}
		fmt.Println("  " + goals[i].String())
	}
	return section{runs: runs, goals: goals, medians: map[string]float64{
		"capacity.barrage_ok_per_cpu_s": med["barrage"], "capacity.vegeta_ok_per_cpu_s": med["vegeta"],
		"capacity.wrk_ok_per_cpu_s": med["wrk"], "capacity.barrage_over_vegeta": bv, "capacity.barrage_over_wrk": bw}}
}

// rateScenario: barrage's open model at a fixed rate; achieved against
// planned, and arrivals dropped.
func rateScenario(b *bench, cfg config) section {
	rate, d := cfg.Rate, cfg.RateDuration
	where := "pinned to CPU " + cfg.RateCPUs
	if cfg.RateCPUs == "" {
		where = "unpinned (both CPUs, shared with nginx)"
	}
	fmt.Printf("\n== rate: barrage open model at %s/s for %s, %s, %d rounds, 1 s between runs\n", thousands(rate), d, where, cfg.Rounds)
	within := func(m measurement) bool {
		r := m.Extra["achieved_rate"] / rate
		return m.Error == "" && r >= 0.99 && r <= 1.01 && m.Extra["dropped"] == 0
	}
	run := func() (measurement, error) {
		m, rep, err := b.barrageRun(cfg.RateCPUs, d, "--target", b.nginx.h1,
			"--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", d.String())
		if err != nil {
			return m, err
		}
		for k, path := range map[string]string{"achieved_rate": "achieved_rate", "dropped": "dropped",
			"lag_p99_ms": "lag_ms.p99", "max_cpu_pct": "health.max_cpu_pct", "max_steal_pct": "health.max_steal_pct"} {
			m.Extra[k] = num(rep, path)
		}
		return m, nil
	}
	byRound := b.alternate("rate", cfg.Rounds, []string{"barrage"}, map[string]runFunc{"barrage": run}, func(m measurement) string {
		verdict := "MISS"
		if within(m) {
			verdict = "PASS"
		}
		x := m.Extra
		return fmt.Sprintf("achieved %s/s (%.4f of planned) | %s requests, %s ok, %s dropped | lag p99 %.3f ms | latency p99 %.2f ms | max CPU %.0f%% | %.2f CPU-s | %s | %s",
			thousands(x["achieved_rate"]), x["achieved_rate"]/rate, thousands(float64(m.Requests)), thousands(float64(m.Success)),
			thousands(x["dropped"]), x["lag_p99_ms"], x["latency_p99_ms"], x["max_cpu_pct"], m.CPU, noise(m), verdict)
	})
	if b.ctx.Err() != nil {
		return section{}
	}
	runs := byRound["barrage"]
	mr := median(pick(runs, func(m measurement) float64 { return m.Extra["achieved_rate"] / rate }))
	md := median(pick(runs, func(m measurement) float64 { return m.Extra["dropped"] }))
	lag := median(pick(runs, func(m measurement) float64 { return m.Extra["lag_p99_ms"] }))
	good := 0
	for _, m := range runs {
		if within(m) {
			good++
		}
	}
	fmt.Printf("  medians: achieved/planned %.4f, dropped %s, lag p99 %.3f ms; %d of %d rounds within 1%% with nothing dropped\n",
		mr, thousands(md), lag, good, len(runs))
	g := goalResult{Name: fmt.Sprintf("rate: median achieved/planned at %s/s, with 0 dropped", thousands(rate)),
		Want: "0.99–1.01, 0 dropped", Got: mr, Pass: mr >= 0.99 && mr <= 1.01 && md == 0 && len(ok(runs)) > 0,
		Notes: fmt.Sprintf("median dropped %s; %d of %d rounds met it", thousands(md), good, len(runs))}
	fmt.Println("  " + g.String())
	return section{runs: runs, goals: []goalResult{g}, medians: map[string]float64{
		"rate.achieved_over_planned": mr, "rate.dropped": md, "rate.lag_p99_ms": lag}}
}

// rssScenario: peak RSS at 5,000/s for 16 s against the same for 4 s; a
// generator that keeps per-request state grows with the run's length.
func rssScenario(b *bench, cfg config) section {
	const rate = "5000"
	fmt.Printf("\n== rss: barrage at 5,000/s for 4 s and for 16 s, pinned to CPU %s, peak RSS, %d rounds\n", loadCPU, cfg.Rounds)
	runFor := func(d time.Duration) runFunc {
		return func() (measurement, error) {
			m, rep, err := b.barrageRun(loadCPU, d, "--target", b.nginx.h1, "--rate", rate, "--duration", d.String())
			if err == nil {
				m.Extra["dropped"] = num(rep, "dropped")
				m.Extra["health_peak_rss_bytes"] = num(rep, "health.peak_rss_bytes")
			}
			return m, err
		}
	}
	order := []string{"4s", "16s"}
	byLen := b.alternate("rss", cfg.Rounds, order, map[string]runFunc{"4s": runFor(4 * time.Second), "16s": runFor(16 * time.Second)},
		func(m measurement) string {
			return fmt.Sprintf("peak RSS %5.1f MB (rusage; barrage's own health says %5.1f MB) | %s requests, %s dropped | %.2f CPU-s | %s",
				float64(m.MaxRSS)/1e6, m.Extra["health_peak_rss_bytes"]/1e6, thousands(float64(m.Requests)),
				thousands(m.Extra["dropped"]), m.CPU, noise(m))
		})
	if b.ctx.Err() != nil {
		return section{}
	}
	for i := range byLen["16s"] {
		byLen["16s"][i].Tool = "barrage-16s"
	}
	for i := range byLen["4s"] {
		byLen["4s"][i].Tool = "barrage-4s"
	}
	rss := func(m measurement) float64 { return float64(m.MaxRSS) }
	a, z := median(pick(byLen["4s"], rss)), median(pick(byLen["16s"], rss))
	r := ratio(z, a)
	fmt.Printf("  medians: peak RSS %.1f MB (4 s), %.1f MB (16 s); 16 s / 4 s = %.3f\n", a/1e6, z/1e6, r)
	g := goalResult{Name: "rss: median peak RSS, 16 s run / 4 s run", Want: "≤ 1.10", Got: r, Pass: r > 0 && r <= 1.10}
	fmt.Println("  " + g.String())
	return section{runs: flatten(order, byLen), goals: []goalResult{g}, medians: map[string]float64{
		"rss.4s_bytes": a, "rss.16s_bytes": z, "rss.16s_over_4s": r}}
}

// thousands formats x rounded to a whole number with commas: 1,234,567.
func thousands(x float64) string {
	s := strconv.FormatFloat(x, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
