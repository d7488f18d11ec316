package sqsqueue

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// DefaultRegion is the region used when neither the AWS configuration nor
// the queue URL names one (emulators ignore it, but requests are signed).
const DefaultRegion = "us-east-1"

// MaxAttempts is how many times the clients of NewFromConfig try one request.
const MaxAttempts = 5

// Option adjusts how NewFromConfig builds its client.
type Option func(*options)

type options struct {
	endpoint string
	client   []func(*sqs.Options)
}

// WithEndpoint sends requests to endpoint, such as http://127.0.0.1:9324;
// "" keeps SQS's endpoint.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithClientOptions adjusts the SQS client's options last.
func WithClientOptions(fns ...func(*sqs.Options)) Option {
	return func(o *options) { o.client = append(o.client, fns...) }
}

// NewFromConfig returns the queue at queueURL with a client built from cfg
// (the process's AWS configuration: package awsenv loads it), retrying
// each request up to MaxAttempts times, and the endpoint of WithEndpoint if
// given. Without a configured region it takes the one in an AWS queue URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func NewFromConfig(cfg aws.Config, queueURL string, opts ...Option) (*Queue, error) {
	if u, err := url.Parse(queueURL); err != nil || u.Host == "" {
		return nil, fmt.Errorf("sqsqueue: %q is not a queue URL", queueURL)
	}
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	client := sqs.NewFromConfig(cfg, func(so *sqs.Options) {
		so.Retryer = retry.NewStandard(func(ro *retry.StandardOptions) {
			ro.MaxAttempts = MaxAttempts
			ro.RateLimiter = ratelimit.None // a burst of throttling must not end retries for the whole process
		})
		if o.endpoint != "" {
			so.BaseEndpoint = aws.String(o.endpoint)
		}
		if so.Region == "" {
			so.Region = regionOf(queueURL)
		}
		for _, fn := range o.client {
			fn(so)
		}
	})
	return New(client, queueURL), nil
}

// regionOf returns the region of an AWS queue URL (sqs.REGION.amazonaws.com,
// or the legacy REGION.queue.amazonaws.com, in any partition), and
// DefaultRegion for other URLs.
func regionOf(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return DefaultRegion
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) < 4 || parts[2] != "amazonaws" {
		return DefaultRegion
	}
	switch {
	case parts[0] == "sqs":
		return parts[1]
	case parts[1] == "queue":
		return parts[0]
	}
	return DefaultRegion
}
