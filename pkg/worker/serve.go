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
	// MaxShards ends the loop after this many deliveries; 0 no limit.
	MaxShards int
}

// Serve receives shards from q and runs them one at a time, acknowledging
// each after it ran (or was found missed or a duplicate), until ctx ends,
// the queue is idle for IdleExit, or MaxShards were handled. It returns the
// outcomes in order.
func (r *Runtime) Serve(ctx context.Context, q queue.Queue, o ServeOptions) ([]Outcome, error) {
	if o.Visibility == 0 {
		o.Visibility = 60 * time.Second
	}
	if o.Wait == 0 {
		o.Wait = 20 * time.Second
	}
	var outcomes []Outcome
	idleSince := time.Now()
	for ctx.Err() == nil && (o.MaxShards == 0 || len(outcomes) < o.MaxShards) {
		wait := o.Wait
		if o.IdleExit > 0 {
			left := o.IdleExit - time.Since(idleSince)
			if left <= 0 {
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
			outcomes = append(outcomes, r.handle(ctx, q, d, o.Visibility))
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
	if err != nil {
		r.log().Error("shard failed", "run", m.RunID, "shard", m.ShardID, "err", err)
	}
	// Acknowledge even a failed shard: its claim exists, so a redelivery
	// could only find it claimed and send nothing.
	q.Ack(ctx, d)
	return out
}
