//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/barrage-load/barrage/pkg/store"
	"github.com/barrage-load/barrage/pkg/store/s3store"
)

func TestS3Store(t *testing.T) {
	m := StartMinIO(t)
	ctx := context.Background()
	st := s3store.New(m.Client, m.Bucket, "pfx")
	if _, err := st.Get(ctx, "runs/r/plan.json"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v; want ErrNotFound", err)
	}
	if ok, err := st.Exists(ctx, "runs/r/plan.json"); ok || err != nil {
		t.Fatalf("Exists of a missing key: %v, %v", ok, err)
	}
	if err := st.Put(ctx, "runs/r/plan.json", []byte("p1"), store.PutOptions{ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	if b, err := st.Get(ctx, "runs/r/plan.json"); err != nil || string(b) != "p1" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	// A conditional create of an existing key fails and keeps the first body.
	if err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("first"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("second"), store.PutOptions{IfAbsent: true}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second conditional create: %v; want ErrExists", err)
	}
	if b, _ := st.Get(ctx, "runs/r/shards/s0/claim"); string(b) != "first" {
		t.Errorf("claim holds %q; want first", b)
	}
	// 50 concurrent conditional creates of one key: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Put(ctx, "runs/r/shards/s1/claim", []byte(fmt.Sprint(i)), store.PutOptions{IfAbsent: true})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrExists):
				t.Errorf("racing create: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d racing creates won; want 1", wins.Load())
	}
	// List strips the store's prefix and pages past 1,000 keys.
	for i := range 1100 {
		if err := st.Put(ctx, fmt.Sprintf("runs/big/shards/s%04d/result.json", i), []byte("x"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := st.List(ctx, "runs/big/shards/")
	if err != nil || len(keys) != 1100 || keys[0] != "runs/big/shards/s0000/result.json" {
		t.Errorf("List: %d keys (first %q), %v; want 1,100", len(keys), first(keys), err)
	}
	if keys, _ := st.List(ctx, "runs/r/"); len(keys) != 3 {
		t.Errorf("List runs/r/ = %v; want plan and two claims", keys)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestS3Faults injects 503 SlowDown and 409 ConditionalRequestConflict in
// front of MinIO: the store retries, and every object ends up written once.
func TestS3Faults(t *testing.T) {
	m := StartMinIO(t)
	proxy := NewFaultProxy(t, m.Endpoint)
	ctx := context.Background()
	st := s3store.New(S3Client(proxy.URL), m.Bucket, "")
	proxy.Fail(http.MethodPut, "/claim", 3, http.StatusServiceUnavailable, "SlowDown")
	if err := st.Put(ctx, "runs/r/shards/s0/claim", []byte("c"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("conditional create through three 503s: %v", err)
	}
	proxy.Fail(http.MethodPut, "/result.json", 2, http.StatusConflict, "ConditionalRequestConflict")
	if err := st.Put(ctx, "runs/r/shards/s0/result.json", []byte("r"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("conditional create through two 409s: %v", err)
	}
	proxy.Fail(http.MethodGet, "/result.json", 2, http.StatusServiceUnavailable, "SlowDown")
	if b, err := st.Get(ctx, "runs/r/shards/s0/result.json"); err != nil || string(b) != "r" {
		t.Fatalf("Get through 503s = %q, %v", b, err)
	}
	if proxy.Injected() != 7 {
		t.Errorf("%d faults injected; want 7", proxy.Injected())
	}
	// A retried conditional create that had in fact succeeded must not be
	// mistaken for a conflict with another writer: here the object exists
	// once, with our body.
	keys, _ := s3store.New(m.Client, m.Bucket, "").List(ctx, "runs/r/")
	if len(keys) != 2 {
		t.Errorf("keys %v; want the claim and the result once", keys)
	}
}
