package worker

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/queue"
)

// ServeOptions bound a worker's queue loop.
type ServeOptions struct {
	// Visibility is how long a received shard stays hidden from other
	// workers; it is extended every third of it while the shard runs.
	// Default 60 s.
	Visibility time.Duration
	// Wait is the long-poll wait of each receive; default 20 s (SQS's most).
	Wait time.Duration
	// IdleExit ends the loop after this long without a delivery; 0 never.
	IdleExit time.Duration
	// MaxShards ends the loop after this many shards ran; 0 no limit. Only a
	// shard that ran counts: a delivery found missed, a duplicate, one of an
	// aborted run, or not a shard at all is acknowledged and the loop goes
	// on, so a stale message left in a shared queue (an earlier run's, or a
	// second delivery) never uses up a worker meant for a shard that is due.
	MaxShards int
	// MinTimeLeft stops taking deliveries once less than this remains before
	// the Runtime's Deadline (a Lambda's): a shard received later could not
	// run its window. 0 means DefaultUploadMargin plus 30 s.
	MinTimeLeft time.Duration
}

// Ran reports whether a delivery with outcome o ran a shard (and so counts
// against ServeOptions.MaxShards).
func (o Outcome) Ran() bool { return o == Complete || o == Truncated }

// Serve receives shards from q and runs them one at a time, acknowledging
// each after it ran (or was found missed, a duplicate or aborted), until ctx
// ends, the queue is idle for IdleExit, MaxShards shards ran, or the
// worker's deadline is too close for another. It returns the outcomes in
// order.
//
// A worker runs whichever due shard it receives, of any run: the queue of a
// deployment is shared, and as many workers are started as shards were
// sent, so a worker that takes another run's due shard leaves its own to
// that run's worker. Releasing it instead would count a receive against the
// queue's redrive limit and send the shard to the dead-letter queue.
func (r *Runtime) Serve(ctx context.Context, q queue.Queue, o ServeOptions) ([]Outcome, error) {
	if o.Visibility == 0 {
		o.Visibility = 60 * time.Second
	}
	if o.Wait == 0 {
		o.Wait = 20 * time.Second
	}
	if o.MinTimeLeft == 0 {
		o.MinTimeLeft = DefaultUploadMargin + 30*time.Second
	}
	var outcomes []Outcome
	ran := 0
	idleSince := time.Now()
	for ctx.Err() == nil && (o.MaxShards == 0 || ran < o.MaxShards) {
		wait := o.Wait
		if o.IdleExit > 0 {
			left := o.IdleExit - time.Since(idleSince)
			if left <= 0 {
				break
			}
			wait = min(wait, left)
		}
		if !r.Deadline.IsZero() {
			left := time.Until(r.Deadline) - o.MinTimeLeft
			if left <= 0 {
				r.log().Info("too close to the deadline for another shard", "left", time.Until(r.Deadline).Round(time.Second))
				break
			}
			wait = min(wait, left)
		}
		ds, err := q.Receive(ctx, 1, wait, o.Visibility)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, queue.ErrClosed) {
				break
			}
			return outcomes, err
		}
		for _, d := range ds {
			out := r.handle(ctx, q, d, o.Visibility)
			outcomes = append(outcomes, out)
			if out.Ran() {
				ran++
			}
			idleSince = time.Now()
		}
	}
	return outcomes, nil
}

// handle runs one delivery, keeping it invisible while it runs.
func (r *Runtime) handle(ctx context.Context, q queue.Queue, d queue.Delivery, vis time.Duration) Outcome {
	var m events.ShardMessage
	if err := json.Unmarshal(d.Body, &m); err != nil || m.ShardID == "" {
		r.log().Error("dropping a message that is not a shard", "err", err)
		q.Ack(context.WithoutCancel(ctx), d)
		return ""
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(vis / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				q.Extend(ctx, d, vis)
			}
		}
	}()
	out, err := r.RunShard(ctx, m)
	close(done)
	ctx = context.WithoutCancel(ctx) // acknowledge even after an interrupt
	var retry *RetryError
	switch {
	case errors.As(err, &retry):
		// Not claimed: visible again at once, for this worker or another
		// (the queue's redrive limit bounds the tries).
		r.log().Error("shard not started: left for another delivery", "run", m.RunID, "shard", m.ShardID, "err", err)
		q.Extend(ctx, d, 0)
		return out
	case err != nil:
		r.log().Error("shard failed", "run", m.RunID, "shard", m.ShardID, "err", err)
	}
	// Acknowledge even a failed shard: its claim exists, so a redelivery
	// could only find it claimed and send nothing.
	q.Ack(ctx, d)
	return out
}
