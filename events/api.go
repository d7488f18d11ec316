package events

// The bodies of the REST API (CONTRACT.md, "REST API"): the API function
// answers them, the command line (barrage run --backend aws, status, abort)
// and scripts send and read them.

// SubmitRequest is the body of POST /runs: a RunSpec, optionally with the
// run's id and the kind of worker.
type SubmitRequest struct {
	RunSpec
	// RunID names the run; the same id again answers the stored run. Empty:
	// the API makes one (or derives it from the Idempotency-Key header).
	RunID string `json:"run_id,omitempty"`
	// Kind is the kind of worker to run on (KindLambda or KindFargate);
	// empty lets the planner choose.
	Kind string `json:"kind,omitempty"`
}

// SubmitResponse is the answer to POST /runs (202).
type SubmitResponse struct {
	// RunID names the run.
	RunID string `json:"run_id"`
	// New is false when the run was stored by an earlier request.
	New bool `json:"new"`
	// Plan is the run's plan.
	Plan *Plan `json:"plan"`
}

// ErrorBody is the body of an error answer (400, 404, 500, 502).
type ErrorBody struct {
	// Error says what is wrong, on one line.
	Error string `json:"error"`
	// Field names what is wrong in the request, such as "load.rate",
	// "run_id", "format", or "quota" for a plan that does not fit the
	// account's quotas.
	Field string `json:"field,omitempty"`
}

// Run states (RunStatus.State).
const (
	StatePlanned  = "planned"  // stored, not started
	StateRunning  = "running"  // inside its schedule
	StateReducing = "reducing" // schedule over, no report yet
	StateComplete = "complete" // reported, every shard covered
	StatePartial  = "partial"  // reported, some shards lost or missed
	StateAborted  = "aborted"  // the abort marker exists
)

// RunStatus is a run's state for people and scripts: the body of
// GET /runs/{id} and of barrage status --json (orchestrator.Status embeds
// it, with what the backends keep to themselves).
type RunStatus struct {
	// RunID names the run.
	RunID string `json:"run_id"`
	// State is one of the State constants.
	State string `json:"state"`
	// Shards counts the plan's shards and what became of them.
	Shards ShardCounts `json:"shards"`
	// Requests and Rate sum the shards' latest progress: requests so far
	// and requests per second; once the run is reported, Requests is the
	// report's.
	Requests int64   `json:"requests"`
	Rate     float64 `json:"rate"`
	// StartAt is the run's start, when arrival 0 is due (Plan.StartAt), and
	// Deadline when the reducer reports whatever has arrived (Plan.Deadline);
	// both RFC 3339, to the second.
	StartAt  string `json:"start_at"`
	Deadline string `json:"deadline"`
	// Live is each running shard's latest progress (pkg/live judges it:
	// thresholds with an abort, a find-max staircase's end).
	Live []LiveShard `json:"live,omitempty"`
}

// ShardCounts counts a run's planned shards, those a worker claimed, those
// with a result, and those missed (delivered after their window, or taken
// by no worker in time).
type ShardCounts struct {
	Planned  int `json:"planned"`
	Claimed  int `json:"claimed"`
	Reported int `json:"reported"`
	Missed   int `json:"missed"`
}

// AbortResponse is the answer to DELETE /runs/{id}: workers stop within 2 s.
type AbortResponse struct {
	// RunID names the run; State is StateAborted.
	RunID string `json:"run_id"`
	State string `json:"state"`
}

// ReportLink is the answer to GET /runs/{id}/report?format=txt|md where
// the store can presign: where to download the rendering.
type ReportLink struct {
	// ExpiresIn is how long URL stays valid, as a Go duration ("15m").
	ExpiresIn string `json:"expires_in"`
	// Format is the rendering asked for: txt, text or md.
	Format string `json:"format"`
	// RunID names the run.
	RunID string `json:"run_id"`
	// URL is the presigned address of the rendering.
	URL string `json:"url"`
}
