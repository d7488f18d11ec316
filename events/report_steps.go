package events

// Step verdicts of a find-max load (StepReport.Verdict).
const (
	VerdictPass = "pass" // the step held the SLO at the offered rate
	VerdictFail = "fail" // the target broke the SLO
	// VerdictGenerator: the generator, not the target, limited the step: it
	// did not send the offered rate (drops, lost shards, stalls), or its own
	// delay or CPU saturation may explain the latencies that broke the SLO.
	VerdictGenerator = "generator-limited"
	// VerdictNotRun: the step has no judged second (the run ended first).
	VerdictNotRun = "not-run"
)

// What ended a find-max search (FindMaxReport.StoppedBy).
const (
	StoppedBySLO        = "slo"        // a step broke the SLO
	StoppedByGenerator  = "generator"  // a step was generator-limited
	StoppedByIncomplete = "incomplete" // a step did not run
	StoppedByMax        = "max"        // every step passed, up to find_max.max
)

// StepReport is one step of a stages or find-max load, judged over its whole
// seconds after the settle time: requests are placed in the second they
// completed, drops in the second they were due.
type StepReport struct {
	// Step numbers the step from 1 (a find-max warm-up is 0); Kind is
	// "warmup", "step" (find-max) or "stage".
	Step int    `json:"step"`
	Kind string `json:"kind"`
	// FromS and ToS bound the step, in seconds from the start of the run.
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
	// Rate is the step's planned rate at its start, RampTo at its end (absent
	// when constant).
	Rate   float64  `json:"rate"`
	RampTo *float64 `json:"ramp_to,omitempty"`
	// JudgedFromS and JudgedToS bound the seconds judged; JudgedS is their
	// number (0: the step ran too briefly to be judged).
	JudgedFromS float64 `json:"judged_from_s"`
	JudgedToS   float64 `json:"judged_to_s"`
	JudgedS     int     `json:"judged_s"`
	// OfferedRate is the planned arrivals per second over the judged seconds
	// (all shards, lost ones included); SentRate the requests sent per
	// second by the reporting shards; OKRate the successful responses per
	// second.
	OfferedRate float64 `json:"offered_rate"`
	SentRate    float64 `json:"sent_rate"`
	OKRate      float64 `json:"ok_rate"`
	// Requests, Success, Errors (transport errors and timeouts) and Dropped
	// count the judged seconds.
	Requests int64 `json:"requests"`
	Success  int64 `json:"success"`
	Errors   int64 `json:"errors"`
	Dropped  int64 `json:"dropped"`
	// ErrorRatio is (Requests − Success) / Requests: transport errors,
	// timeouts and statuses other than 2xx/3xx. Drops are not in it.
	ErrorRatio float64 `json:"error_ratio"`
	// LatencyMs merges the judged seconds' histograms exactly.
	LatencyMs Latency `json:"latency_ms"`
	// LagP99Ms and MaxCPUPercent are the generator's worst second in the
	// step: its p99 scheduling lag and its CPU use (of any shard).
	LagP99Ms      float64 `json:"lag_p99_ms"`
	MaxCPUPercent float64 `json:"max_cpu_pct"`
	// Verdict is one of the Verdict constants (find-max steps only), with
	// the reasons for it.
	Verdict string   `json:"verdict,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// FindMaxReport is the conclusion of a find-max load.
type FindMaxReport struct {
	// MaxSustainableRate is the rate of the highest passing step before the
	// first step that did not pass; 0 when the first step did not pass.
	MaxSustainableRate float64 `json:"max_sustainable_rate"`
	// FirstFailingRate is the rate of the step that ended the search (0 when
	// every step passed); StoppedBy says why it ended (StoppedBy constants).
	FirstFailingRate float64 `json:"first_failing_rate"`
	StoppedBy        string  `json:"stopped_by"`
	// SLO is what each step was judged against: p99_ms and p95_ms (0: not
	// checked) and error_ratio.
	SLO SLOReport `json:"slo"`
	// SettleS is the part of each step, in seconds, left out of its judgement.
	SettleS float64 `json:"settle_s"`
	// Conclusion says it in one sentence.
	Conclusion string `json:"conclusion"`
	// Search are the binary-search steps that followed the staircase
	// (find_max.search), each a run of its own at the middle of the last
	// passing and first failing rates; MaxSustainableRate and
	// FirstFailingRate are then their narrowed values.
	Search []SearchStep `json:"search,omitempty"`
}

// SearchStep is one step of a find-max binary search: the step's evidence
// and the run that measured it.
type SearchStep struct {
	RunID string `json:"run_id"`
	StepReport
}

// SLOReport is a find-max SLO in report units.
type SLOReport struct {
	P99Ms      float64 `json:"p99_ms"`
	P95Ms      float64 `json:"p95_ms"`
	ErrorRatio float64 `json:"error_ratio"`
}

// ThresholdResult is one threshold of the spec, judged.
type ThresholdResult struct {
	// Metric, Op, Target and Step are the threshold's (Op with its default).
	Metric string `json:"metric"`
	Op     string `json:"op"`
	Target string `json:"target,omitempty"`
	Step   int    `json:"step,omitempty"`
	// Value is the limit and Actual the measured figure, both in Unit: "ms"
	// for latencies, "ratio" for error_ratio, "per_s" for rate.
	Value  float64 `json:"value"`
	Actual float64 `json:"actual"`
	Unit   string  `json:"unit"`
	// Pass is whether "actual op value" held. A threshold without data (no
	// request in its target or step) fails, and Note says so.
	Pass bool   `json:"pass"`
	Note string `json:"note,omitempty"`
}
