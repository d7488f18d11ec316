package events

// The payloads of the deployment's Lambda invocations. Each function tells
// its payloads apart by their content (an S3 or SQS event's Records, a
// dispatch's action), so they carry no version: a field is only ever added,
// and an older reader ignores it.

// ActionDispatch is DispatchPayload.Action.
const ActionDispatch = "dispatch"

// DispatchPayload asks the scheduler function to dispatch one window of a
// stored run (send its shard messages, start its workers). The API writes it
// when it hands a new run over (an asynchronous Invoke), and the dispatch of
// window 0 writes one per later window into an EventBridge schedule at the
// window's start less its lead.
type DispatchPayload struct {
	// Action is ActionDispatch: what tells this payload from a
	// StoredSpecPayload.
	Action string `json:"action"`
	// RunID names the run, which is stored (spec.json, plan.json).
	RunID string `json:"run_id"`
	// Window numbers the window to dispatch (PlanShard.Window).
	Window int `json:"window"`
}

// ReducePayload asks the reducer function to report a run whatever has
// arrived. The dispatch of window 0 writes it into an EventBridge schedule at
// the run's deadline; a status read writes it (an asynchronous Invoke) for a
// run that should have its report and has none. (The reducer's other input,
// an S3 event for a shard's result, reduces a run once every shard has
// reported.)
type ReducePayload struct {
	// RunID names the run.
	RunID string `json:"run_id"`
}

// WorkerPayload is the asynchronous invocation of the worker function that
// the dispatcher makes once per Lambda shard: take shards from the Lambda
// queue until one ran (or the queue stays idle). The worker runs whichever
// due shard it receives, of any run.
type WorkerPayload struct {
	// RunID names the run the worker was started for; for the logs.
	RunID string `json:"run_id"`
}

// WorkerResponse is what the worker function answers an asynchronous
// invocation (Lambda keeps it in its logs and destinations; no one waits for
// it). An SQS event is answered with the partial batch failures instead.
type WorkerResponse struct {
	// Outcomes says what became of each delivery, in order: StatusComplete,
	// StatusTruncated, StatusMissed, StatusDuplicate, "aborted" (its run was
	// aborted before it started), or "" (not a shard message).
	Outcomes []string `json:"outcomes"`
}

// StoredSpecPayload starts a run of a spec stored in the bucket: the input
// of a recurring EventBridge schedule (the stack's scheduled runs), read by
// the scheduler function. The run's id derives from Schedule and Time, so
// that a schedule delivered twice starts one run.
type StoredSpecPayload struct {
	// Schedule is the schedule's name.
	Schedule string `json:"schedule"`
	// SpecKey is the spec's key in the bucket, such as specs/nightly.yaml.
	SpecKey string `json:"spec_key"`
	// Time is the scheduled time (RFC 3339): the schedule's input sets it to
	// "<aws.scheduler.scheduled-time>".
	Time string `json:"time"`
	// Kind is the kind of worker to run on (KindLambda or KindFargate);
	// empty lets the planner choose.
	Kind string `json:"kind,omitempty"`
}
