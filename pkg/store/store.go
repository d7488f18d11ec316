// Package store holds barrage's run store: the objects of a run (spec, plan,
// claims, results, abort marker, reports) under one key layout, in a local
// directory or an S3 bucket. Workers claim shards and write results with
// conditional creates, so a shard delivered twice runs once and a result is
// written once, whatever the backend.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Errors a Store returns, to be compared with errors.Is.
var (
	// ErrExists: a conditional create found the key already there.
	ErrExists = errors.New("store: key exists")
	// ErrNotFound: no object has the key.
	ErrNotFound = errors.New("store: key not found")
)

// PutOptions modify a Put.
type PutOptions struct {
	// IfAbsent creates the key only if no object has it, atomically; else
	// Put fails with ErrExists and changes nothing (S3: If-None-Match: *).
	IfAbsent bool
	// ContentType is recorded where the backend keeps one.
	ContentType string
}

// Store is a flat key space of immutable-or-overwritten objects. Keys are
// slash-separated paths such as "runs/ID/plan.json". Implementations are safe
// for concurrent use and retry transient failures themselves.
type Store interface {
	// Put writes body at key.
	Put(ctx context.Context, key string, body []byte, opt PutOptions) error
	// Get reads the object at key, or fails with ErrNotFound. The bytes
	// are the caller's, to keep and to change (the reducer decodes in
	// them).
	Get(ctx context.Context, key string) ([]byte, error)
	// Exists reports whether an object has key.
	Exists(ctx context.Context, key string) (bool, error)
	// List returns every key that starts with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// GetJSON reads the object at key and decodes it into v; an error wraps
// ErrNotFound when there is no object.
func GetJSON(ctx context.Context, st Store, key string, v any) error {
	b, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// GetParallel bounds the reads of GetMany in flight: a store such as S3
// answers each in tens of milliseconds, so a thousand keys read one by one
// would take half a minute.
const GetParallel = 16

// GetMany reads keys, GetParallel at a time, and returns their bodies and
// errors in the order of keys.
func GetMany(ctx context.Context, st Store, keys []string) ([][]byte, []error) {
	bodies := make([][]byte, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, GetParallel)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			bodies[i], errs[i] = st.Get(ctx, k)
		}()
	}
	wg.Wait()
	return bodies, errs
}
