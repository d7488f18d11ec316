package events

import "time"

// DispatchVersion is the Dispatch schema version this package writes.
const DispatchVersion = 1

// Dispatch records how far the dispatch of one window of a run on AWS got.
// The dispatcher writes it after every step, so that a dispatch retried
// after a failure (Lambda retries a failed asynchronous invocation) redoes
// only what is missing, and so that the reducer can say why a shard never
// ran. It is stored at runs/{run}/dispatch/w{window}.json.
type Dispatch struct {
	// Version is the schema version (DispatchVersion).
	Version int `json:"version"`
	// RunID and Window name the run and the window.
	RunID  string `json:"run_id"`
	Window int    `json:"window"`
	// Scheduled is set once window 0 has created the reducer's schedule at
	// the run's deadline and the later windows' schedules.
	Scheduled bool `json:"scheduled,omitempty"`
	// Sent is set once every shard message of the window is in its queue.
	Sent bool `json:"sent,omitempty"`
	// Invoked counts the worker Lambda invocations Lambda accepted.
	Invoked int `json:"invoked,omitempty"`
	// Reinvoked counts further invocations made because shards were still
	// unclaimed at their start (an accepted asynchronous invocation may
	// never run: throttled, then dropped after its maximum event age).
	Reinvoked int `json:"reinvoked,omitempty"`
	// Tasks are the ARNs of the Fargate tasks started for the window.
	Tasks []string `json:"tasks,omitempty"`
	// Stopped says why, per task ARN, a task stopped before it ran (an
	// image that could not be pulled, no network interface, no capacity).
	Stopped map[string]string `json:"stopped,omitempty"`
	// Done is set once every step finished and shards still unclaimed at
	// their not_after were marked missed, with the reason.
	Done bool `json:"done,omitempty"`
	// Refused says why the window was not dispatched at all, such as "the
	// run was aborted".
	Refused string `json:"refused,omitempty"`
	// Errors lists the attempts that failed, oldest first, each as
	// "RFC3339-time step: error".
	Errors []string `json:"errors,omitempty"`
	// UpdatedAt is when the record was last written.
	UpdatedAt time.Time `json:"updated_at"`
}
