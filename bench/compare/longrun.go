package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The longrun scenario's own flags (bench/README.md): it is slow (a
// 10-minute run per target count by default), so it runs only when asked.
var (
	longShort       = flag.Duration("long-short", time.Minute, "longrun: length of the short runs")
	longLong        = flag.Duration("long-long", 10*time.Minute, "longrun: length of the long runs")
	longShortRounds = flag.Int("long-short-rounds", 3, "longrun: short runs per target count")
	longLongRounds  = flag.Int("long-long-rounds", 1, "longrun: long runs per target count")
	longRate        = flag.Float64("long-rate", 5000, "longrun: planned arrivals per second")
	longTargets     = flag.String("long-targets", "1,3", "longrun: comma-separated target counts (2 to 16 keep a per-target series)")
	longProcs       = flag.Bool("long-procs", true, "longrun: run the shard in its own barrage worker process (--procs) and take the goal on its peak RSS; false: in the command's process, reducer and report included")
)

// longrunScenario: peak RSS of barrage at a fixed rate for a short and a
// long run, with the full per-second series kept, and how many bytes that
// series takes per second of run; once per target count.
func longrunScenario(b *bench) section {
	var all results
	for _, f := range strings.Split(*longTargets, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Printf("\n== longrun: bad target count %q, skipped\n", f)
			continue
		}
		all.add(b.longrunTargets(n))
		if b.ctx.Err() != nil {
			break
		}
	}
	return section{runs: all.Runs, medians: all.Medians, goals: all.Goals}
}

// longrunTargets is the longrun scenario for n targets (paths /t0 … of the
// one nginx): short and long runs interleaved (short, long, short, short
// with the defaults), every run pinned to loadCPU.
func (b *bench) longrunTargets(n int) section {
	short, long, rate := *longShort, *longLong, *longRate
	fmt.Printf("\n== longrun: barrage at %s/s, %d target(s), %s (×%d) and %s (×%d), pinned to CPU %s, peak RSS and per-second series size\n",
		thousands(rate), n, short, *longShortRounds, long, *longLongRounds, loadCPU)
	var args []string
	for i := range n {
		u := b.nginx.h1
		if n > 1 {
			u += "t" + strconv.Itoa(i)
		}
		args = append(args, "--target", u)
	}
	args = append(args, "--rate", strconv.FormatFloat(rate, 'f', -1, 64))
	if *longProcs {
		args = append(args, "--procs")
	}
	runFor := func(d time.Duration) runFunc {
		return func() (measurement, error) {
			runs := filepath.Join(b.tmp, "longrun")
			defer os.RemoveAll(runs)
			stop := make(chan struct{})
			peak := workerPeak(runs, stop)
			m, rep, err := b.barrageRunIn(runs, loadCPU, d, append(args, "--duration", d.String())...)
			close(stop)
			wp := <-peak
			if err != nil {
				return m, err
			}
			m.Extra["worker_peak_rss_bytes"] = float64(wp)
			m.Extra["dropped"] = num(rep, "dropped")
			m.Extra["health_peak_rss_bytes"] = num(rep, "health.peak_rss_bytes")
			m.Extra["max_open_conns"] = num(rep, "health.max_open_conns")
			sz, err := seriesSizes(runs)
			if err != nil {
				return m, err
			}
			for k, v := range sz {
				m.Extra[k] = v
			}
			return m, nil
		}
	}
	// Each round runs a short run, then a long one while long rounds are
	// left: the long runs fall between short ones.
	byLen := map[string][]measurement{}
	for r := 1; r <= max(*longShortRounds, *longLongRounds); r++ {
		for _, k := range []string{"short", "long"} {
			d, rounds := short, *longShortRounds
			if k == "long" {
				d, rounds = long, *longLongRounds
			}
			if r > rounds || b.ctx.Err() != nil {
				continue
			}
			m, err := runFor(d)()
			if b.ctx.Err() != nil {
				return section{}
			}
			m.Scenario, m.Round, m.Tool = "longrun", r, fmt.Sprintf("barrage-%s-%dt", d, n)
			if err != nil {
				m.Error = err.Error()
				fmt.Printf("  r%d %-6s FAILED: %v\n", r, d, err)
			} else {
				fmt.Printf("  r%d %-6s %s\n", r, d, longrunLine(m))
			}
			byLen[k] = append(byLen[k], m)
			b.pause()
		}
	}
	if b.ctx.Err() != nil {
		return section{}
	}
	med := func(k, x string) float64 {
		return median(pick(byLen[k], func(m measurement) float64 {
			if x == "" {
				return float64(m.MaxRSS)
			}
			return m.Extra[x]
		}))
	}
	// The command's figure (rusage of barrage run) holds the reducer and
	// the report; the worker's (--procs) is the shard runtime alone.
	a, z := med("short", ""), med("long", "")
	wa, wz := med("short", "worker_peak_rss_bytes"), med("long", "worker_peak_rss_bytes")
	r, wr := ratio(z, a), ratio(wz, wa)
	fmt.Printf("  medians, %d target(s): peak RSS of the command %.1f MB (%s), %.1f MB (%s), %s / %s = %.3f",
		n, a/1e6, short, z/1e6, long, long, short, r)
	if *longProcs {
		fmt.Printf("; of the worker %.1f MB, %.1f MB, %.3f", wa/1e6, wz/1e6, wr)
	}
	fmt.Printf("\n  series per second of run (%s): %.0f B in result.json (%.0f B of it histograms, base64), %.0f B held by the engine (encoded histograms)\n",
		long, med("long", "series_json_per_s"), med("long", "series_hist_b64_per_s"), med("long", "series_raw_per_s"))
	key := fmt.Sprintf("longrun.%dt.", n)
	g := goalResult{Name: fmt.Sprintf("longrun, %d target(s): median peak RSS of the command, %s run / %s run", n, long, short),
		Want: "≤ 1.20", Got: r, Pass: r > 0 && r <= 1.20}
	if *longProcs {
		g.Name, g.Got, g.Pass = fmt.Sprintf("longrun, %d target(s): median peak RSS of the worker, %s run / %s run", n, long, short), wr, wr > 0 && wr <= 1.20
	}
	g.Notes = fmt.Sprintf("median dropped %s (%s), %s (%s)", thousands(med("short", "dropped")), short,
		thousands(med("long", "dropped")), long)
	fmt.Println("  " + g.String())
	return section{runs: flatten([]string{"short", "long"}, byLen), goals: []goalResult{g}, medians: map[string]float64{
		key + "short_rss_bytes": a, key + "long_rss_bytes": z, key + "long_over_short": r,
		key + "short_worker_rss_bytes": wa, key + "long_worker_rss_bytes": wz, key + "worker_long_over_short": wr,
		key + "series_json_bytes_per_s": med("long", "series_json_per_s"),
		key + "series_raw_bytes_per_s":  med("long", "series_raw_per_s")}}
}

// longrunLine is the per-run line of the longrun scenario.
func longrunLine(m measurement) string {
	x := m.Extra
	return fmt.Sprintf("peak RSS %5.1f MB (command, rusage), %5.1f MB (worker, VmHWM), %5.1f MB (sampled in the run) | %s requests, %s dropped, ≤ %.0f conns | %.0f points, series %s B/s in JSON, %s B/s held | %.1f CPU-s | %s",
		float64(m.MaxRSS)/1e6, x["worker_peak_rss_bytes"]/1e6, x["health_peak_rss_bytes"]/1e6, thousands(float64(m.Requests)), thousands(x["dropped"]),
		x["max_open_conns"], x["series_points"], thousands(x["series_json_per_s"]), thousands(x["series_raw_per_s"]), m.CPU, noise(m))
}

// seriesSizes measures the per-second series of every shard result under
// the store folder runs: its points, its bytes in result.json (the "series"
// array as stored), the base64 of its histograms there, and the decoded
// histogram bytes, which is what the engine holds in memory for it (each
// second keeps its histograms encoded); each also per second of the send
// window.
func seriesSizes(runs string) (map[string]float64, error) {
	files, err := filepath.Glob(filepath.Join(runs, "runs", "*", "shards", "*", "result.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no shard result under %s", runs)
	}
	out := map[string]float64{"shards": float64(len(files))}
	var secs float64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var res struct {
			Send   float64           `json:"send_s"`
			Series []json.RawMessage `json:"series"`
		}
		if err := json.Unmarshal(data, &res); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		secs += res.Send
		out["result_json_bytes"] += float64(len(data))
		out["series_points"] += float64(len(res.Series))
		for _, p := range res.Series {
			out["series_json_bytes"] += float64(len(p)) + 1 // and its comma
			var pt struct {
				Latency            string            `json:"latency"`
				LatencyUncorrected string            `json:"latency_uncorrected"`
				Targets            map[string]string `json:"target_latency"`
			}
			if err := json.Unmarshal(p, &pt); err != nil {
				return nil, fmt.Errorf("%s: a series point: %w", f, err)
			}
			hs := []string{pt.Latency, pt.LatencyUncorrected}
			for _, h := range pt.Targets {
				hs = append(hs, h)
			}
			for _, h := range hs {
				raw, err := base64.StdEncoding.DecodeString(h)
				if err != nil {
					return nil, fmt.Errorf("%s: a series histogram: %w", f, err)
				}
				out["series_hist_b64_bytes"] += float64(len(h))
				out["series_raw_bytes"] += float64(len(raw))
			}
		}
	}
	for _, k := range []string{"series_json", "series_hist_b64", "series_raw"} {
		out[k+"_per_s"] = ratio(out[k+"_bytes"], secs)
	}
	out["send_s"] = secs
	return out, nil
}

// workerPeak polls, until stop is closed, the high-water mark of resident
// memory (VmHWM in /proc/PID/status) of every `barrage worker` process
// whose store is the folder store (the --procs workers of one run), every
// 50 ms, and then sends the highest seen; 0 when there was none. A worker
// is read until it exits: only its last 50 ms may be missed.
func workerPeak(store string, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			dirs, _ := filepath.Glob("/proc/[0-9]*")
			for _, d := range dirs {
				cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
				if err != nil || !bytes.Contains(cmd, []byte("\x00worker\x00--store\x00"+store+"\x00")) {
					continue
				}
				peak = max(peak, vmHWM(d))
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// vmHWM is the peak resident set of the process whose /proc folder is
// dir, in bytes; 0 if it cannot be read.
func vmHWM(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
