package sqsqueue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/barrage-load/barrage/pkg/queue"
)

// SQS limits the queue keeps to.
const (
	// MaxBatch is the most messages one SendMessageBatch or ReceiveMessage
	// carries.
	MaxBatch = 10
	// MaxWait is the longest long poll.
	MaxWait = 20 * time.Second
	// MaxVisibility is the longest visibility timeout.
	MaxVisibility = 12 * time.Hour
)

// Queue is a queue.Queue on one SQS queue. It is safe for concurrent use.
type Queue struct {
	client *sqs.Client
	url    string
}

var _ queue.Queue = (*Queue)(nil)

// New returns the queue at queueURL, through client.
func New(client *sqs.Client, queueURL string) *Queue { return &Queue{client: client, url: queueURL} }

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// seconds rounds d up to whole seconds within [0, hi].
func seconds(d, hi time.Duration) int32 {
	d = min(max(d, 0), hi)
	return int32((d + time.Second - 1) / time.Second)
}

// Receive implements queue.Queue. The wait is rounded down to whole seconds
// (under a second is a short poll) and capped at MaxWait; n is brought
// into [1, MaxBatch]; visibility is rounded up to whole seconds, and zero
// leaves the queue's default.
func (q *Queue) Receive(ctx context.Context, n int, wait, visibility time.Duration) ([]queue.Delivery, error) {
	in := &sqs.ReceiveMessageInput{QueueUrl: &q.url,
		MaxNumberOfMessages: int32(min(max(n, 1), MaxBatch)),
		WaitTimeSeconds:     int32(min(max(wait, 0), MaxWait) / time.Second),
		VisibilityTimeout:   seconds(visibility, MaxVisibility),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount},
	}
	out, err := q.client.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("sqs receive: %w", err)
	}
	ds := make([]queue.Delivery, 0, len(out.Messages))
	for _, m := range out.Messages {
		n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		if err != nil {
			n = 1 // the server sent no count: this is at least the first receive
		}
		ds = append(ds, queue.Delivery{Body: []byte(aws.ToString(m.Body)),
			Handle: aws.ToString(m.ReceiptHandle), Receives: n})
	}
	return ds, nil
}

// Ack implements queue.Queue with DeleteMessage.
func (q *Queue) Ack(ctx context.Context, d queue.Delivery) error {
	_, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: &d.Handle})
	if err != nil {
		return fmt.Errorf("sqs delete: %w", err)
	}
	return nil
}

// Extend implements queue.Queue with ChangeMessageVisibility; visibility is
// rounded up to whole seconds and capped at MaxVisibility.
func (q *Queue) Extend(ctx context.Context, d queue.Delivery, visibility time.Duration) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url,
		ReceiptHandle: &d.Handle, VisibilityTimeout: seconds(visibility, MaxVisibility)})
	if err != nil {
		return fmt.Errorf("sqs change visibility: %w", err)
	}
	return nil
}
