package sqsqueue

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// EndpointEnv names the environment variable that overrides the SQS
// endpoint (an emulator, tests).
const EndpointEnv = "BARRAGE_SQS_ENDPOINT"

// DefaultRegion is the region used when neither the AWS configuration nor
// the queue URL names one (emulators ignore it, but requests are signed).
const DefaultRegion = "us-east-1"

// MaxAttempts is how many times the clients of NewFromURL try one request.
const MaxAttempts = 5

// Option adjusts how NewFromURL builds its client.
type Option func(*options)

type options struct {
	endpoint string
	load     []func(*config.LoadOptions) error
	client   []func(*sqs.Options)
}

// WithEndpoint sends requests to endpoint, such as http://127.0.0.1:9324;
// it takes precedence over EndpointEnv.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithLoadOptions passes options to config.LoadDefaultConfig, such as
// config.WithCredentialsProvider.
func WithLoadOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) { o.load = append(o.load, fns...) }
}

// WithClientOptions adjusts the SQS client's options last.
func WithClientOptions(fns ...func(*sqs.Options)) Option {
	return func(o *options) { o.client = append(o.client, fns...) }
}

// NewFromURL returns the queue at queueURL with a client built from the
// default AWS configuration, retrying each request up to MaxAttempts times,
// and the endpoint of WithEndpoint or EndpointEnv if either is set. Without
// a configured region it takes the one in an AWS queue URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func NewFromURL(ctx context.Context, queueURL string, opts ...Option) (*Queue, error) {
	if u, err := url.Parse(queueURL); err != nil || u.Host == "" {
		return nil, fmt.Errorf("sqsqueue: %q is not a queue URL", queueURL)
	}
	o := options{endpoint: os.Getenv(EndpointEnv)}
	for _, fn := range opts {
		fn(&o)
	}
	load := append([]func(*config.LoadOptions) error{config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.RateLimiter = ratelimit.None // a burst of throttling must not end retries for the whole process
		})
	})}, o.load...)
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("sqsqueue: aws config: %w", err)
	}
	client := sqs.NewFromConfig(cfg, func(so *sqs.Options) {
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

// Open is NewFromURL, by the name the command and the Lambdas call it.
func Open(ctx context.Context, queueURL string, opts ...Option) (*Queue, error) {
	return NewFromURL(ctx, queueURL, opts...)
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
