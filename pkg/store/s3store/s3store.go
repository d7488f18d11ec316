package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/barrage-load/barrage/pkg/store"
)

// Store is a store.Store in an S3 bucket. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // ends with "/" unless empty
}

var _ store.Store = (*Store)(nil)

// New returns a Store that keeps key at prefix+key in bucket, through
// client. A prefix without a trailing slash gets one. The client should
// retry as Retryer does; whatever its retryer, New's conditional creates
// also retry the 409 conflict codes.
func New(client *s3.Client, bucket, prefix string) *Store {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{client: client, bucket: bucket, prefix: prefix}
}

// Bucket and Prefix return where the store keeps its keys.
func (s *Store) Bucket() string { return s.bucket }
func (s *Store) Prefix() string { return s.prefix }

// retryConflicts makes one operation's retryer retry the 409 conflict
// codes, for clients not built with Retryer.
func retryConflicts(o *s3.Options) {
	if o.Retryer != nil {
		o.Retryer = retry.AddWithErrorCodes(o.Retryer, conflictCodes...)
	}
}

// Put implements store.Store. With IfAbsent it sends If-None-Match: * and
// returns an error wrapping store.ErrExists when S3 answers 412.
func (s *Store) Put(ctx context.Context, key string, body []byte, opt store.PutOptions) error {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}
	if opt.ContentType != "" {
		in.ContentType = aws.String(opt.ContentType)
	}
	var optFns []func(*s3.Options)
	if opt.IfAbsent {
		in.IfNoneMatch = aws.String("*")
		optFns = append(optFns, retryConflicts)
	}
	if _, err := s.client.PutObject(ctx, in, optFns...); err != nil {
		if opt.IfAbsent && preconditionFailed(err) {
			return fmt.Errorf("s3 put %s: %w", key, store.ErrExists)
		}
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		if notFound(err) || s.absent(ctx, key, err) {
			return nil, fmt.Errorf("s3 get %s: %w", key, store.ErrNotFound)
		}
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := readBody(out.Body, out.ContentLength)
	if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", key, err)
	}
	return b, nil
}

// readBody reads r to its end into a buffer of the size S3 announced, if
// any: a reducer reads gigabytes of results, which io.ReadAll would read
// into a buffer grown a dozen times each, copying them as many.
func readBody(r io.Reader, size *int64) ([]byte, error) {
	if size == nil || *size <= 0 || *size > maxPresize {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	b.Grow(int(*size) + bytes.MinRead) // ReadFrom wants MinRead bytes of room to find the end
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// maxPresize bounds the buffer readBody sizes by what S3 announced.
const maxPresize = 1 << 30

// Exists implements store.Store with HeadObject.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	switch {
	case err == nil:
		return true, nil
	case notFound(err), s.absent(ctx, key, err):
		return false, nil
	}
	return false, fmt.Errorf("s3 head %s: %w", key, err)
}

// absent tells a 403 that means "no such key" from a real denial. S3
// answers 403 rather than 404 for a missing key to a caller whose
// s3:ListBucket permission does not cover the request (a permission with
// an s3:prefix condition never does: a GET carries no prefix), so on a
// 403 the store asks ListObjectsV2, which the prefix condition allows,
// whether the key is there. Where the caller may not list either, the 403
// stands.
func (s *Store) absent(ctx context.Context, key string, err error) bool {
	if httpStatus(err) != http.StatusForbidden {
		return false
	}
	out, lerr := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + key), MaxKeys: aws.Int32(1)})
	if lerr != nil {
		return false
	}
	return len(out.Contents) == 0 || aws.ToString(out.Contents[0].Key) != s.prefix+key
}

// List implements store.Store: every page of ListObjectsV2 under
// prefix+prefix, the store's prefix taken off again, sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + prefix)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			if k, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix); ok {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys) // S3 lists in UTF-8 byte order already; other servers need not
	return keys, nil
}

// httpStatus is the HTTP status of a failed request, 0 if it got no answer.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errorCode is the S3 error code of err, "" if it has none.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// preconditionFailed reports whether S3 refused a conditional write because
// the key exists.
func preconditionFailed(err error) bool {
	return httpStatus(err) == http.StatusPreconditionFailed || errorCode(err) == "PreconditionFailed"
}

// notFound reports whether err says the key does not exist. A missing
// bucket is a configuration error, not a missing key. (HeadObject has no
// body to tell the two apart: its 404 is NotFound either way.)
func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	switch {
	case errors.As(err, &nsk), errors.As(err, &nf):
		return true
	case errorCode(err) == "NoSuchBucket":
		return false
	}
	return httpStatus(err) == http.StatusNotFound
}

// Presign returns a URL that reads key for ttl without credentials (the
// API hands these out for report renderings).
func (s *Store) Presign(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := s3.NewPresignClient(s.client).PresignGetObject(ctx,
		&s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign %s: %w", key, err)
	}
	return req.URL, nil
}
