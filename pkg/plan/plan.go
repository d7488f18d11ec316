package plan

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/stack"
)

// Backends and the limits the planner respects.
const (
	BackendLocal = "local"
	BackendAWS   = "aws"

	DefaultLambdaMemoryMB = 1769 // = 1 vCPU
	DefaultFargateVCPU    = 1.0
	DefaultPortRange      = 28232 // Linux 32768–60999
	LambdaFDLimit         = 1024
	FargateFDLimit        = 65535
	TimeWait              = 60 * time.Second
	MaxLambdaWindows      = 4 // beyond this many windows, Fargate
	LatencyBudget         = 250 * time.Millisecond
	FDShare               = 0.8 // of the fd limit a worker keeps in flight
	PortShare             = 0.5 // of the port range TIME_WAIT may hold
	MaxLocalInflight      = 1000
	ClosedInflight        = 64
)

// Timing of workers: the one source of these figures. A Lambda window is
// derived from them (doc.go writes the arithmetic out); the orchestrator
// invokes later windows' workers WindowLead before their window, and a
// worker stops scheduling UploadMargin before its deadline.
const (
	// LambdaTimeout is the worker Lambda's timeout (the stack's).
	LambdaTimeout = stack.WorkerTimeoutSeconds * time.Second
	// LambdaLead is how long after planning arrival 0 of a Lambda run is
	// due: its first window's workers are invoked at once.
	LambdaLead = 10 * time.Second
	// WindowLead is how long before a later window starts its workers are
	// invoked: EventBridge Scheduler fires within about a minute of the
	// time asked, then a cold start.
	WindowLead = 90 * time.Second
	// UploadMargin is how long before its deadline a worker stops
	// scheduling, to finish and upload its result.
	UploadMargin = 15 * time.Second
	// WindowSlack is a window's spare time: an Init phase that overran its
	// 10 s runs again inside the invocation and counts against the timeout,
	// and the planner's clock and AWS's differ by a few seconds.
	WindowSlack = 15 * time.Second
	// FargateLead is the lead of a Fargate run: a task takes 30–90 s to
	// start. LocalLead is the local one: time to open warm connections.
	FargateLead = 90 * time.Second
	LocalLead   = 250 * time.Millisecond
)

// Ceilings of a worker when a quota allows fewer workers than the planned
// budgets ask for (doc.go): CPU up to StretchCPU × the planned capacity
// (at most about three quarters of what was measured), TIME_WAIT up to
// StretchPortShare of the port range. File descriptors do not stretch.
const (
	StretchCPU       = 1.5
	StretchPortShare = 0.8
)

// Capacity per vCPU, in arrivals per second, planned at about half of what
// barrage's engine measured (doc.go has the table and its sources).
const (
	CapKeepAlive = 10000
	CapHTTP2     = 8000
	CapNewConn   = 4000
	CapTLSConn   = 600
)

// Options are what the planner needs besides the spec.
type Options struct {
	RunID   string
	Backend string    // BackendLocal or BackendAWS
	Now     time.Time // the planner reads no clock
	// Workers overrides the number of shards per window; 0 lets the
	// planner decide.
	Workers int
	// Kind is "", "lambda" or "fargate" on the aws backend.
	Kind           string
	LambdaMemoryMB int
	FargateVCPU    float64
	// LocalCPUs is the host's CPU count on the local backend.
	LocalCPUs int
	// PortRange is the ephemeral ports per worker; FDLimit its descriptor
	// limit (0: the kind's default; the host's limit locally).
	PortRange int
	FDLimit   int
	// LeadTime is how long before the start shards are sent; 0: LocalLead,
	// LambdaLead or FargateLead.
	LeadTime time.Duration
	// LambdaTimeout is the worker Lambda's timeout (0: LambdaTimeout); the
	// Lambda windows are cut from it.
	LambdaTimeout time.Duration
	// Quotas are the account's limits the plan must fit (zero: unknown,
	// not checked).
	Quotas Quotas
}

// lead is how long before arrival 0 the workers of kind are sent.
func (o *Options) lead(kind string) time.Duration {
	if o.LeadTime > 0 {
		return o.LeadTime
	}
	return map[string]time.Duration{events.KindLocal: LocalLead, events.KindLambda: LambdaLead,
		events.KindFargate: FargateLead}[kind]
}

// Make plans spec (defaults applied and validated). A plan that no
// arrangement fits into o.Quotas is refused with a *QuotaError.
func Make(spec events.RunSpec, o Options) (*events.Plan, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	w := newWorkload(spec, o)
	sz, err := w.size()
	if err != nil {
		return nil, err
	}
	kind, windows, n := sz.kind, sz.windows, sz.n
	p := &events.Plan{Version: events.PlanVersion, RunID: o.RunID, Backend: o.Backend, Prices: Prices,
		Reasons: append(w.shapeReasons(), sz.reasons()...), Warnings: sz.warnings}
	lead := o.lead(kind)
	// Every shard shares StartAt, so their per-second series line up
	// whatever its fraction of a second.
	p.StartAt = o.Now.Add(lead).UTC()
	tolerance := map[string]time.Duration{events.KindLocal: 5 * time.Second, events.KindLambda: 30 * time.Second,
		events.KindFargate: 2 * time.Minute}[kind]
	grace := 30 * time.Second
	if kind == events.KindLocal {
		grace = 5 * time.Second
	}
	p.Deadline = p.StartAt.Add(w.duration + spec.Timeout.D() + grace)
	inflight := w.inflight(n, kind)
	for win := range windows {
		from := time.Duration(win) * w.window
		to := w.duration
		if windows > 1 {
			to = min(w.duration, from+w.window)
		}
		for k := range n {
			id := fmt.Sprintf("s%04d", k)
			if windows > 1 && win > 0 {
				id += fmt.Sprintf("-w%d", win)
			}
			sw := events.ShardWindow{ShardID: id, Kind: kind, Index: k, Count: n,
				WindowFrom: events.Duration(from), WindowTo: events.Duration(to),
				NotAfter: p.StartAt.Add(from + tolerance), MaxInflight: inflight}
			s := events.PlanShard{ShardWindow: sw, Window: win, Rate: w.mean / float64(n), WindowStart: sw.Start(p.StartAt)}
			switch kind {
			case events.KindLambda:
				s.MemoryMB = w.lambdaMB
			case events.KindFargate:
				s.VCPU = w.fargateVCPU
			default:
				s.VCPU = w.localVCPU(n)
			}
			p.Shards = append(p.Shards, s)
		}
	}
	if o.Backend == BackendAWS {
		p.CostUSD, p.Reasons = estimate(p, w, kind, lead, p.Reasons)
		p.Reasons = append(p.Reasons, Reducer(p, &spec).Reason)
	} else {
		p.Warnings = append(p.Warnings, w.localWarnings(n)...)
	}
	return p, nil
}

// lambdaWindows returns the longest run one Lambda window holds, started
// with the run's lead, and the length of the windows of a longer run,
// whose later windows' workers start WindowLead early (doc.go).
func (o *Options) lambdaWindows() (single, window time.Duration) {
	lead := o.lead(events.KindLambda)
	rest := o.LambdaTimeout - UploadMargin - WindowSlack
	return rest - lead, rest - max(lead, WindowLead)
}

func (o *Options) check() error {
	var errs []error
	if o.Backend != BackendLocal && o.Backend != BackendAWS {
		errs = append(errs, fmt.Errorf("unknown backend %q (want local or aws)", o.Backend))
	}
	if o.Kind != "" && o.Kind != events.KindLambda && o.Kind != events.KindFargate {
		errs = append(errs, fmt.Errorf("unknown worker kind %q (want lambda or fargate)", o.Kind))
	}
	if o.Kind != "" && o.Backend == BackendLocal {
		errs = append(errs, errors.New("a worker kind applies to the aws backend only"))
	}
	if o.Workers < 0 || o.Workers > events.MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d is out of range (0–%d)", o.Workers, events.MaxWorkers))
	}
	if o.LambdaMemoryMB == 0 {
		o.LambdaMemoryMB = DefaultLambdaMemoryMB
	}
	if o.LambdaMemoryMB < 128 || o.LambdaMemoryMB > 10240 {
		//lint:ignore ST1005 Lambda is the AWS service's name, a proper noun
		errs = append(errs, fmt.Errorf("Lambda memory %d MB is out of range (128–10,240)", o.LambdaMemoryMB))
	}
	if o.FargateVCPU == 0 {
		o.FargateVCPU = DefaultFargateVCPU
	}
	if o.PortRange == 0 {
		o.PortRange = DefaultPortRange
	}
	if o.LocalCPUs <= 0 {
		o.LocalCPUs = 1
	}
	if o.LambdaTimeout == 0 {
		o.LambdaTimeout = LambdaTimeout
	}
	if _, win := o.lambdaWindows(); o.Backend == BackendAWS && (win < time.Minute || o.LambdaTimeout > LambdaTimeout) {
		//lint:ignore ST1005 Lambda is the AWS service's name, a proper noun
		errs = append(errs, fmt.Errorf("Lambda timeout %s is out of range (at most %s, and at least a minute more than a later window's lead %s, upload margin %s and slack %s)",
			o.LambdaTimeout, LambdaTimeout, max(o.lead(events.KindLambda), WindowLead), UploadMargin, WindowSlack))
	}
	if q := o.Quotas; q.LambdaConcurrency < 0 || q.FargateVCPU < 0 {
		errs = append(errs, fmt.Errorf("quotas must not be negative (lambda concurrency %d, fargate vCPU %g)", q.LambdaConcurrency, q.FargateVCPU))
	}
	return errors.Join(errs...)
}

// Messages returns the shard message of every shard of p.
func Messages(p *events.Plan, spec events.RunSpec, specKey string) []events.ShardMessage {
	out := make([]events.ShardMessage, len(p.Shards))
	for i, s := range p.Shards {
		out[i] = events.ShardMessage{Version: events.ShardMessageVersion, RunID: p.RunID, ShardWindow: s.ShardWindow,
			Load: spec.Load, Duration: spec.Duration, StartAt: p.StartAt, SpecKey: specKey}
	}
	return out
}

func ceilDiv(a, b float64) int {
	if b <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(a/b-1e-9)))
}
