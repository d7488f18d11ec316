package events

import "time"

// ShardResultVersion is the ShardResult schema version this package writes.
const ShardResultVersion = 1

// Histogram is a latency histogram in the wire encoding of package pkg/hist
// (base64 text in JSON). Empty means no samples were recorded.
type Histogram []byte

// Shard statuses, as reported by workers (complete, truncated) and by the
// reducer (lost, duplicate, missed).
const (
	StatusComplete  = "complete"  // ran its whole window
	StatusTruncated = "truncated" // stopped early: aborted, interrupted or out of time
	StatusLost      = "lost"      // planned, never reported
	StatusDuplicate = "duplicate" // a second delivery of a claimed shard; sent nothing
	StatusMissed    = "missed"    // delivered after its window; sent nothing
)

// Kinds of worker.
const (
	KindLocal   = "local"
	KindLambda  = "lambda"
	KindFargate = "fargate"
)

// ShardResult is everything one worker measured for one shard. Workers write
// it once; the reducer merges many into a Report.
type ShardResult struct {
	// Version is the schema version (ShardResultVersion).
	Version int `json:"version"`
	// RunID and ShardID name the run and the shard within it.
	RunID   string `json:"run_id"`
	ShardID string `json:"shard_id"`
	// Kind is the worker kind: KindLocal, KindLambda or KindFargate.
	Kind string `json:"kind"`
	// Status is StatusComplete or StatusTruncated.
	Status string `json:"status"`
	// StopReason says why a truncated shard stopped ("interrupted", "aborted",
	// "deadline", or "failed: …" for a claimed shard that could not start);
	// empty when complete.
	StopReason string `json:"stop_reason,omitempty"`
	// PlannedRate is the shard's mean planned arrivals per second; 0 for a
	// closed loop.
	PlannedRate float64 `json:"planned_rate"`
	// PlannedArrivals is how many arrivals the shard's schedule held for the
	// window it actually ran (0 for a closed loop).
	PlannedArrivals int64 `json:"planned_arrivals"`
	// StartedAt is when the shard's window started (time 0 of its own
	// schedule: ShardMessage.WindowStart, the run's start for a shard of
	// the first window).
	StartedAt time.Time `json:"started_at"`
	// SendSeconds is how long arrivals were scheduled (the send window).
	SendSeconds float64 `json:"send_s"`
	// EndedAt is when the last in-flight request finished.
	EndedAt time.Time `json:"ended_at"`
	// StartSkewMs is how late the worker started its schedule relative to the
	// planned start, in milliseconds (0 on a single local run).
	StartSkewMs float64 `json:"start_skew_ms"`
	// Counts are the shard's totals over all targets.
	Counts Counts `json:"counts"`
	// Latency is measured from each request's intended send time (due time):
	// it includes any wait for the generator, so it is free of coordinated
	// omission. LatencyUncorrected is measured from the actual send.
	Latency            Histogram `json:"latency"`
	LatencyUncorrected Histogram `json:"latency_uncorrected"`
	// Lag is the scheduling lag of sent arrivals: actual send minus due time.
	Lag Histogram `json:"lag"`
	// Targets breaks Counts and latencies down per target, in spec order.
	Targets []TargetResult `json:"targets"`
	// Series holds one point per second of the run, by completion time.
	Series []SeriesPoint `json:"series"`
	// Health is how the generator itself fared, sampled every second.
	Health Health `json:"health"`
	// Monitor is what the shard scraped of the spec's monitor endpoints
	// during its window, one entry per endpoint, its points at seconds
	// from the run's start. Only one shard per window scrapes (the one of
	// stripe index 0, pkg/monitor); the reducer joins the windows.
	Monitor []MonitorReport `json:"monitor,omitempty"`
}

// Counts are request counters. HTTP statuses go to StatusCodes, transport
// failures to Errors, never both.
type Counts struct {
	// Requests is how many requests were sent (or attempted: a failed dial
	// counts as a request with an error).
	Requests int64 `json:"requests"`
	// Success counts responses whose status is 2xx or 3xx.
	Success int64 `json:"success"`
	// Dropped counts arrivals not sent: every in-flight slot was busy, or
	// the scheduler reached them too late (DroppedLate, a part of Dropped).
	Dropped int64 `json:"dropped"`
	// DroppedLate counts arrivals the scheduler reached more than its late
	// limit after their due time (the generator was stalled), not sent.
	DroppedLate int64 `json:"dropped_late,omitempty"`
	// StatusCodes counts responses by status code ("200": n).
	StatusCodes map[string]int64 `json:"status_codes,omitempty"`
	// Errors counts failed requests by error class (see CONTRACT.md).
	Errors map[string]int64 `json:"errors,omitempty"`
	// ErrorDetails counts failed requests by "class detail", such as
	// "goaway ENHANCE_YOUR_CALM" or "reset ECONNRESET".
	ErrorDetails map[string]int64 `json:"error_details,omitempty"`
	// ErrorMessages holds, by error class, the first distinct messages of
	// the class's errors (at most MaxErrorMessages; a shard keeps them per
	// target, and its totals the first of its targets'), with how many
	// failed requests had each. Messages are redacted: no secret values, no
	// passwords in URLs, no tokens in their queries. The class's other
	// requests (Errors[class] less these counts) had messages not kept.
	ErrorMessages map[string][]ErrorMessage `json:"error_messages,omitempty"`
	// BytesIn and BytesOut are HTTP message bytes received and sent.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// MaxErrorMessages bounds the distinct error messages kept per error class:
// by each shard (the first ones), and in the report (the most frequent).
const MaxErrorMessages = 5

// MaxErrorDetails bounds the distinct details a report keeps per error
// class, for the run and for each target: the most frequent. Shards keep
// them all (a detail comes from a bounded set).
const MaxErrorDetails = 5

// ErrorMessage is one distinct error message and how many failed requests
// had it.
type ErrorMessage struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// Kinds of TargetResult.
const (
	// TargetIteration counts a scenario's iterations: one per arrival, its
	// latency from the arrival's due time to the end of its last step.
	TargetIteration = "iteration"
	// TargetStep is one step of a scenario: its requests, like a target's.
	TargetStep = "step"
)

// TargetResult is one target's share of a shard.
type TargetResult struct {
	// Name is the target's name from the spec; for a scenario, the
	// scenario's name (its iterations) or "SCENARIO/STEP".
	Name string `json:"name"`
	// Kind is empty for a target of the spec, TargetIteration for a
	// scenario's iterations, TargetStep for one of its steps.
	Kind string `json:"kind,omitempty"`
	// Group is the scenario a step or iteration belongs to.
	Group string `json:"group,omitempty"`
	// Counts are this target's counters; Dropped counts arrivals assigned to
	// it that were dropped.
	Counts Counts `json:"counts"`
	// Latency and LatencyUncorrected as in ShardResult.
	Latency            Histogram `json:"latency"`
	LatencyUncorrected Histogram `json:"latency_uncorrected"`
}

// SeriesPoint is one second of a shard's run. Requests are placed in the
// second in which they completed; drops in the second they were due.
type SeriesPoint struct {
	// T is the Unix time (seconds) at which the interval starts.
	T int64 `json:"t"`
	// Requests, Success and Errors count requests that completed in [T, T+1s).
	Requests int64 `json:"requests"`
	Success  int64 `json:"success"`
	Errors   int64 `json:"errors"`
	// ErrorsByClass (added, issue 13) breaks Errors down by error class
	// (class name: count, classes without errors left out); absent when
	// there were none, and in the results of older workers.
	ErrorsByClass map[string]int64 `json:"errors_by_class,omitempty"`
	// Dropped counts arrivals due in the interval that were dropped.
	Dropped int64 `json:"dropped"`
	// Latency holds the latencies (from intended send) of those requests.
	Latency Histogram `json:"latency"`
	// LatencyUncorrected (added, issue 13) holds the same requests'
	// latencies from their actual send; absent in the results of older
	// workers.
	LatencyUncorrected Histogram `json:"latency_uncorrected,omitempty"`
	// TargetLatency (added, issue 13) holds Latency per target, by target
	// name, for the targets with a latency in the second; absent for a run
	// of one target or of more than 16 (its scenarios' iterations and steps
	// count as targets), and in the results of older workers.
	TargetLatency map[string]Histogram `json:"target_latency,omitempty"`
	// TargetList is TargetLatency as a reader may hold it without a map
	// (pkg/reduce's decoder: a map a second weighs on a reduce of many
	// long shards): the same names and histograms, in the order of the
	// encoding. Not in the wire form; a point read holds one or the other,
	// and its readers take both (the histograms of a target in both add up).
	TargetList []NamedHistogram `json:"-"`
}

// NamedHistogram is a histogram and the name of what it measured.
type NamedHistogram struct {
	Name string
	Hist Histogram
}

// Health describes the generator: its limits and one sample per second.
type Health struct {
	// CPUs is how many CPUs the worker could use (GOMAXPROCS).
	CPUs int `json:"cpus"`
	// PortRangeLow and PortRangeHigh bound the ephemeral port range.
	PortRangeLow  int `json:"port_range_low"`
	PortRangeHigh int `json:"port_range_high"`
	// FDLimit is the soft limit on open file descriptors.
	FDLimit int `json:"fd_limit"`
	// LateLimitMs is how late, in milliseconds, the scheduler may send an
	// arrival before it drops it instead.
	LateLimitMs float64 `json:"late_limit_ms"`
	// Dials counts connections opened; DialErrors those that failed.
	Dials      int64 `json:"dials"`
	DialErrors int64 `json:"dial_errors"`
	// GoAways counts HTTP/2 GOAWAY frames received, by error code name.
	GoAways map[string]int64 `json:"goaways,omitempty"`
	// Samples holds one sample per second.
	Samples []HealthSample `json:"samples"`
}

// HealthSample is the generator's state over one second.
type HealthSample struct {
	// T is the Unix time (seconds) at which the sampled interval starts.
	T int64 `json:"t"`
	// IntervalS is the interval's length in seconds: 1, but for the last
	// one, which ends with the run.
	IntervalS float64 `json:"interval_s"`
	// PlannedRate and AchievedRate are arrivals due and requests sent in the
	// interval, per second.
	PlannedRate  float64 `json:"planned_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// LagP99Ms is the 99th percentile of scheduling lag in the interval.
	LagP99Ms float64 `json:"lag_p99_ms"`
	// Dropped counts arrivals dropped in the interval.
	Dropped int64 `json:"dropped"`
	// Inflight is the most requests in flight at once during the interval
	// (a journey's iteration counts as one while it runs); it never exceeds
	// the shard's in-flight cap.
	Inflight int64 `json:"inflight"`
	// OpenConns is the number of connections open at the sample time.
	OpenConns int64 `json:"open_conns"`
	// TimeWait counts sockets in TIME_WAIT towards the targets.
	TimeWait int `json:"time_wait"`
	// CPUPercent is the process's CPU use over the interval as a percentage
	// of the CPUs it may use (100 = all of them busy).
	CPUPercent float64 `json:"cpu_pct"`
	// StealPercent is the share of the host's CPU time in the interval that
	// its hypervisor gave to someone else (steal time), in percent.
	StealPercent float64 `json:"steal_pct"`
	// RSSBytes is the process's resident memory at the sample time.
	RSSBytes int64 `json:"rss_bytes"`
	// OpenFDs is the number of open file descriptors at the sample time.
	OpenFDs int `json:"open_fds"`
}
