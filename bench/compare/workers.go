package main

import (
	"fmt"
	"time"
)

// The workers scenario's load: the same total rate however it is split.
const (
	workersRate     = "2000"
	workersDuration = 4 * time.Second
)

// workersConfig is one way of splitting the load: shards in this process
// (goroutines) or one `barrage worker` process per shard.
type workersConfig struct {
	name  string
	args  []string
	procs bool
}

var workersConfigs = []workersConfig{
	{"w1", []string{"--workers", "1"}, false},
	{"w8", []string{"--workers", "8"}, false},
	{"w16", []string{"--workers", "16"}, false},
	{"w8-procs", []string{"--workers", "8", "--procs"}, true},
	{"w16-procs", []string{"--workers", "16", "--procs"}, true},
}

// workersScenario: barrage's open model at 2,000/s for 4 s, as one shard and
// as 8 and 16 shards, in-process and as processes, alternating. More
// shards do less work each, and must measure as well as one: nothing
// dropped, scheduling lag p99.9 within 1.5× of one shard's (issue 15).
func workersScenario(b *bench, cfg config) section {
	fmt.Printf("\n== workers: barrage open model at %s/s for %s, 1, 8 and 16 shards (goroutines, then --procs), unpinned, %d rounds\n",
		workersRate, workersDuration, cfg.Rounds)
	run := func(c workersConfig) runFunc {
		return func() (measurement, error) {
			args := append([]string{"--target", b.nginx.h1, "--rate", workersRate, "--duration", workersDuration.String()}, c.args...)
			m, rep, err := b.barrageRun("", workersDuration, args...)
			if err != nil {
				return m, err
			}
			for k, path := range map[string]string{"dropped": "dropped", "dropped_late": "dropped_late",
				"lag_p99_ms": "lag_ms.p99", "lag_p999_ms": "lag_ms.p999", "lag_max_ms": "lag_ms.max",
				"max_cpu_pct": "health.max_cpu_pct", "max_steal_pct": "health.max_steal_pct"} {
				m.Extra[k] = num(rep, path)
			}
			return m, nil
		}
	}
	var order []string
	funcs := map[string]runFunc{}
	for _, c := range workersConfigs {
		order = append(order, c.name)
		funcs[c.name] = run(c)
	}
	byConfig := b.alternate("workers", cfg.Rounds, order, funcs, func(m measurement) string {
		x := m.Extra
		return fmt.Sprintf("%6s sent, %4s dropped (%4s late) | lag p99 %6.3f ms, p99.9 %6.3f ms, max %6.3f ms | latency p99 %.2f ms | %s",
			thousands(float64(m.Requests)), thousands(x["dropped"]), thousands(x["dropped_late"]), x["lag_p99_ms"],
			x["lag_p999_ms"], x["lag_max_ms"], x["latency_p99_ms"], noise(m))
	})
	if b.ctx.Err() != nil {
		return section{}
	}
	for name, ms := range byConfig {
		for i := range ms {
			ms[i].Tool = "barrage-" + name
		}
	}
	med := func(name, k string) float64 {
		return median(pick(ok(byConfig[name]), func(m measurement) float64 { return m.Extra[k] }))
	}
	base := med("w1", "lag_p999_ms")
	medians := map[string]float64{}
	var goals []goalResult
	fmt.Println("  medians:")
	for _, c := range workersConfigs {
		dropped, p999 := med(c.name, "dropped"), med(c.name, "lag_p999_ms")
		r := ratio(p999, base)
		fmt.Printf("    %-9s dropped %4s | lag p99 %6.3f ms, p99.9 %6.3f ms (%.2f× one shard's), max %6.3f ms\n", c.name,
			thousands(dropped), med(c.name, "lag_p99_ms"), p999, r, med(c.name, "lag_max_ms"))
		medians["workers."+c.name+".dropped"] = dropped
		medians["workers."+c.name+".lag_p999_ms"] = p999
		if c.name == "w1" {
			continue
		}
		medians["workers."+c.name+".lag_p999_over_w1"] = r
		goals = append(goals, goalResult{Name: fmt.Sprintf("workers: %s at %s/s, median dropped and lag p99.9 / w1's", c.name, workersRate),
			Want: "0 dropped, ≤ 1.5×", Got: r, Pass: len(ok(byConfig[c.name])) > 0 && dropped == 0 && r > 0 && r <= 1.5,
			Notes: fmt.Sprintf("median dropped %s; lag p99.9 %.3f ms vs %.3f ms", thousands(dropped), p999, base)})
	}
	for _, g := range goals {
		fmt.Println("  " + g.String())
	}
	return section{runs: flatten(order, byConfig), goals: goals, medians: medians}
}
