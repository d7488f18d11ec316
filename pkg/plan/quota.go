package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Quotas are the account's limits a plan on AWS must fit. A zero figure is
// unknown, and not checked (the reasons say so).
type Quotas struct {
	// LambdaConcurrency is how many worker Lambdas may run at once: the
	// worker function's reserved concurrency if it has one, else the
	// account's unreserved concurrency.
	LambdaConcurrency int
	// LambdaReserved says LambdaConcurrency is the worker's reserved
	// concurrency (the stack's workerConcurrency).
	LambdaReserved bool
	// FargateVCPU is the account's Fargate On-Demand vCPU quota, or its
	// Spot one when FargateSpot.
	FargateVCPU float64
	FargateSpot bool
	// LambdaSource and FargateSource say where the figures came from, for
	// the reasons and errors: "account unreserved concurrency",
	// "--fargate-vcpu", …
	LambdaSource, FargateSource string
}

// Quota names, as QuotaError.Quota.
const (
	QuotaLambdaConcurrency = "lambda concurrency"
	QuotaFargateVCPU       = "fargate vcpu"
)

// Service Quotas codes of the quotas the planner checks.
const (
	QuotaCodeLambdaConcurrency = "L-B99A9384" // Lambda: Concurrent executions
	QuotaCodeFargateOnDemand   = "L-3032A538" // Fargate On-Demand vCPU resource count
	QuotaCodeFargateSpot       = "L-36FBB829" // Fargate Spot vCPU resource count
	NewAccountConcurrency      = 10           // a new account's Lambda concurrency
)

// QuotaError refuses a plan that no arrangement of workers fits into the
// account's quotas. Its message is one line: the quota, its value, what the
// plan needs and how to raise it.
type QuotaError struct {
	Quota  string  // QuotaLambdaConcurrency or QuotaFargateVCPU
	Value  float64 // the quota
	Source string  // where Value came from
	Need   float64 // what the plan needs at the least
	Detail string  // how Need is made up
	Raise  string  // how to raise the quota, or do without it
	// Also is the other kind's refusal, when neither Lambda nor Fargate fits.
	Also *QuotaError
}

func (e *QuotaError) Error() string {
	need, has := plural(int(e.Need), "concurrent worker Lambda"), "the worker may use"
	if e.Quota == QuotaFargateVCPU {
		need, has = num(e.Need)+" vCPU", "the account may run"
	}
	s := fmt.Sprintf("%s: the plan needs %s (%s) and %s %s (%s); %s",
		e.Quota, need, e.Detail, has, num(e.Value), e.Source, e.Raise)
	if e.Also != nil {
		s += "; " + e.Also.Error()
	}
	return s
}

// sizing is the kind of worker, its windows and shards per window, with
// the reasons: why this kind, how many, and the quotas.
type sizing struct {
	kind     string
	windows  int
	n        int
	why      []string // the kind and windows
	counts   []string // the shard count
	quotas   []string // the quotas
	warnings []string
}

func (s sizing) reasons() []string {
	return append(append(append([]string{}, s.why...), s.counts...), s.quotas...)
}

// size picks the worker kind, its windows and the shards per window, and
// fits them into the account's quotas.
func (w *workload) size() (sizing, error) {
	kind, windows, why := w.kindAndWindows()
	n, counts, warnings := w.count(kind)
	s := sizing{kind: kind, windows: windows, n: n, why: why, counts: counts, warnings: warnings}
	switch kind {
	case events.KindLambda:
		return w.fitLambda(s)
	case events.KindFargate:
		return w.fitFargate(s, nil)
	}
	return s, nil
}

// stretchable says the planner may choose fewer, busier shards: the user
// did not fix the count, and there is a rate to share.
func (w *workload) stretchable() bool { return w.o.Workers == 0 && !w.closed }

// fitLambda checks the worker Lambdas that run at once, the shards of a
// window times the windows that overlap, against the concurrency the
// worker may use. Above it: fewer, busier shards if their ceilings allow;
// else Fargate unless Lambda was asked for; else a refusal.
func (w *workload) fitLambda(s sizing) (sizing, error) {
	q := w.o.Quotas
	if q.LambdaConcurrency == 0 {
		s.quotas = append(s.quotas, "quotas not checked: the Lambda concurrency the worker may use is unknown; a plan above it is throttled and its shards come out missed")
		return s, nil
	}
	c, ov := q.LambdaConcurrency, w.overlap(s.windows)
	head := fmt.Sprintf("lambda concurrency %s (%s)", num(float64(c)), q.lambdaSource())
	if s.n*ov <= c {
		s.quotas = append(s.quotas, fmt.Sprintf("%s: the plan needs %s (%s): fits",
			head, plural(s.n*ov, "concurrent worker Lambda"), lambdaDetail(s.n, ov, "")))
		return s, nil
	}
	refusal := &QuotaError{Quota: QuotaLambdaConcurrency, Value: float64(c), Source: q.lambdaSource(),
		Need: float64(s.n * ov), Detail: lambdaDetail(s.n, ov, w.fixed()), Raise: q.raiseLambda()}
	if w.stretchable() {
		least, why, ok := w.busier(&s, c/ov, head, lambdaDetail(s.n, ov, ""))
		if ok {
			return s, nil
		}
		refusal.Need, refusal.Detail = float64(least*ov), lambdaDetail(least, ov, why)
	}
	if w.o.Kind == events.KindLambda {
		refusal.Raise += ", or run on Fargate (--kind fargate)"
		return s, refusal
	}
	n, counts, warnings := w.count(events.KindFargate)
	f := sizing{kind: events.KindFargate, windows: 1, n: n, counts: counts, warnings: warnings,
		why: append(s.why, fmt.Sprintf("%s: the plan needs %s (%s): Fargate tasks instead",
			head, plural(int(refusal.Need), "concurrent worker Lambda"), refusal.Detail))}
	return w.fitFargate(f, refusal)
}

// fitFargate checks the vCPUs of the tasks against the account's Fargate
// vCPU quota. Above it: fewer, busier tasks if their ceilings allow; else
// a refusal (with the Lambda one, when Lambda did not fit either).
func (w *workload) fitFargate(s sizing, lambda *QuotaError) (sizing, error) {
	q := w.o.Quotas
	if q.FargateVCPU == 0 {
		s.quotas = append(s.quotas, "quotas not checked: the account's Fargate vCPU quota is unknown; tasks above it do not start")
		return s, nil
	}
	v := w.fargateVCPU
	head := fmt.Sprintf("fargate vcpu %s (%s)", num(q.FargateVCPU), q.fargateSource())
	if need := float64(s.n) * v; need <= q.FargateVCPU+1e-9 {
		s.quotas = append(s.quotas, fmt.Sprintf("%s: the plan needs %s vCPU (%s): fits", head, num(need), fargateDetail(s.n, v, "")))
		return s, nil
	}
	refusal := &QuotaError{Quota: QuotaFargateVCPU, Value: q.FargateVCPU, Source: q.fargateSource(),
		Need: float64(s.n) * v, Detail: fargateDetail(s.n, v, w.fixed()), Raise: q.raiseFargate()}
	if w.stretchable() {
		least, why, ok := w.busier(&s, int(math.Floor(q.FargateVCPU/v+1e-9)), head, fargateDetail(s.n, v, ""))
		if ok {
			return s, nil
		}
		refusal.Need, refusal.Detail = float64(least)*v, fargateDetail(least, v, why)
	}
	refusal.Raise += w.smallerTasks(q.FargateVCPU)
	if lambda != nil {
		lambda.Also = refusal
		return s, lambda
	}
	return s, refusal
}

// busier fits s into at most most workers of its kind, each loaded up to
// the ceilings (StretchCPU, StretchPortShare), and says so in its reasons
// and warnings. When even the fewest the ceilings allow are more, it
// returns that least and which limit binds.
func (w *workload) busier(s *sizing, most int, head, exceeded string) (least int, why string, ok bool) {
	b := w.budget(s.kind, true)
	least, _, _, _ = w.fewest(b)
	if least > most {
		return least, w.binding(b, least), false
	}
	s.quotas = append(s.quotas, fmt.Sprintf("%s: %s would exceed it; %s", head, exceeded, w.fitted(s.kind, most, b)))
	s.warnings = append(s.warnings, w.fitWarning(s.kind, s.n, most, head))
	s.n = most
	return most, "", true
}

// fargateSizes are the vCPU sizes of a Fargate task.
var fargateSizes = []float64{16, 8, 4, 2, 1, 0.5, 0.25}

// smallerTasks suggests the largest task size below the deployed one whose
// tasks, as many as planned at that size, fit quota: a plan that ports or
// descriptors size needs tasks, not vCPUs.
func (w *workload) smallerTasks(quota float64) string {
	for _, v := range fargateSizes {
		if v >= w.fargateVCPU {
			continue
		}
		c := *w
		c.fargateVCPU = v
		n := c.o.Workers
		if n == 0 {
			n, _, _, _ = c.fewest(c.budget(events.KindFargate, false))
		}
		if float64(n)*v <= quota+1e-9 {
			return fmt.Sprintf(", or deploy smaller tasks: %s × %.2g vCPU fit (the stack's taskCpu %d)", plural(n, "task"), v, int(v*1024))
		}
	}
	return ""
}

// fixed says why the shard count cannot change, or "".
func (w *workload) fixed() string {
	if w.o.Workers > 0 {
		return "as --workers asks"
	}
	if w.closed {
		return "a closed loop's, as asked"
	}
	return ""
}

// binding says which ceiling makes n the fewest workers within b.
func (w *workload) binding(b budget, n int) string {
	_, cpu, ports, _ := w.fewest(b)
	switch n {
	case ports:
		return fmt.Sprintf("the fewest the ports allow at %s new connections/s each", num(b.ports*w.conns))
	case cpu:
		return fmt.Sprintf("the fewest the CPU allows at %s/s each", num(b.cpu))
	}
	return fmt.Sprintf("the fewest the file descriptors allow at %s/s each", num(b.fds))
}

func lambdaDetail(n, overlap int, why string) string {
	s := plural(n, "shard")
	if overlap > 1 {
		s += fmt.Sprintf(" × %d overlapping windows: a window's workers start %s before the previous window ends", overlap, WindowLead)
	}
	if why != "" {
		s += ", " + why
	}
	return s
}

func fargateDetail(n int, vcpu float64, why string) string {
	s := fmt.Sprintf("%s × %.2g vCPU", plural(n, "task"), vcpu)
	if why != "" {
		s += ", " + why
	}
	return s
}

// fitted says that n workers of kind carry the peak within the ceilings b.
func (w *workload) fitted(kind string, n int, b budget) string {
	per := w.peak / float64(n)
	fits := []string{fmt.Sprintf("CPU (≤ %s/s: %.2g× the planned capacity)", num(b.cpu), StretchCPU)}
	if w.newConn {
		fits = append(fits, fmt.Sprintf("ports (≤ %s new connections/s: TIME_WAIT holding up to %.0f%% of the range)",
			num(b.ports*w.conns), 100*StretchPortShare))
	}
	fits = append(fits, fmt.Sprintf("file descriptors (≤ %s/s)", num(b.fds)))
	last := len(fits) - 1
	list := strings.Join(fits[:last], ", ") + " and " + fits[last]
	return fmt.Sprintf("%s %s workers at %s/s each fit %s", num(float64(n)), kind, num(per), list)
}

// fitWarning says a quota took headroom away.
func (w *workload) fitWarning(kind string, planned, n int, head string) string {
	b := w.budget(kind, false)
	return fmt.Sprintf("%d %s workers instead of %d, to fit %s: each carries %s/s where the planned budgets allow %s/s; the generator has less headroom (its report says if it saturates)",
		n, kind, planned, head, num(w.peak/float64(n)), num(min(b.cpu, b.ports, b.fds)))
}

func (q Quotas) lambdaSource() string {
	switch {
	case q.LambdaSource != "":
		return q.LambdaSource
	case q.LambdaReserved:
		return "the worker's reserved concurrency"
	}
	return "account unreserved concurrency"
}

func (q Quotas) fargateSource() string {
	switch {
	case q.FargateSource != "":
		return q.FargateSource
	case q.FargateSpot:
		return "Fargate Spot vCPU quota"
	}
	return "Fargate On-Demand vCPU quota"
}

// raiseLambda says how to raise the worker's concurrency.
func (q Quotas) raiseLambda() string {
	if q.LambdaReserved {
		return fmt.Sprintf("raise the worker's reserved concurrency (the stack's workerConcurrency), within the account's \"Concurrent executions\" (%s)",
			QuotaCodeLambdaConcurrency)
	}
	s := fmt.Sprintf("raise \"Concurrent executions\" (%s) in Service Quotas", QuotaCodeLambdaConcurrency)
	if q.LambdaConcurrency <= NewAccountConcurrency {
		s += fmt.Sprintf(" (a new account has %d: ask for 1,000, the usual default)", NewAccountConcurrency)
	}
	return s
}

// raiseFargate says how to raise the Fargate vCPU quota.
func (q Quotas) raiseFargate() string {
	name, code := "Fargate On-Demand vCPU resource count", QuotaCodeFargateOnDemand
	if q.FargateSpot {
		name, code = "Fargate Spot vCPU resource count", QuotaCodeFargateSpot
	}
	return fmt.Sprintf("raise %q (%s) in Service Quotas", name, code)
}

// plural writes n things: "1 shard", "1,200 shards".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return num(float64(n)) + " " + thing + "s"
}
