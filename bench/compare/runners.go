package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// barrageRun runs `barrage run --quiet --json` on the CPUs cpus ("" for
// any) with args, for a run planned to last d, and reads report.json from
// its stdout.
func (b *bench) barrageRun(cpus string, d time.Duration, args ...string) (measurement, map[string]any, error) {
	runs := filepath.Join(b.tmp, "runs")
	defer os.RemoveAll(runs)
	return b.barrageRunIn(runs, cpus, d, args...)
}

// barrageRunIn is barrageRun with the run's store folder runs, which it
// leaves for the caller to read and remove.
func (b *bench) barrageRunIn(runs, cpus string, d time.Duration, args ...string) (measurement, map[string]any, error) {
	argv := append([]string{b.barrage, "run", "--quiet", "--json", "--out", runs}, args...)
	out, m, err := b.runOn(cpus, d+killMargin, nil, argv...)
	m.Tool = "barrage"
	var exit *exec.ExitError
	// Exit status 1 means a threshold failed; the report is still whole.
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1 && json.Valid(out)) {
		return m, nil, err
	}
	var rep map[string]any
	if err := json.Unmarshal(out, &rep); err != nil {
		return m, nil, fmt.Errorf("barrage printed no report.json: %w; stdout tail:\n%s", err, indent(tail(string(out), 1000)))
	}
	m.Requests = int64(num(rep, "requests"))
	m.Success = int64(num(rep, "success"))
	m.Extra = map[string]float64{"latency_p50_ms": num(rep, "latency_ms.p50"), "latency_p99_ms": num(rep, "latency_ms.p99")}
	return m, rep, nil
}

// num digs a number out of a decoded JSON object by a dotted path; 0 when
// it is not there.
func num(v map[string]any, path string) float64 {
	var cur any = v
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return 0
		}
		cur = obj[k]
	}
	f, _ := cur.(float64)
	return f
}

// barrageClosed is barrage's keep-alive closed loop: c requests in flight
// for d, pinned to loadCPU.
func (b *bench) barrageClosed(url string, c int, d time.Duration, extra ...string) (measurement, error) {
	args := append([]string{"--target", url, "--rate", "0", "--max-inflight", strconv.Itoa(c),
		"--duration", d.String()}, extra...)
	m, _, err := b.barrageRun(loadCPU, d, args...)
	return m, err
}

// vegetaClosed is vegeta's keep-alive closed loop: c workers (and no more)
// for d, pinned to loadCPU. Counting the results afterwards with `vegeta
// report` is not part of the attack's cost: it runs unpinned and its CPU
// time is not counted.
func (b *bench) vegetaClosed(url string, c int, d time.Duration, extra ...string) (measurement, error) {
	res := filepath.Join(b.tmp, "vegeta.bin")
	defer os.Remove(res)
	argv := append([]string{b.vegeta, "attack", "-rate=0", "-max-workers=" + strconv.Itoa(c),
		"-workers=" + strconv.Itoa(c), "-duration=" + d.String(), "-keepalive=true", "-output=" + res}, extra...)
	_, m, err := b.runOn(loadCPU, d+killMargin, []byte("GET "+url+"\n"), argv...)
	m.Tool = "vegeta"
	if err != nil {
		return m, err
	}
	ctx, cancel := context.WithTimeout(b.ctx, killMargin)
	defer cancel()
	out, err := exec.CommandContext(ctx, b.vegeta, "report", "-type=json", res).Output()
	if err != nil {
		return m, fmt.Errorf("vegeta report: %w", err)
	}
	var rep struct {
		Requests  int64   `json:"requests"`
		Success   float64 `json:"success"` // a ratio
		Latencies struct {
			P50 float64 `json:"50th"` // nanoseconds
			P99 float64 `json:"99th"`
		} `json:"latencies"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return m, fmt.Errorf("vegeta report: %w", err)
	}
	m.Requests = rep.Requests
	m.Success = int64(math.Round(float64(rep.Requests) * rep.Success))
	m.Extra = map[string]float64{"latency_p50_ms": rep.Latencies.P50 / 1e6, "latency_p99_ms": rep.Latencies.P99 / 1e6}
	return m, nil
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
)

// wrkClosed is wrk's keep-alive closed loop: one thread, c connections, for
// d (whole seconds, at least 1), pinned to loadCPU.
func (b *bench) wrkClosed(url string, c int, d time.Duration) (measurement, error) {
	secs := max(1, int(math.Ceil(d.Seconds())))
	out, m, err := b.runOn(loadCPU, time.Duration(secs)*time.Second+killMargin, nil,
		b.wrk, "-t1", "-c"+strconv.Itoa(c), "-d"+strconv.Itoa(secs)+"s", "--latency", url)
	m.Tool = "wrk"
	if err != nil {
		return m, err
	}
	s := string(out)
	mm := wrkRequests.FindStringSubmatch(s)
	if mm == nil {
		return m, fmt.Errorf("wrk printed no request count:\n%s", indent(tail(s, 2000)))
	}
	m.Requests, _ = strconv.ParseInt(mm[1], 10, 64)
	m.Success = m.Requests
	if mm := wrkNon2xx.FindStringSubmatch(s); mm != nil {
		n, _ := strconv.ParseInt(mm[1], 10, 64)
		m.Success -= n
	}
	m.Extra = map[string]float64{}
	if mm := wrkErrors.FindStringSubmatch(s); mm != nil {
		var errs int64
		for _, x := range mm[1:] {
			n, _ := strconv.ParseInt(x, 10, 64)
			errs += n
		}
		m.Extra["socket_errors"] = float64(errs)
	}
	for _, mm := range wrkLatency.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(mm[2], 64)
		v *= map[string]float64{"us": 1e-3, "ms": 1, "s": 1e3}[mm[3]]
		m.Extra["latency_p"+mm[1]+"_ms"] = v
	}
	return m, nil
}
