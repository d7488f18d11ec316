package s3store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// DefaultRegion is the region used with an endpoint override when the AWS
// configuration names none (MinIO ignores it, but requests must be signed
// for one).
const DefaultRegion = "us-east-1"

// Retry bounds of Retryer.
const (
	// MaxAttempts is how many times one request is tried in all.
	MaxAttempts = 8
	// BaseBackoff and MaxBackoff shape the wait before retry i (from 1): a
	// uniformly random time up to min(BaseBackoff·2^i, MaxBackoff). A worker
	// waits on its claim before sending load, so the waits stay short: the
	// seven waits of eight attempts add up to at most 4.5 s.
	BaseBackoff = 50 * time.Millisecond
	MaxBackoff  = time.Second
)

// conflictCodes are the S3 error codes of a 409 that says another write to
// the key is in progress: trying again shortly is the documented remedy.
var conflictCodes = []string{"ConditionalRequestConflict", "OperationAborted"}

// Retryer returns the retryer the store's clients use: the SDK's standard
// retryer (5xx, SlowDown and throttling, connection errors) with
// MaxAttempts attempts, jittered exponential backoff (see BaseBackoff), the
// 409 conflict codes added, and no client-side retry quota, which would
// stop retrying altogether after a burst of faults. NewFromConfig's
// clients use it; so may others, as their s3.Options.Retryer.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
		// The SDK's own backoff (outside AWS_NEW_RETRIES_2026) waits exactly
		// MaxBackoff from the first retry on when MaxBackoff is 1 s or less:
		// no growth and no jitter, so racing writers would retry in step.
		o.Backoff = retry.BackoffDelayerFunc(backoff)
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(retryConflict))
	})
}

// backoff is full-jitter exponential backoff: uniform in
// [0, min(BaseBackoff·2^attempt, MaxBackoff)).
func backoff(attempt int, _ error) (time.Duration, error) {
	ceiling := MaxBackoff
	if attempt < 10 {
		ceiling = min(BaseBackoff<<max(attempt, 0), MaxBackoff)
	}
	return rand.N(ceiling), nil
}

// retryConflict marks 409 ConditionalRequestConflict and OperationAborted
// retryable, by the error code the SDK decoded from S3's answer.
func retryConflict(err error) aws.Ternary {
	var api smithy.APIError
	if errors.As(err, &api) {
		for _, c := range conflictCodes {
			if api.ErrorCode() == c {
				return aws.TrueTernary
			}
		}
	}
	return aws.UnknownTernary
}

// Option adjusts how NewFromConfig builds its client.
type Option func(*options)

type options struct {
	endpoint string
	client   []func(*s3.Options)
}

// WithEndpoint sends requests to endpoint (such as http://127.0.0.1:9000)
// with path-style addressing; "" keeps S3's endpoint.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithClientOptions adjusts the S3 client's options last.
func WithClientOptions(fns ...func(*s3.Options)) Option {
	return func(o *options) { o.client = append(o.client, fns...) }
}

// NewFromConfig returns the Store named by url, s3://bucket or
// s3://bucket/prefix, with a client built from cfg (the process's AWS
// configuration: package awsenv loads it), Retryer, and the endpoint of
// WithEndpoint if given.
func NewFromConfig(cfg aws.Config, url string, opts ...Option) (*Store, error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return nil, fmt.Errorf("s3store: %q is not s3://bucket[/prefix]", url)
	}
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.Retryer = Retryer()
		// MinIO and some proxies send no checksums back; the SDK would log that at every Get.
		so.DisableLogOutputChecksumValidationSkipped = true
		if o.endpoint != "" {
			so.BaseEndpoint = aws.String(o.endpoint)
			so.UsePathStyle = true
			if so.Region == "" {
				so.Region = DefaultRegion
			}
		}
		for _, fn := range o.client {
			fn(so)
		}
	})
	return New(client, bucket, prefix), nil
}
