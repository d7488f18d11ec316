package health

import (
	"bytes"
	"fmt"
)

// HostCPU is the host's CPU time so far, summed over all CPUs, in clock
// ticks, from the first line of /proc/stat.
type HostCPU struct {
	// Busy is user, nice, system, irq and softirq time: work the host did.
	Busy uint64
	// Idle is idle and iowait time.
	Idle uint64
	// Steal is time the hypervisor ran something else while this virtual
	// machine wanted to run: CPU the generator was promised and did not get.
	Steal uint64
}

// Total is all the time accounted.
func (c HostCPU) Total() uint64 { return c.Busy + c.Idle + c.Steal }

// StealFraction returns the share of the time between prev and c that was
// stolen, 0 when no time passed.
func (c HostCPU) StealFraction(prev HostCPU) float64 {
	total := c.Total() - prev.Total()
	if total == 0 || c.Total() < prev.Total() {
		return 0
	}
	return float64(c.Steal-prev.Steal) / float64(total)
}

// HostCPU reads the aggregate "cpu" line of /proc/stat.
func (p *Proc) HostCPU() (HostCPU, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := p.path("stat")
	b, err := p.readFile(name)
	if err != nil {
		return HostCPU{}, fmt.Errorf("health: %w", err)
	}
	c, err := parseStat(b)
	if err != nil {
		return HostCPU{}, fmt.Errorf("health: %s: %w", name, err)
	}
	return c, nil
}

// parseStat parses "cpu  user nice system idle iowait irq softirq steal …".
// Kernels before 2.6.11 have no steal field; it then reads as 0.
func parseStat(b []byte) (HostCPU, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("cpu "))
	if !ok {
		return HostCPU{}, fmt.Errorf("%w: first line %q is not the cpu total", ErrMalformed, line)
	}
	var f [8]uint64
	n := 0
	for ; n < len(f); n++ {
		v, r, ok := nextUint(rest)
		if !ok {
			break
		}
		f[n], rest = v, r
	}
	if n < 7 {
		return HostCPU{}, fmt.Errorf("%w: cpu line %q has %d fields", ErrMalformed, line, n)
	}
	return HostCPU{Busy: f[0] + f[1] + f[2] + f[5] + f[6], Idle: f[3] + f[4], Steal: f[7]}, nil
}
