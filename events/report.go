package events

import "time"

// ReportVersion is the Report schema version this package writes.
const ReportVersion = 1

// Report is the merged result of a run: report.json. Its field names are part
// of the public contract (CONTRACT.md). Times are in milliseconds unless the
// name says otherwise.
type Report struct {
	// Version is the schema version (ReportVersion).
	Version int `json:"version"`
	// RunID names the run; Name is the spec's name, if any.
	RunID string `json:"run_id"`
	Name  string `json:"name,omitempty"`
	// StartedAt is when the schedule started (arrival 0 was due).
	StartedAt time.Time `json:"started_at"`
	// Mode is the connection mode: "keepalive", "new-connection", "http2", "h2c"
	// (the last two with "-new-connection" when keep-alive is off).
	Mode string `json:"mode"`
	// TargetRate is the planned arrivals per second (sum over shards; the
	// mean for a ramp; 0 for a closed loop).
	TargetRate float64 `json:"target_rate"`
	// AchievedRate is requests sent per second over the send window.
	AchievedRate float64 `json:"achieved_rate"`
	// Throughput is successful responses per second over the send window.
	Throughput float64 `json:"throughput"`
	// DurationS is the send window in seconds.
	DurationS float64 `json:"duration_s"`
	// Requests, Success and Dropped are totals over all shards; SuccessRatio is
	// Success/Requests.
	Requests     int64   `json:"requests"`
	Success      int64   `json:"success"`
	SuccessRatio float64 `json:"success_ratio"`
	Dropped      int64   `json:"dropped"`
	// DroppedLate is the part of Dropped that the scheduler reached too late
	// to send (the generator stalled) rather than finding every slot busy.
	DroppedLate int64 `json:"dropped_late"`
	// LateLimitMs is the late limit the shards' schedulers used: how late,
	// in milliseconds, an arrival could be and still be sent (spec
	// late_limit); 0 means none: late arrivals were sent, their lag counted.
	LateLimitMs float64 `json:"late_limit_ms"`
	// LatencyMs is measured from the intended send time (no coordinated
	// omission); LatencyUncorrectedMs from the actual send; LagMs is the
	// scheduling lag (actual send minus intended send).
	LatencyMs            Latency `json:"latency_ms"`
	LatencyUncorrectedMs Latency `json:"latency_uncorrected_ms"`
	LagMs                Latency `json:"lag_ms"`
	// StatusCodes and Errors are as in Counts; ErrorDetails are, by error
	// class, the most frequent of the class's details (at most
	// MaxErrorDetails), as "class detail": n.
	StatusCodes  map[string]int64 `json:"status_codes"`
	Errors       map[string]int64 `json:"errors"`
	ErrorDetails map[string]int64 `json:"error_details,omitempty"`
	// ErrorMessages are, by error class, the most frequent of the messages
	// the shards kept (Counts.ErrorMessages), at most MaxErrorMessages.
	ErrorMessages map[string][]ErrorMessage `json:"error_messages,omitempty"`
	// BytesIn and BytesOut are HTTP message bytes received and sent.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// Targets breaks the results down per target, in spec order.
	Targets []TargetReport `json:"targets"`
	// Shards lists every planned shard and what became of it.
	Shards []ShardReport `json:"shards"`
	// Coverage is the fraction of planned arrivals whose shards reported.
	Coverage float64 `json:"coverage"`
	// StartSkewMs summarises how late the reporting shards began their
	// windows (p50, p99, max; the other fields are zero).
	StartSkewMs Latency `json:"start_skew_ms"`
	// LatencyPercentiles (added, issue 13) is the run's latency at many
	// percentiles, the HdrHistogram percentile plot's data; absent
	// without a latency.
	LatencyPercentiles *Percentiles `json:"latency_percentiles,omitempty"`
	// TimeSeries has one point per second of the run.
	TimeSeries []SeriesReport `json:"time_series"`
	// Health summarises the generator over all shards.
	Health HealthSummary `json:"health"`
	// Warnings explain results the generator may have distorted: saturation,
	// drops, port or file-descriptor pressure, lost shards.
	Warnings []string `json:"warnings"`
	// Monitor has the series scraped from the spec's monitor endpoints
	// (the server's own Prometheus metrics), one entry per endpoint.
	Monitor []MonitorReport `json:"monitor,omitempty"`
	// Steps has the evidence of each step of a stages or find-max load.
	Steps []StepReport `json:"steps,omitempty"`
	// FindMax is the conclusion of a find-max load.
	FindMax *FindMaxReport `json:"find_max,omitempty"`
	// Thresholds are the spec's thresholds, judged; Passed is false when
	// any of them failed (true when there are none).
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	Passed     bool              `json:"passed"`
	// NothingSucceeded: arrivals were sent (or dropped) and not one of them
	// succeeded: no request of a plain target got a 2xx/3xx answer, no
	// scenario iteration completed. Warnings then start with it, and Passed
	// is false unless ExpectFailures, the spec's expect_failures, is set.
	NothingSucceeded bool `json:"nothing_succeeded,omitempty"`
	ExpectFailures   bool `json:"expect_failures,omitempty"`
}

// Latency summarises a histogram, in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Percentiles is a latency distribution, from the HdrHistogram, at the
// quantiles Q: q = 1 − 10^(−k/10) for k = 0, 1, … while 1/(1−q) is at most
// the number of latencies (q = 0 is the minimum; 10 points a decade of
// HdrHistogram's x axis 1/(1−q)), in milliseconds.
type Percentiles struct {
	Q []float64 `json:"q"`
	// Ms is the latency from the intended send at each q; UncorrectedMs
	// from the actual send.
	Ms            []float64 `json:"ms"`
	UncorrectedMs []float64 `json:"uncorrected_ms"`
}

// TargetReport is one target's share of the run.
type TargetReport struct {
	Name string `json:"name"`
	// Kind and Group as in TargetResult: a scenario's iterations
	// ("iteration") and steps ("step"), and the scenario they belong to.
	Kind         string  `json:"kind,omitempty"`
	Group        string  `json:"group,omitempty"`
	Requests     int64   `json:"requests"`
	Success      int64   `json:"success"`
	SuccessRatio float64 `json:"success_ratio"`
	Dropped      int64   `json:"dropped"`
	LatencyMs    Latency `json:"latency_ms"`
	// PercentilesMs (added, issue 13) is the target's latency at the run's
	// LatencyPercentiles.Q.
	PercentilesMs []float64        `json:"percentiles_ms,omitempty"`
	StatusCodes   map[string]int64 `json:"status_codes"`
	Errors        map[string]int64 `json:"errors"`
	// ErrorDetails and ErrorMessages say what the target's errors were, as
	// the run's do (Report.ErrorDetails, Report.ErrorMessages): a scenario's
	// iterations name the step that failed ("unexpected_status STEP:
	// STATUS", "extract STEP: VARIABLE").
	ErrorDetails  map[string]int64          `json:"error_details,omitempty"`
	ErrorMessages map[string][]ErrorMessage `json:"error_messages,omitempty"`
}

// ShardReport is one shard of the run.
type ShardReport struct {
	ShardID string `json:"shard_id"`
	// Kind is local, lambda or fargate; Status is one of the Status constants.
	Kind        string  `json:"kind"`
	Status      string  `json:"status"`
	PlannedRate float64 `json:"planned_rate"`
	Requests    int64   `json:"requests"`
	// AchievedRate is the shard's requests per second over its send window.
	AchievedRate float64       `json:"achieved_rate"`
	Dropped      int64         `json:"dropped"`
	StartSkewMs  float64       `json:"start_skew_ms"`
	Health       HealthSummary `json:"health"`
	// Reason says why a shard did not run its whole window: why it was
	// lost or missed (never dispatched, no worker took it in time, its
	// worker died), or a truncated shard's stop reason. Empty when complete.
	Reason string `json:"reason,omitempty"`
}

// SeriesReport is one second of the merged run.
type SeriesReport struct {
	// T is the Unix time (seconds) at which the second starts; ElapsedS is
	// T minus the run's start, in seconds.
	T        int64 `json:"t"`
	ElapsedS int64 `json:"elapsed_s"`
	Requests int64 `json:"requests"`
	Success  int64 `json:"success"`
	Errors   int64 `json:"errors"`
	// ErrorsByClass (added, issue 13) breaks Errors down by error class,
	// summed over the shards; absent when the second had no errors (or its
	// shards' workers predate it).
	ErrorsByClass map[string]int64 `json:"errors_by_class,omitempty"`
	Dropped       int64            `json:"dropped"`
	P50Ms         float64          `json:"p50_ms"`
	// P90Ms, P99Ms and MaxMs (added, issue 13) are the second's other
	// latency figures, from the intended send, like P50Ms.
	P90Ms float64 `json:"p90_ms,omitempty"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms,omitempty"`
	// P99UncorrectedMs (added, issue 13) is the second's p99 from the
	// actual send, merged exactly over the shards; absent when no shard
	// kept it.
	P99UncorrectedMs float64 `json:"p99_uncorrected_ms,omitempty"`
	// PlannedRate (added, issue 13) is the arrivals due in the second per
	// second, over the shards that reported (their health samples); SentRate
	// the requests they sent in it, by send time (Requests counts them by
	// completion).
	PlannedRate float64 `json:"planned_rate,omitempty"`
	SentRate    float64 `json:"sent_rate,omitempty"`
	// Health (added, issue 13) is the generator over the second, merged over
	// the shards that sampled it; absent when none did.
	Health *SeriesHealth `json:"health,omitempty"`
}

// SeriesHealth is one second of the generator's health over its shards:
// the least and the most of each shard's sample, and the totals of in
// flight and open connections. A sample covering less than half a second
// (a shard's last) counts for the gauges, not for CPU, steal and lag.
type SeriesHealth struct {
	// Shards is how many shards sampled the second.
	Shards int `json:"shards"`
	// MinCPUPercent and MaxCPUPercent bound the shards' CPU use (percent
	// of the CPUs each may use); the steal and lag figures likewise.
	MinCPUPercent   float64 `json:"min_cpu_pct"`
	MaxCPUPercent   float64 `json:"max_cpu_pct"`
	MinStealPercent float64 `json:"min_steal_pct"`
	MaxStealPercent float64 `json:"max_steal_pct"`
	MinLagP99Ms     float64 `json:"min_lag_p99_ms"`
	MaxLagP99Ms     float64 `json:"max_lag_p99_ms"`
	// Inflight and OpenConns add up the shards' samples; the Min and Max
	// fields bound one shard's.
	Inflight     int64 `json:"inflight"`
	MinInflight  int64 `json:"min_inflight"`
	MaxInflight  int64 `json:"max_inflight"`
	OpenConns    int64 `json:"open_conns"`
	MinOpenConns int64 `json:"min_open_conns"`
	MaxOpenConns int64 `json:"max_open_conns"`
	// MinTimeWait and MaxTimeWait bound the shards' TIME_WAIT counts (not
	// added up: shards on one host count the same sockets).
	MinTimeWait int `json:"min_time_wait"`
	MaxTimeWait int `json:"max_time_wait"`
}

// HealthSummary is the worst of a generator's health samples.
type HealthSummary struct {
	// MaxCPUPercent is the highest per-second CPU use, in percent of the
	// CPUs available; MeanCPUPercent the average.
	MaxCPUPercent  float64 `json:"max_cpu_pct"`
	MeanCPUPercent float64 `json:"mean_cpu_pct"`
	// MaxStealPercent is the highest per-second share of the host's CPU
	// taken by its hypervisor (steal time).
	MaxStealPercent float64 `json:"max_steal_pct"`
	// MaxLagP99Ms is the highest per-second p99 scheduling lag.
	MaxLagP99Ms float64 `json:"max_lag_p99_ms"`
	// MinAchievedRatio is the lowest achieved/planned rate over full seconds
	// of the send window (1 when not rate-limited or in a closed loop).
	MinAchievedRatio float64 `json:"min_achieved_ratio"`
	// MaxInflight, MaxOpenConns, MaxTimeWait, MaxOpenFDs are peaks.
	MaxInflight  int64 `json:"max_inflight"`
	MaxOpenConns int64 `json:"max_open_conns"`
	MaxTimeWait  int   `json:"max_time_wait"`
	MaxOpenFDs   int   `json:"max_open_fds"`
	// PeakRSSBytes is the highest resident memory sampled.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// FDLimit and the port range are the generator's limits.
	FDLimit       int `json:"fd_limit"`
	PortRangeSize int `json:"port_range_size"`
	// Dials and DialErrors count connections opened and failed.
	Dials      int64 `json:"dials"`
	DialErrors int64 `json:"dial_errors"`
	// GoAways counts HTTP/2 GOAWAY frames received by code.
	GoAways map[string]int64 `json:"goaways,omitempty"`
}

// MonitorReport is what was scraped from one Prometheus endpoint of the
// spec's monitor section during the run: every second, the series kept.
// Scrape failures are counted, never fatal.
type MonitorReport struct {
	// URL is the endpoint scraped.
	URL string `json:"url"`
	// Scrapes counts the scrapes made, Failures those that failed (no
	// answer, not 200, not Prometheus text); LastError says why the last
	// failure failed.
	Scrapes   int64  `json:"scrapes"`
	Failures  int64  `json:"failures"`
	LastError string `json:"last_error,omitempty"`
	// SeriesDropped counts the matching series not kept, beyond
	// MaxMonitorSeries; the report warns when it is not 0.
	SeriesDropped int `json:"series_dropped,omitempty"`
	// Series are the series kept, in the order of their first scrape.
	Series []MonitorSeries `json:"series"`
}

// MonitorSeries is one scraped series: a metric and its labels, over time.
type MonitorSeries struct {
	// Metric is the series' name; a histogram's or summary's parts carry
	// their suffix (_bucket, _sum, _count) and labels (le, quantile).
	Metric string            `json:"metric"`
	Labels map[string]string `json:"labels,omitempty"`
	// Type is the metric's type: counter, gauge, histogram, summary or
	// untyped.
	Type string `json:"type"`
	// Points are the values scraped, one per successful scrape.
	Points []MonitorPoint `json:"points"`
}

// MonitorPoint is one scraped value, at ElapsedS seconds from the run's
// start (on the time axis of TimeSeries).
type MonitorPoint struct {
	ElapsedS float64 `json:"elapsed_s"`
	Value    float64 `json:"value"`
}
