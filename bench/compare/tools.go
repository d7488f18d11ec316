package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// killMargin is how long a run may outlast its planned duration before it
// is killed: start-up, draining in-flight requests and writing results fit
// well inside it.
const killMargin = 30 * time.Second

// bench holds what every run needs: the tools, the target and a context
// that Ctrl-C cancels.
type bench struct {
	ctx                          context.Context
	barrage, vegeta, wrk, h2load string
	tmp                          string
	nginx                        *nginxServer
}

// measurement is one run of one tool.
type measurement struct {
	Tool      string             `json:"tool"`
	Scenario  string             `json:"scenario"`
	Round     int                `json:"round"`
	Requests  int64              `json:"requests"`
	Success   int64              `json:"success"`
	CPU       float64            `json:"cpu_s"`           // user + system CPU seconds of the load tool (rusage)
	Wall      float64            `json:"wall_s"`          // from start to exit of the load tool
	MaxRSS    int64              `json:"max_rss_bytes"`   // peak resident set of the load tool (rusage maxrss)
	ServerCPU float64            `json:"server_cpu_s"`    // nginx's CPU seconds over the run
	Steal     float64            `json:"host_steal_pct"`  // hypervisor steal over the run, all CPUs
	Others    float64            `json:"others_cpu_pct"`  // CPU time of all other processes over the run, % of all CPUs
	Extra     map[string]float64 `json:"extra,omitempty"` // scenario-specific figures
	Error     string             `json:"error,omitempty"` // why the run failed; a failed run has no figures
}

// perCPU is successful requests per CPU-second of the load tool.
func (m measurement) perCPU() float64 { return ratio(float64(m.Success), m.CPU) }

// perWall is successful requests per second of wall time.
func (m measurement) perWall() float64 { return ratio(float64(m.Success), m.Wall) }

// resolveTools finds each binary that need names and fails with a message
// that says how to get the missing ones.
func (b *bench) resolveTools(need map[string]bool) error {
	var problems []string
	if _, err := exec.LookPath("taskset"); err != nil {
		problems = append(problems, "taskset not found (apt-get install -y util-linux)")
	}
	find := func(name string, path *string, hint string) {
		if !need[name] {
			return
		}
		p, err := lookTool(*path)
		if err != nil && name == "vegeta" && !strings.Contains(*path, "/") {
			if gp, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
				alt := filepath.Join(strings.TrimSpace(string(gp)), "bin", *path)
				if p, err = lookTool(alt); err != nil {
					err = fmt.Errorf("%q is neither on PATH nor at %s", *path, alt)
				}
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v (%s)", name, err, hint))
			return
		}
		*path = p
	}
	find("barrage", &b.barrage, "go build -o bench/out/barrage ./orchestrator/cmd/barrage")
	find("vegeta", &b.vegeta, "go install github.com/tsenart/vegeta/v12@v12.13.0")
	find("wrk", &b.wrk, "apt-get install -y wrk")
	find("h2load", &b.h2load, "apt-get install -y nghttp2-client")
	if len(problems) > 0 {
		return fmt.Errorf("missing tools (bench/compare.sh installs them):\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// lookTool resolves a name on PATH, or checks that a path is an executable
// file, and returns an absolute path.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// runOn runs argv pinned to the CPUs of the taskset list cpus ("" for any),
// with stdin, killed after limit. It returns stdout and what the run cost:
// CPU time and peak RSS from the child's rusage, wall time, nginx's CPU time
// and host steal over the run. A failed run's error ends with the tail of
// its stderr.
func (b *bench) runOn(cpus string, limit time.Duration, stdin []byte, argv ...string) ([]byte, measurement, error) {
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	if cpus != "" {
		// taskset execs the tool: the child's rusage is the tool's own.
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	var m measurement
	steal0, server0, t0 := hostCPU(), b.nginx.cpuTime(), time.Now()
	err := cmd.Run()
	m.Wall = time.Since(t0).Seconds()
	m.ServerCPU = (b.nginx.cpuTime() - server0).Seconds()
	steal1 := hostCPU()
	m.Steal = stealPercent(steal0, steal1)
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
			m.CPU = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
			m.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	m.Others = othersPercent(steal0, steal1, m.CPU+m.ServerCPU)
	if err != nil {
		why := err.Error()
		switch {
		case b.ctx.Err() != nil:
			why = "interrupted"
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			why = fmt.Sprintf("killed after %s (planned duration + %s)", limit, killMargin)
		}
		return out.Bytes(), m, &runError{err: err, msg: fmt.Sprintf("%s: %s; stderr tail:\n%s",
			filepath.Base(argv[cmdIndex(argv)]), why, indent(tail(errb.String(), 2000)))}
	}
	return out.Bytes(), m, nil
}

// runError is a failed run: a message for people, with the tail of the
// tool's stderr, and the cause (such as an *exec.ExitError) for errors.As.
type runError struct {
	msg string
	err error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.err }

// cmdIndex is the index of the tool's own name in argv (after taskset's).
func cmdIndex(argv []string) int {
	if len(argv) > 3 && argv[0] == "taskset" {
		return 3
	}
	return 0
}

// tail is the last n bytes of s, trimmed.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

func indent(s string) string { return "      " + strings.ReplaceAll(s, "\n", "\n      ") }

// hostCPU reads the aggregate cpu line of /proc/stat: all fields, in ticks.
func hostCPU() []uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil
	}
	var out []uint64
	for _, f := range fields[1:] {
		var v uint64
		fmt.Sscan(f, &v)
		out = append(out, v)
	}
	return out
}

// othersPercent is the CPU time that neither the load tool nor nginx used
// between two readings of /proc/stat (busy ticks less ours), in percent of
// all CPUs' time: other processes on the machine show here. The ticks are
// 1/100 s.
func othersPercent(a, b []uint64, ours float64) float64 {
	if len(a) < 8 || len(b) < 8 {
		return 0
	}
	var total, idle uint64
	for i := 0; i < 8; i++ {
		total += b[i] - a[i]
	}
	idle = (b[3] - a[3]) + (b[4] - a[4]) + (b[7] - a[7]) // idle, iowait, steal
	if total == 0 {
		return 0
	}
	others := float64(total-idle)/100 - ours
	return max(0, 100*others/(float64(total)/100))
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
