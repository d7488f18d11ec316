package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Bounds of Send.
const (
	// MaxBatchBytes caps the bodies of one SendMessageBatch: SQS refuses a
	// batch whose messages add up to more than the queue's maximum message
	// size, 256 KiB on queues made before 2025. A larger body goes alone.
	MaxBatchBytes = 256 << 10
	// Parallel is how many batches are in flight at once.
	Parallel = 8
	// SendAttempts is how many times an entry that a batch reports failed
	// (and not as the sender's fault) is sent in all.
	SendAttempts = 5
	// sendBackoff is the base of the jittered backoff between them.
	sendBackoff = 50 * time.Millisecond
)

// EntryError is the failure SQS reported for one entry of a batch.
type EntryError struct {
	Code, Message string
	// SenderFault: the entry itself is at fault (too large, bad
	// characters), so sending it again cannot help.
	SenderFault bool
}

func (e *EntryError) Error() string { return e.Code + ": " + e.Message }

// Unsent is a message Send could not enqueue.
type Unsent struct {
	Index int   // in the bodies given to Send
	Err   error // the last failure: an *EntryError, or the call's error
}

// SendError is the error of a Send that enqueued some messages but not
// all; the others were enqueued.
type SendError struct {
	Total  int      // messages given to Send
	Unsent []Unsent // sorted by Index
}

func (e *SendError) Error() string {
	// Messages that failed alike are listed together: "#3, #4: reason".
	var reasons []string
	which := map[string][]int{}
	for _, u := range e.Unsent {
		r := u.Err.Error()
		if _, ok := which[r]; !ok {
			reasons = append(reasons, r)
		}
		which[r] = append(which[r], u.Index)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sqs send: %d of %d messages not sent:", len(e.Unsent), e.Total)
	const reasonsShown, indexesShown = 4, 8
	for i, r := range reasons[:min(len(reasons), reasonsShown)] {
		if i > 0 {
			b.WriteString(";")
		}
		for j, idx := range which[r][:min(len(which[r]), indexesShown)] {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " #%d", idx)
		}
		if n := len(which[r]); n > indexesShown {
			fmt.Fprintf(&b, " and %d more", n-indexesShown)
		}
		b.WriteString(": " + r)
	}
	if len(reasons) > reasonsShown {
		fmt.Fprintf(&b, "; and %d other reasons", len(reasons)-reasonsShown)
	}
	return b.String()
}

// Unwrap returns the distinct errors, for errors.Is and errors.As.
func (e *SendError) Unwrap() []error {
	var errs []error
	for _, u := range e.Unsent {
		if len(errs) == 0 || errs[len(errs)-1] != u.Err {
			errs = append(errs, u.Err)
		}
	}
	return errs
}

type entry struct {
	index int
	body  []byte
}

// batches cuts bodies into batches of at most MaxBatch entries and
// MaxBatchBytes of bodies, in order.
func batches(bodies [][]byte) [][]entry {
	var out [][]entry
	var cur []entry
	size := 0
	for i, b := range bodies {
		if len(cur) == MaxBatch || len(cur) > 0 && size+len(b) > MaxBatchBytes {
			out, cur, size = append(out, cur), nil, 0
		}
		cur, size = append(cur, entry{i, b}), size+len(b)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Send implements queue.Queue: batches (see batches) sent Parallel at once;
// each answer's Failed entries are sent again, up to SendAttempts in all,
// unless SQS says they are at fault. It returns a *SendError naming every
// message that could not be sent, after all batches have been tried.
func (q *Queue) Send(ctx context.Context, bodies [][]byte) error {
	var (
		mu     sync.Mutex
		unsent []Unsent
		wg     sync.WaitGroup
	)
	fail := func(us ...Unsent) {
		mu.Lock()
		unsent = append(unsent, us...)
		mu.Unlock()
	}
	sem := make(chan struct{}, Parallel)
	for _, b := range batches(bodies) {
		if err := ctx.Err(); err != nil {
			fail(all(b, err)...)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			fail(all(b, ctx.Err())...)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fail(q.sendBatch(ctx, b)...)
		})
	}
	wg.Wait()
	if len(unsent) == 0 {
		return nil
	}
	slices.SortFunc(unsent, func(a, b Unsent) int { return a.Index - b.Index })
	return &SendError{Total: len(bodies), Unsent: unsent}
}

func all(es []entry, err error) []Unsent {
	us := make([]Unsent, len(es))
	for i, e := range es {
		us[i] = Unsent{e.index, err}
	}
	return us
}

// sendBatch sends one batch and then its retryable failures again; it
// returns what it could not send.
func (q *Queue) sendBatch(ctx context.Context, pending []entry) []Unsent {
	var unsent []Unsent
	for attempt := 1; ; attempt++ {
		in := &sqs.SendMessageBatchInput{QueueUrl: &q.url, Entries: make([]types.SendMessageBatchRequestEntry, len(pending))}
		byID := make(map[string]entry, len(pending))
		for i, e := range pending {
			id := strconv.Itoa(e.index)
			byID[id] = e
			in.Entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(string(e.body))}
		}
		out, err := q.client.SendMessageBatch(ctx, in)
		if err != nil { // the client's retryer has given up already
			return append(unsent, all(pending, err)...)
		}
		for _, ok := range out.Successful {
			delete(byID, aws.ToString(ok.Id))
		}
		var again []entry
		var last error
		for _, f := range out.Failed {
			e, ok := byID[aws.ToString(f.Id)]
			if !ok {
				continue
			}
			delete(byID, aws.ToString(f.Id))
			ee := &EntryError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
			if f.SenderFault || attempt == SendAttempts {
				unsent = append(unsent, Unsent{e.index, ee})
				continue
			}
			again, last = append(again, e), ee
		}
		for _, e := range byID { // neither sent nor failed: the answer left it out
			if attempt == SendAttempts {
				unsent = append(unsent, Unsent{e.index, errors.New("no result for the entry")})
			} else {
				again = append(again, e)
			}
		}
		if len(again) == 0 {
			return unsent
		}
		slices.SortFunc(again, func(a, b entry) int { return a.index - b.index })
		if last == nil {
			last = errors.New("no result for the entry")
		}
		t := time.NewTimer(rand.N(sendBackoff << attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return append(unsent, all(again, fmt.Errorf("%w (after %v)", ctx.Err(), last))...)
		case <-t.C:
		}
		pending = again
	}
}
