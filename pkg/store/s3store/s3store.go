// Package s3store is the run store on Amazon S3 (or an S3-compatible server
// such as MinIO): the same keys as store.Dir under a bucket and prefix, with
// conditional creates by If-None-Match: *. It is one of the few packages that
// import the AWS SDK.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/barrage-load/barrage/pkg/store"
)

// Store is a store.Store in an S3 bucket.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // ends with "/" unless empty
}

var _ store.Store = (*Store)(nil)

// New returns a Store over client, keeping keys under prefix in bucket.
func New(client *s3.Client, bucket, prefix string) *Store {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{client: client, bucket: bucket, prefix: prefix}
}

// EndpointEnv overrides the S3 endpoint (MinIO, tests); path-style
// addressing is used with it.
const EndpointEnv = "BARRAGE_S3_ENDPOINT"

// Retryer retries what S3 answers when it is briefly unable to (5xx,
// SlowDown, throttling, and 409 ConditionalRequestConflict, which S3 returns
// while another conditional write to the key is in progress), up to 8
// attempts with jittered exponential backoff of at most a second, without
// the client-side retry quota that would stop retrying under a burst of
// faults.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 8
		o.MaxBackoff = time.Second // a shard waits on its claim: short waits, several tries
		o.RateLimiter = ratelimit.None
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if status(err) == http.StatusConflict {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		})}, o.Retryables...)
	})
}

// Open returns the Store named by an s3://bucket/prefix URL, with the
// default AWS configuration (environment, shared files, instance roles) and
// EndpointEnv if set.
func Open(ctx context.Context, url string, opts ...func(*s3.Options)) (*Store, error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return nil, fmt.Errorf("s3store: %q is not s3://bucket[/prefix]", url)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(Retryer))
	if err != nil {
		return nil, fmt.Errorf("s3store: aws config: %w", err)
	}
	opts = append([]func(*s3.Options){func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }}, opts...)
	if ep := os.Getenv(EndpointEnv); ep != "" {
		opts = append([]func(*s3.Options){func(o *s3.Options) {
			o.BaseEndpoint = aws.String(ep)
			o.UsePathStyle = true
		}}, opts...)
	}
	return New(s3.NewFromConfig(cfg, opts...), bucket, prefix), nil
}

// status is the HTTP status of an S3 error, 0 if none.
func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body)))}
	if opt.ContentType != "" {
		in.ContentType = aws.String(opt.ContentType)
	}
	if opt.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := s.client.PutObject(ctx, in)
	if err != nil {
		if opt.IfAbsent && status(err) == http.StatusPreconditionFailed {
			return fmt.Errorf("s3 put %s: %w", key, store.ErrExists)
		}
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

// notFound reports whether err says the key does not exist.
func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	return errors.As(err, &nsk) || errors.As(err, &nf) || status(err) == http.StatusNotFound ||
		errors.As(err, &api) && api.ErrorCode() == "NoSuchKey"
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("s3 get %s: %w", key, store.ErrNotFound)
		}
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	return b, nil
}

// Exists implements store.Store.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	}
	return false, fmt.Errorf("s3 head %s: %w", key, err)
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	sort.Strings(keys)
	return keys, nil
}
