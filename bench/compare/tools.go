package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measurement is one run of one tool.
type measurement struct {
	Tool     string             `json:"tool"`
	Scenario string             `json:"scenario"`
	Round    int                `json:"round"`
	Requests int64              `json:"requests"`
	Success  int64              `json:"success"`
	CPU      float64            `json:"cpu_s"` // user + system CPU seconds of the load tool
	Wall     float64            `json:"wall_s"`
	MaxRSS   int64              `json:"max_rss_bytes"`
	Steal    float64            `json:"host_steal_pct"` // hypervisor steal over the run, all CPUs
	Extra    map[string]float64 `json:"extra,omitempty"`
}

// perCPU is successful requests per CPU-second of the load tool.
func (m measurement) perCPU() float64 {
	if m.CPU == 0 {
		return 0
	}
	return float64(m.Success) / m.CPU
}

// runPinned runs argv on CPU 1 (taskset) with stdin, bounded by limit, and
// returns its stdout with its resource usage.
func runPinned(limit time.Duration, stdin []byte, argv ...string) ([]byte, measurement, error) {
	return runOn("1", limit, stdin, argv...)
}

// runOn runs argv on the CPUs of the taskset list cpus ("" for any).
func runOn(cpus string, limit time.Duration, stdin []byte, argv ...string) ([]byte, measurement, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	before := hostCPU()
	err := cmd.Run()
	m := measurement{Wall: time.Since(t0).Seconds(), Steal: stealPercent(before, hostCPU())}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		m.CPU = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		m.MaxRSS = ru.Maxrss * 1024
	}
	if err != nil {
		tail := errb.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, m, fmt.Errorf("%s: %w\n%s", argv[0], err, tail)
	}
	return out.Bytes(), m, nil
}

type tools struct {
	barrage, vegeta, wrk string
	tmp                  string
}

// barrageRun runs barrage pinned to CPU 1 with args and reads its
// report.json from stdout.
func (t *tools) barrageRun(d time.Duration, args ...string) (measurement, map[string]any, error) {
	return t.barrageOn("1", d, args...)
}

// barrageOn runs barrage on the CPUs cpus ("" for any).
func (t *tools) barrageOn(cpus string, d time.Duration, args ...string) (measurement, map[string]any, error) {
	argv := append([]string{t.barrage, "run", "--quiet", "--json", "--out", filepath.Join(t.tmp, "runs")}, args...)
	out, m, err := runOn(cpus, d+60*time.Second, nil, argv...)
	m.Tool = "barrage"
	if err != nil {
		return m, nil, err
	}
	var rep map[string]any
	if err := json.Unmarshal(out, &rep); err != nil {
		return m, nil, fmt.Errorf("barrage report: %w", err)
	}
	m.Requests = int64(num(rep, "requests"))
	m.Success = int64(num(rep, "success"))
	return m, rep, nil
}

// num digs a number out of a decoded JSON object by a dotted path.
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

func (t *tools) barrageClosed(url string, c int, d time.Duration, extra ...string) (measurement, error) {
	args := append([]string{"--target", url, "--rate", "0", "--max-inflight", strconv.Itoa(c), "--duration", d.String()}, extra...)
	m, _, err := t.barrageRun(d, args...)
	return m, err
}

func (t *tools) vegetaClosed(url string, c int, d time.Duration, extra ...string) (measurement, error) {
	res := filepath.Join(t.tmp, "vegeta.bin")
	argv := append([]string{t.vegeta, "attack", "-rate=0", "-max-workers=" + strconv.Itoa(c),
		"-workers=" + strconv.Itoa(c), "-duration=" + d.String(), "-keepalive=true", "-output=" + res}, extra...)
	_, m, err := runPinned(d+60*time.Second, []byte("GET "+url+"\n"), argv...)
	m.Tool = "vegeta"
	if err != nil {
		return m, err
	}
	// Counting the results is not part of the attack's cost: unpinned, unmeasured.
	out, err := exec.Command(t.vegeta, "report", "-type=json", res).Output()
	if err != nil {
		return m, fmt.Errorf("vegeta report: %w", err)
	}
	var rep struct {
		Requests int64   `json:"requests"`
		Success  float64 `json:"success"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return m, err
	}
	m.Requests = rep.Requests
	m.Success = int64(float64(rep.Requests)*rep.Success + 0.5)
	os.Remove(res)
	return m, nil
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (t *tools) wrkClosed(url string, c int, d time.Duration) (measurement, error) {
	out, m, err := runPinned(d+60*time.Second, nil, t.wrk, "-t1", "-c"+strconv.Itoa(c), "-d"+d.String(), url)
	m.Tool = "wrk"
	if err != nil {
		return m, err
	}
	s := string(out)
	mm := wrkRequests.FindStringSubmatch(s)
	if mm == nil {
		return m, fmt.Errorf("wrk output without a request count:\n%s", s)
	}
	m.Requests, _ = strconv.ParseInt(mm[1], 10, 64)
	m.Success = m.Requests
	if mm := wrkNon2xx.FindStringSubmatch(s); mm != nil {
		n, _ := strconv.ParseInt(mm[1], 10, 64)
		m.Success -= n
	}
	if mm := wrkErrors.FindStringSubmatch(s); mm != nil {
		var errs int64
		for _, x := range mm[1:] {
			n, _ := strconv.ParseInt(x, 10, 64)
			errs += n
		}
		m.Extra = map[string]float64{"socket_errors": float64(errs)}
	}
	return m, nil
}

// hostCPU reads the aggregate cpu line of /proc/stat: all fields, in ticks.
func hostCPU() []uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var out []uint64
	for _, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		out = append(out, v)
	}
	return out
}

// stealPercent is the share of CPU time between two readings that the
// hypervisor stole (field 8 of the cpu line): a noisy host shows here.
func stealPercent(a, b []uint64) float64 {
	if len(a) < 8 || len(b) < 8 {
		return 0
	}
	var total uint64
	for i := 0; i < 8; i++ {
		total += b[i] - a[i]
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(b[7]-a[7]) / float64(total)
}
