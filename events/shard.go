package events

import "time"

// ShardMessageVersion and PlanVersion are the schema versions this package
// writes.
const (
	ShardMessageVersion = 1
	PlanVersion         = 1
)

// ShardMessage tells a worker which shard to run. It is small on purpose
// (SQS messages are capped, and many are sent): it points at the stored
// spec rather than carrying it.
//
// The shard sends stripe Index of Count of the run's global schedule (every
// Count-th arrival, starting at arrival Index), restricted to the arrivals
// due in [WindowFrom, WindowTo) of the schedule: a run longer than one worker
// may last is cut into consecutive windows, each its own shard.
type ShardMessage struct {
	// Version is the schema version (ShardMessageVersion).
	Version int `json:"version"`
	// RunID and ShardID name the run and the shard.
	RunID   string `json:"run_id"`
	ShardID string `json:"shard_id"`
	// Kind is the kind of worker the planner meant the shard for.
	Kind string `json:"kind"`
	// Index and Count: the shard takes arrivals Index, Index+Count, … of the
	// global schedule.
	Index int `json:"index"`
	Count int `json:"count"`
	// Load and Duration are the run's global rate profile.
	Load     Load     `json:"load"`
	Duration Duration `json:"duration"`
	// WindowFrom and WindowTo bound the part of the global schedule this
	// shard sends, as offsets from StartAt.
	WindowFrom Duration `json:"window_from"`
	WindowTo   Duration `json:"window_to"`
	// StartAt is when arrival 0 of the global schedule is due; the shard's
	// window starts at StartAt + WindowFrom.
	StartAt time.Time `json:"start_at"`
	// NotAfter: a delivery received after it sends nothing (the shard is
	// marked missed).
	NotAfter time.Time `json:"not_after"`
	// MaxInflight caps the shard's in-flight requests (0: the engine's default).
	MaxInflight int `json:"max_inflight,omitempty"`
	// SpecKey is where the run's RunSpec is stored.
	SpecKey string `json:"spec_key"`
}

// WindowStart is when the shard's window starts.
func (m *ShardMessage) WindowStart() time.Time { return m.StartAt.Add(m.WindowFrom.D()) }

// WindowEnd is when the shard's window ends.
func (m *ShardMessage) WindowEnd() time.Time { return m.StartAt.Add(m.WindowTo.D()) }

// Plan is a run's plan (plan.json): its shards and the planner's reasons,
// in numbers a user can check, with the estimated AWS cost.
type Plan struct {
	// Version is the schema version (PlanVersion).
	Version int `json:"version"`
	// RunID names the run.
	RunID string `json:"run_id"`
	// Backend is "local" or "aws".
	Backend string `json:"backend"`
	// StartAt is when arrival 0 of the schedule is due.
	StartAt time.Time `json:"start_at"`
	// Deadline is when the reducer reports whatever has arrived: the end of
	// the schedule plus the grace for requests in flight and uploads.
	Deadline time.Time `json:"deadline"`
	// Shards lists every shard.
	Shards []PlanShard `json:"shards"`
	// Reasons explain the number, kind and size of the shards.
	Reasons []string `json:"reasons"`
	// CostUSD is the estimated AWS cost of the run (0 on the local backend),
	// computed from Prices.
	CostUSD float64 `json:"cost_usd"`
	// Prices is the dated price table the estimate used.
	Prices Prices `json:"prices"`
	// Warnings say where the plan breaks a limit, for instance because of a
	// --workers override, or where one host cannot sustain it.
	Warnings []string `json:"warnings"`
}

// PlanShard is one shard of a plan.
type PlanShard struct {
	ShardID string `json:"shard_id"`
	// Kind is "local", "lambda" or "fargate".
	Kind string `json:"kind"`
	// Index and Count: stripe Index of Count of the global schedule.
	Index int `json:"index"`
	Count int `json:"count"`
	// Window numbers the shard's window among consecutive windows (0 first).
	Window int `json:"window"`
	// Rate is the shard's share of the mean arrival rate, per second.
	Rate float64 `json:"rate"`
	// WindowFrom and WindowTo bound the shard's part of the schedule.
	WindowFrom Duration `json:"window_from"`
	WindowTo   Duration `json:"window_to"`
	// StartAt and NotAfter: the shard's window starts at StartAt; a worker
	// that receives it after NotAfter sends nothing.
	StartAt  time.Time `json:"start_at"`
	NotAfter time.Time `json:"not_after"`
	// MemoryMB sizes a Lambda worker; VCPU a Fargate task or a local share.
	MemoryMB int     `json:"memory_mb,omitempty"`
	VCPU     float64 `json:"vcpu,omitempty"`
	// MaxInflight caps the shard's in-flight requests.
	MaxInflight int `json:"max_inflight"`
}

// Prices is a dated AWS price table (US East, arm64), in US dollars.
type Prices struct {
	// Date is when the prices were read, Region where they apply.
	Date   string `json:"date"`
	Region string `json:"region"`
	// LambdaGBSecond and LambdaRequest price Lambda compute and invocations.
	LambdaGBSecond float64 `json:"lambda_gb_second"`
	LambdaRequest  float64 `json:"lambda_request"`
	// FargateVCPUHour and FargateGBHour price Fargate tasks.
	FargateVCPUHour float64 `json:"fargate_vcpu_hour"`
	FargateGBHour   float64 `json:"fargate_gb_hour"`
	// SQSRequest, S3Put and S3Get price queue and store requests.
	SQSRequest float64 `json:"sqs_request"`
	S3Put      float64 `json:"s3_put"`
	S3Get      float64 `json:"s3_get"`
}

// Claim is what a worker writes when it claims a shard.
type Claim struct {
	// Worker identifies the claimant: host, process, kind.
	Worker string `json:"worker"`
	// At is when it claimed the shard.
	At time.Time `json:"at"`
	// Nonce is random: a worker whose conditional create was retried after
	// succeeding (its answer lost) finds its own nonce and knows the claim is
	// its own, not a rival's.
	Nonce string `json:"nonce,omitempty"`
	// Reason, in a missed marker, says why the shard sent nothing (delivered
	// after its not_after, or no worker took it in time); the report shows it.
	Reason string `json:"reason,omitempty"`
}
