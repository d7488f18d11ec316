package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// Resolver resolves secret references to their values. It fetches each
// secret once and keeps it for its own life, shares one fetch among
// concurrent callers asking for the same secret, and tells its Redactor
// every value it returns. It is safe for concurrent use.
//
// Values are kept in memory only; nothing is written anywhere. A Resolver
// lives as long as the shard that needs it: a new shard, a new Resolver,
// so a rotated secret is read afresh by the next shard.
type Resolver struct {
	redactor *Redactor
	sources  Sources

	mu    sync.Mutex
	calls map[Ref]*call // by Ref.source()
}

// call is one fetch of a secret: done is closed once val and err are set.
type call struct {
	done chan struct{}
	val  string
	err  error
}

// Option adjusts a Resolver: its sources, its Redactor.
type Option func(*Resolver)

// WithSources makes the Resolver read the kinds of reference in srcs
// with their sources, replacing any it had for those kinds (env: and
// file: are built in). The mains pass awssecret's for ssm: and
// secretsmanager:; without them those references fail with ErrNoSource.
func WithSources(srcs Sources) Option {
	return func(r *Resolver) { maps.Copy(r.sources, srcs) }
}

// WithRedactor makes the Resolver tell red, instead of a Redactor of its
// own, every value it resolves.
func WithRedactor(red *Redactor) Option { return func(r *Resolver) { r.redactor = red } }

// NewResolver returns a Resolver. Without options it reads env: and file:
// references only, and keeps a new Redactor.
func NewResolver(opts ...Option) *Resolver {
	r := &Resolver{sources: builtin(), calls: map[Ref]*call{}}
	for _, o := range opts {
		o(r)
	}
	if r.redactor == nil {
		r.redactor = NewRedactor()
	}
	return r
}

// Redactor returns the Redactor that learns every value r resolves.
func (r *Resolver) Redactor() *Redactor { return r.redactor }

// Resolve returns the value ref refers to (see Parse). The first call for
// a secret fetches it; later calls, with any field, are answered from
// memory. Callers that ask while a fetch is in flight wait for it, or for
// their ctx. A failed fetch is not kept, so the next call tries again.
//
// Errors name the reference ("resolve ssm:/x: ...") and never hold the
// value; a reference that names nothing wraps ErrNotFound, one that does
// not parse wraps ErrBadRef, one of a kind no Source reads wraps
// ErrNoSource. An empty value is an error.
func (r *Resolver) Resolve(ctx context.Context, ref string) (string, error) {
	p, err := Parse(ref)
	if err != nil {
		return "", err
	}
	raw, err := r.fetch(ctx, p.source())
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	val := raw
	if p.Field != "" {
		if val, err = field(raw, p.Field); err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
	}
	if val == "" {
		return "", fmt.Errorf("resolve %s: empty value", p)
	}
	r.redactor.Add(val)
	return val, nil
}

// fetch returns the value of src, fetching it at most once at a time and
// keeping it once fetched.
func (r *Resolver) fetch(ctx context.Context, src Ref) (string, error) {
	for {
		r.mu.Lock()
		c, ok := r.calls[src]
		if !ok {
			c = &call{done: make(chan struct{})}
			r.calls[src] = c
			r.mu.Unlock()
			c.val, c.err = r.get(ctx, src)
			if c.err != nil {
				r.mu.Lock()
				delete(r.calls, src)
				r.mu.Unlock()
			}
			close(c.done)
			return c.val, c.err
		}
		r.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		// A fetch that ended because its caller gave up says nothing about
		// the secret: a waiter whose ctx is live fetches it itself.
		if c.err != nil && ctx.Err() == nil &&
			(errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
			continue
		}
		return c.val, c.err
	}
}

// get fetches the value of src from the source of its kind.
func (r *Resolver) get(ctx context.Context, src Ref) (string, error) {
	s, ok := r.sources[src.Kind]
	if !ok {
		return "", fmt.Errorf("%w (%s:)", ErrNoSource, src.Kind)
	}
	return s.Get(ctx, src.Name)
}

// field returns the top-level string field name of the JSON object raw.
// Its errors never quote raw: the JSON decoder's would (a character here,
// an offset there).
func field(raw, name string) (string, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &obj) != nil || obj == nil {
		return "", errors.New("value is not a JSON object, so it has no fields")
	}
	v, ok := obj[name]
	if !ok {
		return "", fmt.Errorf("%w: no field %q", ErrNotFound, name)
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", fmt.Errorf("field %q is not a string", name)
	}
	return s, nil
}
