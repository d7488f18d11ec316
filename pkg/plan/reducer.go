package plan

import (
	"fmt"
	"math"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/stack"
)

// Where a run is reduced on AWS: the reducer Lambda, or a Fargate task
// running the same code (tasks/worker with stack.EnvReduceRun) when the
// Lambda would not have the time or the memory.
const (
	ReducerLambda  = "lambda"
	ReducerFargate = "fargate"
)

// The streaming reducer's costs, from bench/reduce on one core (bench/README.md
// has the table): about 5 µs of CPU per per-second histogram of a shard
// (corrected, uncorrected, and one per target for 2 to 16 targets, each of
// about 100 latencies), its results read, decoded and merged; about 0.4 ms
// per second of the run and histogram for the report and report.hlog; a
// merged per-second histogram held until the end in at most 40 KiB
// (hist.Sparse: a second's latencies over a few octaves, 24 KiB measured at
// 100,000 a second); and StreamHold results held at once, each about 3
// times its size once decoded. The planner doubles the CPU and memory
// figures (ReduceMargin): the measurements come from one machine, and a
// result's size grows with its shard's rate.
const (
	ReduceCPUPerHistogram   = 5 * time.Microsecond
	ReduceCPUPerRunSecond   = 400 * time.Microsecond // per histogram kind of a second
	ReduceBytesPerHistogram = 40 << 10               // a merged second, sparse
	ReduceResultBytes       = 400                    // a shard's per-second histogram on the wire, base64
	StreamHold              = 32                     // reduce.ReadAhead read ahead, and as many held for the merge
	ReduceMargin            = 2.0
	// ReducerLambdaShare is the share of the reducer Lambda's timeout and
	// memory a run's estimate may take.
	ReducerLambdaShare = 0.5
	// maxSeriesTargets mirrors engine.MaxSeriesTargets: runs of 2 to 16
	// targets keep a histogram per target in each second.
	maxSeriesTargets = 16
)

// ReducerChoice is where a plan is reduced, and why.
type ReducerChoice struct {
	// Kind is ReducerLambda or ReducerFargate.
	Kind string
	// CPU and MemoryMB are the estimates the choice was made on (margin
	// included).
	CPU      time.Duration
	MemoryMB int
	// Reason says it in a line of plan.json's reasons.
	Reason string
}

// Reducer chooses where plan p of spec is reduced: the reducer Lambda
// (stack.ReducerMemoryMB, stack.ReducerTimeoutSeconds, one vCPU) while the
// estimate of its CPU time and memory stays within ReducerLambdaShare of
// those, else a Fargate task (stack.ReducerTaskCPU, stack.ReducerTaskMemoryMiB).
// The estimate counts the per-second histograms of the plan's shards:
//
//	h = Σ over shards of their window's seconds × (2 + series targets)
//	CPU = margin × (h × ReduceCPUPerHistogram + run seconds × (1 + series targets) × ReduceCPUPerRunSecond)
//	memory = margin × (run seconds × (2 + series targets) × ReduceBytesPerHistogram
//	         + StreamHold × 3 × the largest result)
//
// where series targets are the run's targets, scenario iterations and steps
// when there are 2 to 16 of them (0 otherwise), and a result is its
// window's seconds × (2 + series targets) × ReduceResultBytes. The local
// backend reduces in the process that ran it: always ReducerLambda there
// (unused).
func Reducer(p *events.Plan, spec *events.RunSpec) ReducerChoice {
	t := seriesTargets(spec)
	var hists, runS, windowS float64
	for _, s := range p.Shards {
		w := math.Ceil((s.WindowTo.D() - s.WindowFrom.D()).Seconds())
		hists += w * float64(2+t)
		windowS = max(windowS, w)
		runS = max(runS, math.Ceil(s.WindowTo.D().Seconds()))
	}
	cpu := time.Duration(ReduceMargin * (hists*float64(ReduceCPUPerHistogram) + runS*float64(1+t)*float64(ReduceCPUPerRunSecond)))
	mem := ReduceMargin * (runS*float64(2+t)*ReduceBytesPerHistogram + StreamHold*3*windowS*float64(2+t)*ReduceResultBytes)
	c := ReducerChoice{Kind: ReducerLambda, CPU: cpu.Round(time.Second), MemoryMB: int(math.Ceil(mem / (1 << 20)))}
	limitCPU := time.Duration(ReducerLambdaShare * stack.ReducerTimeoutSeconds * float64(time.Second))
	limitMB := ReducerLambdaShare * float64(stack.ReducerMemoryMB)
	what := fmt.Sprintf("%s per-second histograms of %d shards over %s s (%d series targets): about %s of CPU and %d MB",
		thousands(hists), len(p.Shards), thousands(runS), t, c.CPU, c.MemoryMB)
	if p.Backend != BackendAWS || (cpu <= limitCPU && float64(c.MemoryMB) <= limitMB) {
		c.Reason = fmt.Sprintf("reducer: the reducer Lambda: %s, within half its %d s and %d MB", what, stack.ReducerTimeoutSeconds, stack.ReducerMemoryMB)
		return c
	}
	c.Kind = ReducerFargate
	c.Reason = fmt.Sprintf("reducer: a Fargate task (%g vCPU, %d MiB): %s, more than half the reducer Lambda's %d s or %d MB",
		float64(stack.ReducerTaskCPU)/1024, stack.ReducerTaskMemoryMiB, what, stack.ReducerTimeoutSeconds, stack.ReducerMemoryMB)
	return c
}

// seriesTargets is how many histograms per target a shard keeps in each
// second of spec's run: its targets, scenarios' iterations and steps (a
// login flow counted as 5 steps), when 2 to maxSeriesTargets; else 0.
func seriesTargets(spec *events.RunSpec) int {
	n := len(spec.Targets)
	for _, s := range spec.Scenarios {
		n += 1 + len(s.Steps)
		if s.Flow != nil {
			n += 5
		}
	}
	if n < 2 || n > maxSeriesTargets {
		return 0
	}
	return n
}

// thousands writes x, a whole number, with thousands separators.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ReduceTime is the longest the reduce of plan p may take on AWS, for
// whoever waits for its report: the reducer Lambda's timeout, or, when the
// run may go to a reducer task (counting as many series targets as a shard
// keeps: the plan alone does not say), the task's start (FargateLead) and
// the estimate's CPU time, if that is longer.
func ReduceTime(p *events.Plan) time.Duration {
	worst := &events.RunSpec{Targets: make([]events.Target, maxSeriesTargets)}
	d := time.Duration(stack.ReducerTimeoutSeconds) * time.Second
	if c := Reducer(p, worst); c.Kind == ReducerFargate {
		d = max(d, FargateLead+c.CPU)
	}
	return d
}
