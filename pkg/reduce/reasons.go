package reduce

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// Reasons says, for every shard of p without a result, why it has none, in
// words a user can act on: the reason a missed marker records (delivered
// too late, or no worker took it in time), the worker that claimed it and
// then never reported, or how far its window's dispatch got (never
// dispatched, refused after an abort, failed at a step).
func Reasons(ctx context.Context, st store.Store, p *events.Plan, state map[string]ShardState) map[string]string {
	out := map[string]string{}
	dispatch := map[int]*events.Dispatch{}
	var keys, shards []string
	var missed []bool
	for _, s := range p.Shards {
		ss := state[s.ShardID]
		switch {
		case ss.Result:
		case ss.Missed:
			keys, shards, missed = append(keys, store.MissedKey(p.RunID, s.ShardID)), append(shards, s.ShardID), append(missed, true)
		case ss.Claimed:
			keys, shards, missed = append(keys, store.ClaimKey(p.RunID, s.ShardID)), append(shards, s.ShardID), append(missed, false)
		default:
			if _, ok := dispatch[s.Window]; !ok {
				dispatch[s.Window] = readDispatch(ctx, st, p.RunID, s.Window)
			}
			out[s.ShardID] = unclaimed(p, s, dispatch[s.Window])
		}
	}
	bodies, errs := store.GetMany(ctx, st, keys)
	for i, shard := range shards {
		var c events.Claim
		err := errs[i]
		if err == nil {
			err = json.Unmarshal(bodies[i], &c)
		}
		switch {
		case missed[i] && err == nil && c.Reason != "":
			out[shard] = c.Reason
		case missed[i]:
			out[shard] = "delivered to a worker after its not_after"
		case err != nil:
			out[shard] = "claimed by a worker that never reported a result"
		default:
			out[shard] = fmt.Sprintf("claimed by %s at %s, which never reported a result: the worker stopped (crashed, ran out of time or was killed) before it uploaded",
				c.Worker, c.At.UTC().Format(time.RFC3339))
		}
	}
	return out
}

// readDispatch reads window w's dispatch record; nil if there is none.
func readDispatch(ctx context.Context, st store.Store, run string, w int) *events.Dispatch {
	var d events.Dispatch
	if err := store.GetJSON(ctx, st, store.DispatchKey(run, w), &d); err != nil {
		return nil
	}
	return &d
}

// unclaimed explains a shard that no worker claimed or marked missed.
func unclaimed(p *events.Plan, s events.PlanShard, d *events.Dispatch) string {
	switch {
	case p.Backend != "aws":
		return "no worker took it (the worker processes ended first)"
	case d == nil && s.Window > 0:
		return fmt.Sprintf("window %d was never dispatched: its schedule did not fire (see the scheduler function's logs and the dead-letter queue)", s.Window)
	case d == nil:
		return "the run was never dispatched: the hand-over to the scheduler function failed (see its logs and the dead-letter queue)"
	case d.Refused != "":
		return fmt.Sprintf("window %d was not dispatched: %s", s.Window, d.Refused)
	case !d.Sent:
		return fmt.Sprintf("window %d's shard messages were never sent: %s", s.Window, lastError(d))
	case !d.Done:
		return fmt.Sprintf("window %d's dispatch did not finish (%s): %s", s.Window, progress(d), lastError(d))
	}
	return fmt.Sprintf("no worker took it (%s)", progress(d))
}

// progress says what a dispatch record says was started.
func progress(d *events.Dispatch) string {
	var parts []string
	if d.Sent {
		parts = append(parts, "messages sent")
	}
	if d.Invoked+d.Reinvoked > 0 {
		parts = append(parts, fmt.Sprintf("%d worker invocations accepted", d.Invoked+d.Reinvoked))
	}
	if len(d.Tasks) > 0 {
		parts = append(parts, fmt.Sprintf("%d tasks started, %d stopped before running", len(d.Tasks), len(d.Stopped)))
	}
	if len(parts) == 0 {
		return "nothing started"
	}
	return strings.Join(parts, ", ")
}

func lastError(d *events.Dispatch) string {
	if len(d.Errors) == 0 {
		return "no error recorded"
	}
	return "last error: " + d.Errors[len(d.Errors)-1]
}
