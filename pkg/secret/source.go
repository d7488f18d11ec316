package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// MaxFileSize is the largest file a file: reference may name, 64 KiB, the
// largest SecretString Secrets Manager holds. It keeps a mistaken path
// (/dev/zero, a log file) from being read into memory whole.
const MaxFileSize = 64 << 10

// ErrNoSource is a reference of a kind that no Source of the Resolver
// reads: an ssm: or secretsmanager: reference in a process whose main did
// not pass the AWS sources (package awssecret).
var ErrNoSource = errors.New("no source reads this kind of reference here")

// A Source reads the secrets of one kind of reference. A Resolver calls it
// at most once at a time per secret and keeps what it returns.
//
// env: and file: are read by the package itself; ssm: and secretsmanager:
// by package awssecret, which the mains pass to NewResolver with
// WithSources, so that no core package links the AWS SDK.
type Source interface {
	// Get returns the whole value of the secret name names: a Ref's Name,
	// without scheme or #field. A name that names nothing wraps
	// ErrNotFound. Errors never hold the value, nor any part of an answer
	// that might hold it.
	Get(ctx context.Context, name string) (string, error)
}

// SourceFunc is a function that is a Source.
type SourceFunc func(ctx context.Context, name string) (string, error)

// Get calls f.
func (f SourceFunc) Get(ctx context.Context, name string) (string, error) { return f(ctx, name) }

// Sources are a Resolver's sources by the kind of reference they read.
type Sources map[Kind]Source

// builtin are the sources every Resolver has.
func builtin() Sources {
	return Sources{KindEnv: SourceFunc(getEnv), KindFile: SourceFunc(readFile)}
}

// getEnv returns the environment variable name.
func getEnv(_ context.Context, name string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("%w: variable is not set", ErrNotFound)
	}
	return v, nil
}

// readFile returns the content of the file at path, less one trailing
// newline ("\n" or "\r\n"), as `echo secret > file` leaves one.
func readFile(_ context.Context, path string) (string, error) {
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
