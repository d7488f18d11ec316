//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/store/s3store"
)

func TestS3StoreBasics(t *testing.T) {
	m := StartMinIO(t)
	ctx := context.Background()
	st := m.Store("pfx")
	const key = "runs/r/plan.json"
	_, err := st.Get(ctx, key)
	if !errors.Is(err, store.ErrNotFound) || !strings.HasPrefix(err.Error(), "s3 get runs/r/plan.json: ") {
		t.Fatalf("Get of a missing key: %v; want ErrNotFound with the key", err)
	}
	if ok, err := st.Exists(ctx, key); ok || err != nil {
		t.Fatalf("Exists of a missing key = %v, %v; want false", ok, err)
	}
	if err := st.Put(ctx, key, []byte("p1"), store.PutOptions{ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("Exists after Put = %v, %v; want true", ok, err)
	}
	// The key lives at prefix+key, with its content type.
	head, err := m.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &m.Bucket, Key: aws.String("pfx/" + key)})
	if err != nil || aws.ToString(head.ContentType) != "application/json" {
		t.Fatalf("HeadObject(pfx/%s) = content type %q, %v; want application/json", key, aws.ToString(head.ContentType), err)
	}
	if err := st.Put(ctx, key, []byte("p2"), store.PutOptions{}); err != nil { // a plain Put overwrites
		t.Fatal(err)
	}
	if b, err := st.Get(ctx, key); err != nil || string(b) != "p2" {
		t.Fatalf("Get = %q, %v; want p2", b, err)
	}
	st.Put(ctx, "runs/r/shards/s0/claim", []byte("c"), store.PutOptions{IfAbsent: true})
	st.Put(ctx, "runs/r2/plan.json", []byte("other run"), store.PutOptions{})
	// A store whose prefix extends this one's must not see its keys, nor it theirs.
	m.Store("pfx2").Put(ctx, "runs/r/plan.json", []byte("other store"), store.PutOptions{})
	keys, err := st.List(ctx, "runs/r/")
	if want := "[runs/r/plan.json runs/r/shards/s0/claim]"; err != nil || fmt.Sprint(keys) != want {
		t.Errorf("List(runs/r/) = %v, %v; want %s", keys, err, want)
	}
	if keys, _ := st.List(ctx, ""); len(keys) != 3 {
		t.Errorf("List() = %v; want the three keys of this store", keys)
	}
	if keys, _ := m.Store("").List(ctx, ""); len(keys) != 4 || keys[0] != "pfx/runs/r/plan.json" {
		t.Errorf("List of the whole bucket = %v", keys)
	}
	// A missing bucket is a failure, not a missing key.
	_, err = s3store.New(m.Client, "no-such-bucket", "").Get(ctx, key)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get from a missing bucket: %v; want a failure other than ErrNotFound", err)
	}
}

func TestS3StoreIfAbsent(t *testing.T) {
	m := StartMinIO(t)
	ctx := context.Background()
	st := m.Store("")
	const key = "runs/r/shards/s0/claim"
	if err := st.Put(ctx, key, []byte("first"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	err := st.Put(ctx, key, []byte("second"), store.PutOptions{IfAbsent: true})
	if !errors.Is(err, store.ErrExists) || err.Error() != "s3 put "+key+": "+store.ErrExists.Error() {
		t.Fatalf("second conditional create: %v; want ErrExists with the key", err)
	}
	if b, _ := st.Get(ctx, key); string(b) != "first" {
		t.Errorf("claim holds %q; want first", b)
	}

	// 50 concurrent conditional creates of one key: exactly one wins, and
	// the object holds the winner's body.
	const race = "runs/r/shards/s1/claim"
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() { errs[i] = st.Put(ctx, race, fmt.Appendf(nil, "w%d", i), store.PutOptions{IfAbsent: true}) })
	}
	wg.Wait()
	var winners []int
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, i)
		case !errors.Is(err, store.ErrExists):
			t.Errorf("racing create %d: %v", i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("racing creates %v won; want exactly one", winners)
	}
	if b, _ := st.Get(ctx, race); string(b) != fmt.Sprintf("w%d", winners[0]) {
		t.Errorf("the key holds %q; the winner was w%d", b, winners[0])
	}
}

func TestS3StoreListPages(t *testing.T) {
	m := StartMinIO(t)
	ctx := context.Background()
	st := m.Store("p")
	const n = 1100 // ListObjectsV2 pages hold 1,000 keys
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := st.Put(ctx, fmt.Sprintf("runs/big/shards/s%04d/result.json", i), []byte("x"), store.PutOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := st.List(ctx, "runs/big/shards/")
	if err != nil || len(keys) != n {
		t.Fatalf("List: %d keys, %v; want %d", len(keys), err, n)
	}
	for i, k := range keys {
		if want := fmt.Sprintf("runs/big/shards/s%04d/result.json", i); k != want {
			t.Fatalf("key %d is %q; want %q", i, k, want)
		}
	}
}

// TestS3StoreFaults injects 503 SlowDown and 409 ConditionalRequestConflict
// in front of MinIO: the store retries, and every object is written once.
func TestS3StoreFaults(t *testing.T) {
	m := StartMinIO(t)
	proxy := NewFaultProxy(t, m.Endpoint)
	ctx := context.Background()
	st := s3store.New(S3Client(proxy.URL), m.Bucket, "")

	proxy.Fail(http.MethodPut, "/claim", 3, http.StatusServiceUnavailable, "SlowDown")
	if err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("c"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("conditional create through three 503s: %v", err)
	}
	if n := proxy.Seen(http.MethodPut, "/claim"); n != 4 {
		t.Errorf("%d PUTs of the claim; want 3 refused and 1 through", n)
	}
	proxy.Fail(http.MethodPut, "/result.json", 2, http.StatusConflict, "ConditionalRequestConflict")
	if err := st.Put(ctx, "runs/r/shards/s0/result.json", []byte("r"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("conditional create through two 409s: %v", err)
	}
	proxy.Fail(http.MethodPut, "/plan.json", 2, http.StatusInternalServerError, "InternalError")
	if err := st.Put(ctx, "runs/r/plan.json", []byte("p"), store.PutOptions{}); err != nil {
		t.Fatalf("put through two 500s: %v", err)
	}
	proxy.Fail(http.MethodGet, "/result.json", 2, http.StatusServiceUnavailable, "SlowDown")
	if b, err := st.Get(ctx, "runs/r/shards/s0/result.json"); err != nil || string(b) != "r" {
		t.Fatalf("Get through two 503s = %q, %v", b, err)
	}
	proxy.Fail(http.MethodHead, "/claim", 1, http.StatusServiceUnavailable, "SlowDown")
	if ok, err := st.Exists(ctx, "runs/r/shards/s0/claim"); !ok || err != nil {
		t.Fatalf("Exists through a 503 = %v, %v", ok, err)
	}
	proxy.Fail(http.MethodGet, "/"+m.Bucket, 1, http.StatusServiceUnavailable, "SlowDown") // ListObjectsV2 is GET /bucket?list-type=2
	keys, err := st.List(ctx, "runs/r/")
	if want := "[runs/r/plan.json runs/r/shards/s0/claim runs/r/shards/s0/result.json]"; err != nil || fmt.Sprint(keys) != want {
		t.Errorf("List through a 503 = %v, %v; want %s", keys, err, want)
	}
	if proxy.Injected() != 11 {
		t.Errorf("%d faults injected; want 11", proxy.Injected())
	}

	// Retries are bounded: a key that keeps failing fails after
	// s3store.MaxAttempts tries, with the key and S3's code in the error.
	proxy.Fail(http.MethodPut, "/stuck", 100, http.StatusServiceUnavailable, "SlowDown")
	err = st.Put(ctx, "runs/r/stuck", []byte("x"), store.PutOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "s3 put runs/r/stuck: ") || !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("Put that always fails: %v; want an error naming the key and SlowDown", err)
	}
	if n := proxy.Seen(http.MethodPut, "/stuck"); n != s3store.MaxAttempts {
		t.Errorf("%d attempts; want %d", n, s3store.MaxAttempts)
	}
}

// TestS3StoreConflictAnyClient: a conditional create retries 409
// ConditionalRequestConflict even through a client with the SDK's default
// retryer, which does not know the code.
func TestS3StoreConflictAnyClient(t *testing.T) {
	m := StartMinIO(t)
	proxy := NewFaultProxy(t, m.Endpoint)
	plain := s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(proxy.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")})
	st := s3store.New(plain, m.Bucket, "")
	ctx := context.Background()
	proxy.Fail(http.MethodPut, "/claim", 2, http.StatusConflict, "ConditionalRequestConflict")
	if err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("c"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("conditional create through two 409s: %v", err)
	}
	// A plain Put is not a conditional write: its 409 is an answer.
	proxy.Fail(http.MethodPut, "/plan.json", 1, http.StatusConflict, "ConditionalRequestConflict")
	if err := st.Put(ctx, "runs/r/plan.json", []byte("p"), store.PutOptions{}); err == nil {
		t.Errorf("plain Put through a 409 with the default retryer succeeded; want the 409")
	}
}

// TestS3StoreLostAnswer pins what a retry does to a conditional create whose
// first attempt succeeded but whose answer was lost: the retry finds the key
// and reports ErrExists, although the object holds the caller's body. Callers
// that must know put something of their own in it (the worker's claim nonce).
func TestS3StoreLostAnswer(t *testing.T) {
	m := StartMinIO(t)
	proxy := NewFaultProxy(t, m.Endpoint)
	st := s3store.New(S3Client(proxy.URL), m.Bucket, "")
	ctx := context.Background()
	proxy.FailAfter(http.MethodPut, "/claim", 1, http.StatusServiceUnavailable, "SlowDown")
	err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("mine"), store.PutOptions{IfAbsent: true})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("conditional create whose answer was lost: %v; want ErrExists", err)
	}
	if b, _ := st.Get(ctx, "runs/r/shards/s0/claim"); string(b) != "mine" {
		t.Errorf("the claim holds %q; want mine", b)
	}
}

// TestS3StoreFromEnv: the store a main opens (awsenv) follows the
// environment's credentials and BARRAGE_S3_ENDPOINT; s3store itself reads no
// environment, only the endpoint it is given.
func TestS3StoreFromEnv(t *testing.T) {
	m := StartMinIO(t)
	for _, kv := range Env(m.Endpoint, "") {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == stack.EnvS3Endpoint {
			t.Setenv(k, v)
		}
	}
	ctx := context.Background()
	env, err := awsenv.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := env.Store("s3://" + m.Bucket + "/team")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "runs/r/abort", nil, store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	if keys, _ := m.Store("").List(ctx, ""); fmt.Sprint(keys) != "[team/runs/r/abort]" {
		t.Errorf("bucket holds %v; want team/runs/r/abort", keys)
	}
	// NewFromConfig takes the endpoint it is given, whatever the environment says.
	t.Setenv(stack.EnvS3Endpoint, "http://127.0.0.1:1")
	st, _ = s3store.NewFromConfig(env.Config, "s3://"+m.Bucket+"/team", s3store.WithEndpoint(m.Endpoint))
	if ok, err := st.Exists(ctx, "runs/r/abort"); !ok || err != nil {
		t.Errorf("Exists through WithEndpoint = %v, %v", ok, err)
	}
}
