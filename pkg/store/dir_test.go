package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
)

func TestDirPutGetList(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	if _, err := d.Get(ctx, "runs/r/plan.json"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v; want ErrNotFound", err)
	}
	for _, k := range []string{"runs/r/plan.json", "runs/r/shards/s0001/result.json", "runs/r/shards/s0000/claim", "runs/q/plan.json"} {
		if err := d.Put(ctx, k, []byte(k), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := d.Get(ctx, "runs/r/plan.json")
	if err != nil || string(b) != "runs/r/plan.json" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if ok, err := d.Exists(ctx, "runs/r/shards/s0000/claim"); !ok || err != nil {
		t.Errorf("Exists = %v, %v; want true", ok, err)
	}
	if ok, _ := d.Exists(ctx, "runs/r/abort"); ok {
		t.Error("Exists of a missing key = true")
	}
	got, err := d.List(ctx, "runs/r/shards/")
	want := []string{"runs/r/shards/s0000/claim", "runs/r/shards/s0001/result.json"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, %v; want %v", got, err, want)
	}
	if got, _ := d.List(ctx, "runs/r/sh"); !reflect.DeepEqual(got, want) {
		t.Errorf("List of a partial name = %v; want %v", got, want)
	}
	if got, _ := d.List(ctx, "runs/none/"); len(got) != 0 {
		t.Errorf("List of a missing prefix = %v", got)
	}
	if err := d.Put(ctx, "../escape", nil, PutOptions{}); err == nil {
		t.Error("a key with .. was accepted")
	}
}

// TestDirIfAbsent checks the conditional create: of many concurrent
// creators exactly one wins, and the object keeps the winner's body.
func TestDirIfAbsent(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	var wins atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprint("worker ", i)
			err := d.Put(ctx, "runs/r/shards/s0000/claim", []byte(body), PutOptions{IfAbsent: true})
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(body)
			case !errors.Is(err, ErrExists):
				t.Errorf("Put: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d conditional creates won; want 1", wins.Load())
	}
	b, _ := d.Get(ctx, "runs/r/shards/s0000/claim")
	if string(b) != winner.Load().(string) {
		t.Errorf("object holds %q; the winner wrote %q", b, winner.Load())
	}
	// A plain put overwrites.
	if err := d.Put(ctx, "runs/r/shards/s0000/claim", []byte("x"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestShardOf(t *testing.T) {
	tests := []struct {
		key, shard, name string
		ok               bool
	}{
		{ResultKey("r", "s0001"), "s0001", "result.json", true}, // a result
		{ClaimKey("r", "s0001-w2"), "s0001-w2", "claim", true},  // a windowed shard's claim
		{PlanKey("r"), "", "", false},                           // not under shards/
		{"runs/r/shards/", "", "", false},                       // the folder itself
		{"runs/q/shards/s0/claim", "", "", false},               // another run
	}
	for _, tt := range tests {
		shard, name, ok := ShardOf("r", tt.key)
		if shard != tt.shard || name != tt.name || ok != tt.ok {
			t.Errorf("ShardOf(%q) = %q, %q, %v; want %q, %q, %v", tt.key, shard, name, ok, tt.shard, tt.name, tt.ok)
		}
	}
}
