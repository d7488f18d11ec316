package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/barrage-load/barrage/pkg/store"
)

// s3Error builds an error as the SDK returns it for an S3 answer.
func s3Error(status int, apiErr error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr}}}
}

func code(c string) error { return &smithy.GenericAPIError{Code: c, Message: "m"} }

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		err                    error
		retry, exists, missing bool
	}{
		{"503 SlowDown is retried", s3Error(503, code("SlowDown")), true, false, false},
		{"500 InternalError is retried", s3Error(500, code("InternalError")), true, false, false},
		{"409 ConditionalRequestConflict is retried", s3Error(409, code("ConditionalRequestConflict")), true, false, false},
		{"409 OperationAborted is retried", s3Error(409, code("OperationAborted")), true, false, false},
		{"409 BucketAlreadyOwnedByYou is not", s3Error(409, code("BucketAlreadyOwnedByYou")), false, false, false},
		{"412 is ErrExists, not retried", s3Error(412, code("PreconditionFailed")), false, true, false},
		{"404 NoSuchKey is ErrNotFound", s3Error(404, &types.NoSuchKey{}), false, false, true},
		{"404 of HeadObject is ErrNotFound", s3Error(404, &types.NotFound{}), false, false, true},
		{"404 NoSuchBucket is a failure", s3Error(404, code("NoSuchBucket")), false, false, false},
		{"403 AccessDenied is a failure", s3Error(403, code("AccessDenied")), false, false, false},
		{"no answer at all", errors.New("dial tcp: refused"), false, false, false},
	} {
		if got := Retryer().IsErrorRetryable(tc.err); got != tc.retry {
			t.Errorf("%s: retryable %v; want %v", tc.name, got, tc.retry)
		}
		if got := preconditionFailed(tc.err); got != tc.exists {
			t.Errorf("%s: preconditionFailed %v; want %v", tc.name, got, tc.exists)
		}
		if got := notFound(tc.err); got != tc.missing {
			t.Errorf("%s: notFound %v; want %v", tc.name, got, tc.missing)
		}
	}
}

func TestBackoff(t *testing.T) {
	total := time.Duration(0)
	for attempt := 1; attempt < MaxAttempts; attempt++ {
		ceiling := min(BaseBackoff<<attempt, MaxBackoff)
		for range 200 {
			d, err := backoff(attempt, nil)
			if err != nil || d < 0 || d >= ceiling {
				t.Fatalf("backoff(%d) = %v, %v; want in [0, %v)", attempt, d, err, ceiling)
			}
		}
		total += ceiling
	}
	if total > 4500*time.Millisecond {
		t.Errorf("waits of %d attempts add up to %v; the doc says at most 4.5 s", MaxAttempts, total)
	}
	if d, _ := backoff(1000, nil); d >= MaxBackoff {
		t.Errorf("backoff(1000) = %v; want under %v", d, MaxBackoff)
	}
}

func TestNewFromConfig(t *testing.T) {
	for _, tc := range []struct {
		url, bucket, prefix string
		bad                 bool
	}{
		{url: "s3://b", bucket: "b"},
		{url: "s3://b/", bucket: "b"},
		{url: "s3://b/team/x", bucket: "b", prefix: "team/x/"},
		{url: "s3://", bad: true},
		{url: "/tmp/runs", bad: true},
	} {
		s, err := NewFromConfig(aws.Config{}, tc.url, WithEndpoint("http://127.0.0.1:1"))
		if tc.bad {
			if err == nil {
				t.Errorf("NewFromConfig(%q) succeeded; want an error", tc.url)
			}
			continue
		}
		if err != nil || s.Bucket() != tc.bucket || s.Prefix() != tc.prefix {
			t.Errorf("NewFromConfig(%q) = %q, %q, %v; want %q, %q", tc.url, s.Bucket(), s.Prefix(), err, tc.bucket, tc.prefix)
			continue
		}
		// An endpoint: path style, and a region to sign for.
		o := s.client.Options()
		if ep := o.BaseEndpoint; ep == nil || *ep != "http://127.0.0.1:1" || !o.UsePathStyle || o.Region != DefaultRegion {
			t.Errorf("NewFromConfig(%q): endpoint %v, path style %v, region %q", tc.url, ep, o.UsePathStyle, o.Region)
		}
		if n := o.Retryer.MaxAttempts(); n != MaxAttempts {
			t.Errorf("NewFromConfig(%q): %d attempts; want Retryer's %d", tc.url, n, MaxAttempts)
		}
	}
	// No endpoint: S3's own, virtual-hosted, in the configuration's region.
	s, _ := NewFromConfig(aws.Config{Region: "eu-west-1"}, "s3://b")
	if o := s.client.Options(); o.BaseEndpoint != nil || o.UsePathStyle || o.Region != "eu-west-1" {
		t.Errorf("NewFromConfig without an endpoint: endpoint %v, path style %v, region %q; want none, false, eu-west-1", o.BaseEndpoint, o.UsePathStyle, o.Region)
	}
}

// TestForbiddenMissingKey answers 403 AccessDenied for a missing key, as S3
// does to a caller whose ListBucket permission has a prefix condition: the
// store asks List, calls the key missing, and still reports a 403 for a key
// that is there, or that it may not list, as the failure it is.
func TestForbiddenMissingKey(t *testing.T) {
	objects := map[string]string{"runs/r/plan.json": "{}", "runs/r/secret": "x"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/bucket/")
		switch {
		case r.URL.Query().Get("list-type") == "2":
			prefix := r.URL.Query().Get("prefix")
			if !strings.HasPrefix(prefix, "runs/") {
				forbidden(w)
				return
			}
			io.WriteString(w, `<ListBucketResult><Name>bucket</Name><KeyCount>0</KeyCount>`)
			for k := range objects {
				if strings.HasPrefix(k, prefix) {
					io.WriteString(w, "<Contents><Key>"+k+"</Key></Contents>")
				}
			}
			io.WriteString(w, "</ListBucketResult>")
		case key == "runs/r/plan.json":
			io.WriteString(w, objects[key])
		default: // missing, or (runs/r/secret) not readable
			forbidden(w)
		}
	}))
	defer srv.Close()
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	st, err := NewFromConfig(cfg, "s3://bucket", WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ok, err := st.Exists(ctx, "runs/r/abort"); ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v; want false, nil", ok, err)
	}
	if _, err := st.Get(ctx, "runs/r/report.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(missing) = %v; want ErrNotFound", err)
	}
	if _, err := st.Get(ctx, "runs/r/secret"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(present, denied) = %v; want the 403", err)
	}
	if _, err := st.Get(ctx, "specs/nightly.yaml"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(not listable) = %v; want the 403", err)
	}
}

func forbidden(w http.ResponseWriter) {
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
}

// TestReadBody reads bodies whole whatever size S3 announced for them:
// none, the right one, or a wrong one either way.
func TestReadBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100_000)
	size := func(n int64) *int64 { return &n }
	for _, announced := range []*int64{nil, size(0), size(-1), size(int64(len(body))), size(10), size(int64(len(body)) * 2), size(1 << 40)} {
		got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), announced)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("readBody(announced %v) = %d bytes, %v; want the %d bytes", announced, len(got), err, len(body))
		}
	}
	_, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), size(10))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("readBody(failing reader) error = %v, want %v", err, io.ErrUnexpectedEOF)
	}
}
