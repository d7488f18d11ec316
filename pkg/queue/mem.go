package queue

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// ErrStale: the handle is not the message's latest delivery (it was
// received again since), or the message is gone.
var ErrStale = errors.New("queue: stale or unknown handle")

// Mem is an in-memory Queue with SQS's semantics: at-least-once delivery,
// visibility timeouts, receive counts, redelivery of unacknowledged
// messages. It is safe for concurrent use.
type Mem struct {
	mu      sync.Mutex
	msgs    []*memMsg // in send order
	handles map[string]*memMsg
	next    int
	wake    chan struct{} // closed and replaced when a message may have become visible
	closed  bool
	now     func() time.Time
}

type memMsg struct {
	body      []byte
	handle    string // the latest delivery's handle
	receives  int
	visibleAt time.Time
	deleted   bool
}

var _ Queue = (*Mem)(nil)

// NewMem returns an empty in-memory queue.
func NewMem() *Mem {
	return &Mem{handles: map[string]*memMsg{}, wake: make(chan struct{}), now: time.Now}
}

// Send implements Queue.
func (q *Mem) Send(_ context.Context, bodies [][]byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	for _, b := range bodies {
		q.msgs = append(q.msgs, &memMsg{body: append([]byte(nil), b...)})
	}
	q.signal()
	return nil
}

// signal wakes waiting receivers; q.mu must be held.
func (q *Mem) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// Receive implements Queue.
func (q *Mem) Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]Delivery, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, ErrClosed
		}
		now := q.now()
		var out []Delivery
		var nextVisible time.Time
		live := q.msgs[:0]
		for _, m := range q.msgs {
			if m.deleted {
				continue
			}
			live = append(live, m)
			if len(out) == max {
				continue
			}
			if m.visibleAt.After(now) {
				if nextVisible.IsZero() || m.visibleAt.Before(nextVisible) {
					nextVisible = m.visibleAt
				}
				continue
			}
			delete(q.handles, m.handle)
			q.next++
			m.handle = strconv.Itoa(q.next)
			m.receives++
			m.visibleAt = now.Add(visibility)
			q.handles[m.handle] = m
			out = append(out, Delivery{Body: m.body, Handle: m.handle, Receives: m.receives})
		}
		q.msgs = live
		wake := q.wake
		q.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		var expiry <-chan time.Time
		var t *time.Timer
		if !nextVisible.IsZero() {
			t = time.NewTimer(nextVisible.Sub(now))
			expiry = t.C
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, nil
		case <-wake:
		case <-expiry:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// Ack implements Queue.
func (q *Mem) Ack(_ context.Context, d Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.handles[d.Handle]
	if m == nil {
		return ErrStale
	}
	m.deleted = true
	delete(q.handles, d.Handle)
	return nil
}

// Extend implements Queue.
func (q *Mem) Extend(_ context.Context, d Delivery, visibility time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.handles[d.Handle]
	if m == nil {
		return ErrStale
	}
	m.visibleAt = q.now().Add(visibility)
	q.signal() // it may be visible now (a release), or sooner than a receiver thought
	return nil
}

// Len returns how many messages are not yet acknowledged.
func (q *Mem) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, m := range q.msgs {
		if !m.deleted {
			n++
		}
	}
	return n
}

// Close makes every call fail with ErrClosed and wakes waiting receivers.
func (q *Mem) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.signal()
	}
}
