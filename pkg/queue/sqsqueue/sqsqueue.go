// Package sqsqueue is the shard queue on Amazon SQS (or a server speaking
// its JSON protocol): batched sends, long polling, visibility extension. It
// is one of the few packages that import the AWS SDK.
package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/barrage-load/barrage/pkg/queue"
)

// SQS limits.
const (
	MaxBatch    = 10               // messages per SendMessageBatch and ReceiveMessage
	MaxWait     = 20 * time.Second // long-poll wait
	parallel    = 8                // batches in flight at once
	sendRetries = 5                // attempts for entries a batch reports failed
)

// EndpointEnv overrides the SQS endpoint (an emulator, tests).
const EndpointEnv = "BARRAGE_SQS_ENDPOINT"

// Queue is a queue.Queue on one SQS queue.
type Queue struct {
	client *sqs.Client
	url    string
}

var _ queue.Queue = (*Queue)(nil)

// New returns the queue at url through client.
func New(client *sqs.Client, url string) *Queue { return &Queue{client: client, url: url} }

// Open returns the queue at url with the default AWS configuration and
// EndpointEnv if set.
func Open(ctx context.Context, url string, opts ...func(*sqs.Options)) (*Queue, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqsqueue: aws config: %w", err)
	}
	if ep := os.Getenv(EndpointEnv); ep != "" {
		opts = append([]func(*sqs.Options){func(o *sqs.Options) { o.BaseEndpoint = aws.String(ep) }}, opts...)
	}
	return New(sqs.NewFromConfig(cfg, opts...), url), nil
}

// Send implements queue.Queue: batches of 10, up to 8 batches at once;
// entries a batch reports as failed are sent again, up to 5 times.
func (q *Queue) Send(ctx context.Context, bodies [][]byte) error {
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := 0; i < len(bodies); i += MaxBatch {
		batch := bodies[i:min(i+MaxBatch, len(bodies))]
		sem <- struct{}{}
		wg.Add(1)
		go func(first int) {
			defer func() { <-sem; wg.Done() }()
			if err := q.sendBatch(ctx, first, batch); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (q *Queue) sendBatch(ctx context.Context, first int, batch [][]byte) error {
	pending := map[string][]byte{}
	for j, b := range batch {
		pending[strconv.Itoa(first+j)] = b
	}
	var last error
	for attempt := 0; attempt < sendRetries && len(pending) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
			}
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: &q.url}
		for id, b := range pending {
			in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(string(b))})
		}
		out, err := q.client.SendMessageBatch(ctx, in)
		if err != nil {
			last = err
			continue
		}
		for _, ok := range out.Successful {
			delete(pending, aws.ToString(ok.Id))
		}
		for _, f := range out.Failed {
			last = fmt.Errorf("entry %s: %s %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message))
			if f.SenderFault {
				return fmt.Errorf("sqs send: %w", last) // retrying cannot help
			}
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("sqs send: %d of %d messages not sent: %w", len(pending), len(batch), last)
	}
	return nil
}

// Receive implements queue.Queue.
func (q *Queue) Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]queue.Delivery, error) {
	out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.url,
		MaxNumberOfMessages: int32(min(max, MaxBatch)), WaitTimeSeconds: int32(min(wait, MaxWait) / time.Second),
		VisibilityTimeout:           int32((visibility + time.Second - 1) / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		return nil, fmt.Errorf("sqs receive: %w", err)
	}
	ds := make([]queue.Delivery, 0, len(out.Messages))
	for _, m := range out.Messages {
		n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		ds = append(ds, queue.Delivery{Body: []byte(aws.ToString(m.Body)), Handle: aws.ToString(m.ReceiptHandle), Receives: n})
	}
	return ds, nil
}

// Ack implements queue.Queue.
func (q *Queue) Ack(ctx context.Context, d queue.Delivery) error {
	if _, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: &d.Handle}); err != nil {
		return fmt.Errorf("sqs delete: %w", err)
	}
	return nil
}

// Extend implements queue.Queue.
func (q *Queue) Extend(ctx context.Context, d queue.Delivery, visibility time.Duration) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url,
		ReceiptHandle: &d.Handle, VisibilityTimeout: int32((visibility + time.Second - 1) / time.Second)})
	if err != nil {
		return fmt.Errorf("sqs change visibility: %w", err)
	}
	return nil
}
