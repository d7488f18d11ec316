package awssim

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/store"
)

// Queue is a shard queue that misbehaves as SQS may. Each fault is asked
// per message (nil: never).
type Queue struct {
	queue.Queue
	// Duplicate delivers a message twice: it is sent twice.
	Duplicate func() bool
	// Delay keeps a message invisible that long after it was sent.
	Delay func() time.Duration
	// FailSend fails a message of a Send: the others are sent, and Send
	// answers an error naming the failed ones, as the SQS client does once
	// its retries of a batch's failed entries are spent.
	FailSend func() bool
	// LoseAck loses an acknowledgement: the message is not deleted and is
	// received again RedeliverAfter later (its visibility timeout, short).
	LoseAck        func() bool
	RedeliverAfter time.Duration

	Sent, Duplicated, Delayed, Failed, AcksLost atomic.Int64
}

// NewQueue returns an in-memory queue without faults.
func NewQueue() *Queue { return &Queue{Queue: queue.NewMem(), RedeliverAfter: time.Second} }

// Send implements queue.Queue.
func (q *Queue) Send(ctx context.Context, bodies [][]byte) error {
	failed := 0
	var now [][]byte
	for _, b := range bodies {
		switch {
		case q.FailSend != nil && q.FailSend():
			failed++
			q.Failed.Add(1)
			continue
		case q.Delay != nil:
			if d := q.Delay(); d > 0 {
				q.Delayed.Add(1)
				q.Sent.Add(1)
				time.AfterFunc(d, func() { q.Queue.Send(context.Background(), [][]byte{b}) })
				continue
			}
		}
		now = append(now, b)
		q.Sent.Add(1)
		if q.Duplicate != nil && q.Duplicate() {
			now = append(now, b)
			q.Duplicated.Add(1)
		}
	}
	if len(now) > 0 {
		if err := q.Queue.Send(ctx, now); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("sqs send: %d of %d entries failed: InternalError: we encountered an internal error", failed, len(bodies))
	}
	return nil
}

// Ack implements queue.Queue.
func (q *Queue) Ack(ctx context.Context, d queue.Delivery) error {
	if q.LoseAck != nil && q.LoseAck() {
		q.AcksLost.Add(1)
		return q.Queue.Extend(ctx, d, q.RedeliverAfter)
	}
	return q.Queue.Ack(ctx, d)
}

// Store is a run store that fails as S3 may, beyond its client's retries.
type Store struct {
	store.Store
	// Fail, if set, is asked before every operation ("put", "get",
	// "exists", "list") on key; an error it returns is the answer.
	Fail func(op, key string) error
}

func (s *Store) fail(op, key string) error {
	if s.Fail == nil {
		return nil
	}
	return s.Fail(op, key)
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	if err := s.fail("put", key); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, body, opt)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.fail("get", key); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, key)
}

// Exists implements store.Store.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := s.fail("exists", key); err != nil {
		return false, err
	}
	return s.Store.Exists(ctx, key)
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := s.fail("list", prefix); err != nil {
		return nil, err
	}
	return s.Store.List(ctx, prefix)
}
