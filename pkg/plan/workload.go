package plan

import (
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/barrage-load/barrage/events"
)

// workload is what sizing depends on, derived once from the spec.
type workload struct {
	o           Options
	spec        events.RunSpec
	duration    time.Duration
	peak, mean  float64 // arrivals per second
	closed      bool
	newConn     bool
	traffic     string  // for reasons
	capacity    float64 // planned arrivals per second per vCPU
	lambdaMB    int
	fargateVCPU float64
	// hold is how long an arrival holds an in-flight slot, and conns how
	// many new connections it opens (journeys.go); LatencyBudget and 0 or 1
	// without scenarios.
	hold     float64
	conns    float64
	journeys bool
	// single is the longest run one Lambda window holds; window the length
	// of each window of a longer run (doc.go).
	single, window time.Duration
}

func newWorkload(spec events.RunSpec, o Options) *workload {
	w := &workload{o: o, spec: spec, duration: spec.Duration.D(), closed: spec.Load.ClosedLoop(),
		newConn: !spec.KeepAliveOn(), lambdaMB: o.LambdaMemoryMB, fargateVCPU: o.FargateVCPU}
	w.single, w.window = o.lambdaWindows()
	w.mean = spec.Load.MeanRate()
	w.peak = spec.Load.PeakRate()
	tls := false
	for _, t := range spec.Targets {
		if u, err := url.Parse(t.URL); err == nil && u.Scheme == "https" {
			tls = true
		}
	}
	switch {
	case w.newConn && tls:
		w.traffic, w.capacity = "a new TLS connection per request", CapTLSConn
	case w.newConn:
		w.traffic, w.capacity = "a new connection per request", CapNewConn
	case spec.HTTP2 || spec.H2C:
		w.traffic, w.capacity = "HTTP/2", CapHTTP2
	default:
		w.traffic, w.capacity = "keep-alive connections", CapKeepAlive
	}
	w.hold = LatencyBudget.Seconds()
	if w.newConn {
		w.conns = 1
	}
	if c := journeyCost(spec, w.capacity, w.newConn); c != nil {
		w.journeys = true
		w.hold, w.capacity, w.conns, w.traffic = c.hold, c.capacity, c.conns, c.traffic
		w.newConn = c.conns > 0
	}
	return w
}

// shapeReasons describes a staged load: the planner sizes for its peak,
// and every shard follows its shape at its share.
func (w *workload) shapeReasons() []string {
	l := w.spec.Load
	steps := l.Steps()
	if len(steps) == 0 {
		return nil
	}
	switch {
	case l.Shape == events.ShapeFindMax:
		f, n, warm := l.FindMax, len(steps), ""
		if steps[0].Warmup {
			n--
			warm = fmt.Sprintf(" after a %s warm-up", f.Warmup)
		}
		return []string{fmt.Sprintf("find-max: %d steps of %s from %s/s to %s/s%s, %s in all (mean %s/s, peak %s/s); each shard takes its share of every step",
			n, f.Step, num(f.Start), num(w.peak), warm, w.duration, num(w.mean), num(w.peak))}
	}
	return []string{fmt.Sprintf("stages: %d stages, %s in all (mean %s/s, peak %s/s); each shard takes its share of every stage",
		len(steps), w.duration, num(w.mean), num(w.peak))}
}

// portBudget is how many new connections per second a worker may open
// before TIME_WAIT holds share of its port range: ⌊ports × share / 60 s⌋.
func (w *workload) portBudget(share float64) float64 {
	return math.Floor(float64(w.o.PortRange) * share / TimeWait.Seconds())
}

// budget is the arrivals per second one worker may carry by each limit.
type budget struct{ cpu, ports, fds float64 }

// budget returns what one worker of kind may carry: as planned, or
// stretched to the ceilings a quota may ask for (StretchCPU,
// StretchPortShare; file descriptors never stretch).
func (w *workload) budget(kind string, stretch bool) budget {
	cpu, share := w.capacity*w.vcpu(kind), PortShare
	if stretch {
		cpu, share = cpu*StretchCPU, StretchPortShare
	}
	b := budget{cpu: cpu, ports: math.Inf(1), fds: FDShare * float64(w.fdLimit(kind)) / w.hold}
	if w.newConn {
		b.ports = w.portBudget(share) / w.conns
	}
	return b
}

// fewest is the fewest workers that carry the peak within b, and each
// limit's count.
func (w *workload) fewest(b budget) (n, cpu, ports, fds int) {
	cpu, ports, fds = ceilDiv(w.peak, b.cpu), ceilDiv(w.peak, b.ports), ceilDiv(w.peak, b.fds)
	return max(cpu, ports, fds), cpu, ports, fds
}

func (w *workload) fdLimit(kind string) int {
	switch {
	case w.o.FDLimit > 0:
		return w.o.FDLimit
	case kind == events.KindLambda:
		return LambdaFDLimit
	case kind == events.KindFargate:
		return FargateFDLimit
	}
	return 1024
}

// vcpu is the CPUs of one worker of kind.
func (w *workload) vcpu(kind string) float64 {
	switch kind {
	case events.KindLambda:
		return float64(w.lambdaMB) / DefaultLambdaMemoryMB
	case events.KindFargate:
		return w.fargateVCPU
	}
	return float64(w.o.LocalCPUs)
}

func (w *workload) localVCPU(n int) float64 { return float64(w.o.LocalCPUs) / float64(n) }

// kindAndWindows picks the worker kind and the number of windows.
func (w *workload) kindAndWindows() (string, int, []string) {
	if w.o.Backend == BackendLocal {
		return events.KindLocal, 1, []string{fmt.Sprintf(
			"local backend: every shard runs on this host and shares its %d CPUs and one ephemeral port range", w.o.LocalCPUs)}
	}
	windows := 1
	if w.duration > w.single {
		windows = int((w.duration + w.window - 1) / w.window)
	}
	lead := w.o.lead(events.KindLambda)
	switch {
	case w.o.Kind == events.KindFargate:
		return events.KindFargate, 1, []string{"Fargate tasks, as asked: no time limit, about 90 s to start"}
	case windows <= 1:
		return events.KindLambda, 1, []string{fmt.Sprintf(
			"Lambda workers: %s fits in one Lambda window (≤ %s: the %s timeout less %s lead, %s upload margin and %s slack)",
			w.duration, w.single, w.o.LambdaTimeout, lead, UploadMargin, WindowSlack)}
	case w.o.Kind == events.KindLambda || windows <= MaxLambdaWindows:
		return events.KindLambda, windows, []string{fmt.Sprintf(
			"%s is longer than one Lambda window (%s): %d consecutive windows of %s (the %s timeout less %s lead for a later window's workers, %s upload margin and %s slack) of the same shards",
			w.duration, w.single, windows, w.window, w.o.LambdaTimeout, max(lead, WindowLead), UploadMargin, WindowSlack)}
	}
	return events.KindFargate, 1, []string{fmt.Sprintf(
		"%s would take %d consecutive Lambda windows of %s (more than %d): Fargate tasks instead, which have no time limit",
		w.duration, windows, w.window, MaxLambdaWindows)}
}

// overlap is how many windows' workers run at once: a window's workers
// are invoked WindowLead before it starts, while the previous window's
// still run and upload (at most UploadMargin after their window).
func (w *workload) overlap(windows int) int {
	if windows <= 1 {
		return 1
	}
	return min(windows, 1+int((WindowLead+UploadMargin+w.window-1)/w.window))
}

// needs returns the workers each limit requires, with its reason.
func (w *workload) needs(kind string) (cpu, ports, fds int, reasons []string) {
	c := w.vcpu(kind)
	b := w.budget(kind, false)
	_, cpu, ports, fds = w.fewest(b)
	reasons = append(reasons, fmt.Sprintf("CPU: %s/s with %s ÷ %s/s per vCPU ÷ %.2g vCPU per worker = %d worker(s)",
		num(w.peak), w.traffic, num(w.capacity), c, cpu))
	if w.newConn {
		pb := w.portBudget(PortShare)
		reasons = append(reasons, fmt.Sprintf(
			"ports: each worker may open at most %s connections/s before TIME_WAIT (60 s) holds half of its %s ports: %s/s ÷ %s = %d worker(s)",
			num(pb), num(float64(w.o.PortRange)), num(w.peak*w.conns), num(pb), ports))
	}
	if fds > 1 || w.journeys {
		budget := fmt.Sprintf("at a latency budget of %s", LatencyBudget)
		if w.journeys {
			budget = fmt.Sprintf("with iterations holding a slot %.1f s on average (%s per step, and think times)", w.hold, LatencyBudget)
		}
		reasons = append(reasons, fmt.Sprintf(
			"file descriptors: %s a worker keeps at most %s/s in flight within %.0f%% of its %s descriptors: %d worker(s)",
			budget, num(b.fds), 100*FDShare, num(float64(w.fdLimit(kind))), fds))
	}
	return cpu, ports, fds, reasons
}

// count decides the shards per window.
func (w *workload) count(kind string) (int, []string, []string) {
	if w.closed {
		n := max(1, w.o.Workers)
		return n, []string{fmt.Sprintf("closed loop (rate 0): %d shard(s), each sending as fast as its in-flight cap allows", n)}, nil
	}
	if kind == events.KindLocal {
		n := max(1, w.o.Workers)
		return n, []string{fmt.Sprintf("%d local shard(s) of %s/s (each takes every %s arrival)", n, num(w.mean/float64(n)), ordinal(n))}, nil
	}
	cpu, ports, fds, reasons := w.needs(kind)
	need := max(cpu, ports, fds)
	if w.o.Workers == 0 {
		return need, append(reasons, fmt.Sprintf("%s/s needs %d %s worker(s); each takes every %s arrival, %s/s",
			num(w.peak), need, kind, ordinal(need), num(w.mean/float64(need)))), nil
	}
	n := w.o.Workers
	reasons = append(reasons, fmt.Sprintf("--workers %d, as asked (the limits above ask for %d)", n, need))
	var warnings []string
	per := w.peak / float64(n)
	if n < cpu {
		warnings = append(warnings, fmt.Sprintf("--workers %d: each would need %s/s, %.1f× the %s/s its %.2g vCPU plan for; the generator may saturate",
			n, num(per), per/(w.capacity*w.vcpu(kind)), num(w.capacity*w.vcpu(kind)), w.vcpu(kind)))
	}
	if n < ports {
		b := w.portBudget(PortShare)
		warnings = append(warnings, fmt.Sprintf("--workers %d: each would open %s new connections per second, %.1f× its port budget of %s/s (TIME_WAIT would hold %s ports of %s)",
			n, num(per), per/b, num(b), num(per*TimeWait.Seconds()), num(float64(w.o.PortRange))))
	}
	if n < fds {
		warnings = append(warnings, fmt.Sprintf("--workers %d: each would keep about %s requests in flight at a latency of %s, beyond %.0f%% of its %d file descriptors",
			n, num(per*LatencyBudget.Seconds()), LatencyBudget, 100*FDShare, w.fdLimit(kind)))
	}
	return n, reasons, warnings
}

// inflight is the in-flight cap of one shard.
func (w *workload) inflight(n int, kind string) int {
	if w.spec.MaxInflight > 0 {
		return w.spec.MaxInflight
	}
	if w.closed {
		return ClosedInflight
	}
	if w.journeys {
		// An iteration mostly waits (think times): slots are goroutines, and
		// the descriptors its connections hold are the limit.
		return max(16, int(FDShare*float64(w.fdLimit(kind)))-16)
	}
	return max(16, min(MaxLocalInflight, int(FDShare*float64(w.fdLimit(kind)))-16))
}

// localWarnings say plainly what one host cannot sustain, and what the same
// run would take on AWS.
func (w *workload) localWarnings(n int) []string {
	if w.closed {
		return nil
	}
	var out []string
	aws := *w
	// An AWS worker has its own descriptor limit and port range, not this host's.
	aws.o.Backend, aws.o.FDLimit, aws.o.PortRange = BackendAWS, 0, DefaultPortRange
	kind, _, _ := aws.kindAndWindows()
	cpu, ports, fds, _ := aws.needs(kind)
	onAWS := fmt.Sprintf("on AWS this run needs %d %s worker(s)", max(cpu, ports, fds), kind)
	if b, c := w.portBudget(PortShare), w.peak*w.conns; w.newConn && c > b {
		out = append(out, fmt.Sprintf(
			"one host cannot sustain %s new connections per second: every local shard shares one range of %s ports, and TIME_WAIT would hold %s of them (%s/s for 60 s), so connections will fail with addr_in_use; %s",
			num(c), num(float64(w.o.PortRange)), num(c*TimeWait.Seconds()), num(c), onAWS))
	}
	if c := w.capacity * float64(w.o.LocalCPUs); w.peak > c {
		out = append(out, fmt.Sprintf(
			"this host's %d CPUs plan for about %s/s of %s; %s/s may saturate the generator (its report will say so); %s",
			w.o.LocalCPUs, num(c), w.traffic, num(w.peak), onAWS))
	}
	return out
}

// num formats a count with thousands separators.
func num(v float64) string {
	if v != math.Trunc(v) && v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ordinal writes n as "1st", "2nd", "22nd", "11th"; 1 reads "single".
func ordinal(n int) string {
	if n == 1 {
		return "single"
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
