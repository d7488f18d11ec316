// Package queue holds the shard queue: messages carrying events.ShardMessage
// from the orchestrator to workers, delivered at least once. A delivery is
// invisible to other receivers until its visibility timeout passes; acking
// deletes it; a worker that dies without acking lets it reappear, and the
// shard's claim in the store keeps it from running twice.
package queue

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned by a Queue that has been closed.
var ErrClosed = errors.New("queue: closed")

// Delivery is one received message.
type Delivery struct {
	Body []byte
	// Handle identifies this delivery for Ack and Extend (an SQS receipt
	// handle); a message received twice has two handles.
	Handle string
	// Receives counts how many times the message has been received,
	// including this time (SQS ApproximateReceiveCount).
	Receives int
}

// Queue is a shard queue. Implementations are safe for concurrent use.
type Queue interface {
	// Send enqueues bodies, in batches where the backend has them (SQS: 10
	// per call); it returns after all are accepted or with the first error.
	Send(ctx context.Context, bodies [][]byte) error
	// Receive waits up to wait for at most max messages (long polling) and
	// makes them invisible for visibility. It returns no message and no
	// error when none came in time.
	Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]Delivery, error)
	// Ack deletes a delivered message.
	Ack(ctx context.Context, d Delivery) error
	// Extend keeps a delivered message invisible for visibility from now.
	Extend(ctx context.Context, d Delivery, visibility time.Duration) error
}
