package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MaxFileSize is the largest file a file: reference may name, 64 KiB, the
// largest SecretString Secrets Manager holds. It keeps a mistaken path
// (/dev/zero, a log file) from being read into memory whole.
const MaxFileSize = 64 << 10

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
	loadAWS  func(context.Context) (aws.Config, error)

	awsMu sync.Mutex // guards the three below
	cfg   *aws.Config
	ssm   ParameterGetter
	sm    SecretValueGetter

	mu    sync.Mutex
	calls map[Ref]*call // by Ref.source()
}

// call is one fetch of a secret: done is closed once val and err are set.
type call struct {
	done chan struct{}
	val  string
	err  error
}

// Option adjusts a Resolver; options inject the pieces tests replace.
type Option func(*Resolver)

// WithSSM makes the Resolver fetch ssm: references with c instead of a
// client built from the AWS configuration.
func WithSSM(c ParameterGetter) Option { return func(r *Resolver) { r.ssm = c } }

// WithSecretsManager makes the Resolver fetch secretsmanager: references
// with c instead of a client built from the AWS configuration.
func WithSecretsManager(c SecretValueGetter) Option { return func(r *Resolver) { r.sm = c } }

// WithAWSConfig makes the Resolver build its AWS clients (NewSSMClient,
// NewSecretsManagerClient) from the configuration load returns instead of
// LoadAWSConfig's. load is called when an ssm: or secretsmanager:
// reference is first resolved, and never for env: and file: references.
func WithAWSConfig(load func(context.Context) (aws.Config, error)) Option {
	return func(r *Resolver) { r.loadAWS = load }
}

// WithRedactor makes the Resolver tell red, instead of a Redactor of its
// own, every value it resolves.
func WithRedactor(red *Redactor) Option { return func(r *Resolver) { r.redactor = red } }

// NewResolver returns a Resolver. Without options it reads the AWS
// configuration with LoadAWSConfig the first time it needs it, and keeps a
// new Redactor.
func NewResolver(opts ...Option) *Resolver {
	r := &Resolver{loadAWS: LoadAWSConfig, calls: map[Ref]*call{}}
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
// not parse wraps ErrBadRef. An empty value is an error.
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

// get fetches the value of src.
func (r *Resolver) get(ctx context.Context, src Ref) (string, error) {
	switch src.Kind {
	case KindEnv:
		v, ok := os.LookupEnv(src.Name)
		if !ok {
			return "", fmt.Errorf("%w: variable is not set", ErrNotFound)
		}
		return v, nil
	case KindFile:
		return readFile(src.Name)
	case KindSSM:
		return r.getParameter(ctx, src.Name)
	case KindSecretsManager:
		return r.getSecretValue(ctx, src.Name)
	}
	return "", fmt.Errorf("%w: kind %q", ErrBadRef, src.Kind)
}

// readFile returns the content of the file at path, less one trailing
// newline ("\n" or "\r\n"), as `echo secret > file` leaves one.
func readFile(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxFileSize {
		return "", fmt.Errorf("file is larger than %d bytes", MaxFileSize)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s, _ = strings.CutSuffix(t, "\r")
	}
	return s, nil
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
