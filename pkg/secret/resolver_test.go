package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/internal/secrettest"
)

// fakeStore is an in-memory Source that counts calls by name. With gate
// set, each call waits for it to close (or for its ctx).
type fakeStore struct {
	mu     sync.Mutex
	values map[string]string
	calls  map[string]int
	gate   chan struct{}
}

var _ Source = (*fakeStore)(nil)

func newFakeStore(values map[string]string) *fakeStore {
	return &fakeStore{values: values, calls: map[string]int{}}
}

func (f *fakeStore) Get(ctx context.Context, name string) (string, error) {
	f.mu.Lock()
	f.calls[name]++
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[name]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (f *fakeStore) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// both makes f the source of ssm: and secretsmanager: references.
func both(f Source) Option {
	return WithSources(Sources{KindSSM: f, KindSecretsManager: f})
}

// untouched is a source of ssm: and secretsmanager: references that fails
// the test if it is asked anything.
func untouched(t *testing.T) Option {
	return both(SourceFunc(func(_ context.Context, name string) (string, error) {
		t.Errorf("the source was asked for %s", name)
		return "", errors.New("not here")
	}))
}

// writeFile writes content to a file in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveEnvAndFile(t *testing.T) {
	t.Setenv("BARRAGE_TEST_SECRET", "env-Pa55word")
	t.Setenv("BARRAGE_TEST_JSON", `{"client_secret":"json-Pa55word"}`)
	t.Setenv("BARRAGE_TEST_EMPTY", "")
	os.Unsetenv("BARRAGE_TEST_UNSET")
	plain := writeFile(t, "file-Pa55word\n")
	crlf := writeFile(t, "file-Pa55word\r\n")
	two := writeFile(t, "file-Pa55word\n\n")
	obj := writeFile(t, `{"client_secret": "file-json-Pa55word", "n": 5}`+"\n")
	big := writeFile(t, strings.Repeat("x", MaxFileSize+1))
	missing := filepath.Join(t.TempDir(), "missing")
	r := NewResolver(untouched(t))
	for _, tc := range []struct {
		ref, want string
		bad       string // a fragment of the error; "" if the ref resolves
		notFound  bool   // the error is ErrNotFound
	}{
		// A variable, whole and by field.
		{ref: "env:BARRAGE_TEST_SECRET", want: "env-Pa55word"},
		{ref: "env:BARRAGE_TEST_JSON#client_secret", want: "json-Pa55word"},
		// An unset variable is not found; a set but empty one is an error too.
		{ref: "env:BARRAGE_TEST_UNSET", bad: "resolve env:BARRAGE_TEST_UNSET: not found: variable is not set", notFound: true},
		{ref: "env:BARRAGE_TEST_EMPTY", bad: "resolve env:BARRAGE_TEST_EMPTY: empty value"},
		// A file loses one trailing newline, \n or \r\n, and only one.
		{ref: "file:" + plain, want: "file-Pa55word"},
		{ref: "file:" + crlf, want: "file-Pa55word"},
		{ref: "file:" + two, want: "file-Pa55word\n"},
		// A JSON file by field (the trailing newline is JSON white space).
		{ref: "file:" + obj + "#client_secret", want: "file-json-Pa55word"},
		// Fields that are missing or not strings, and files that are not JSON.
		{ref: "file:" + obj + "#nope", bad: `not found: no field "nope"`, notFound: true},
		{ref: "file:" + obj + "#n", bad: `field "n" is not a string`},
		{ref: "file:" + plain + "#client_secret", bad: "not a JSON object"},
		{ref: "env:BARRAGE_TEST_SECRET#x", bad: "not a JSON object"},
		// A missing file is not found; a huge one is refused.
		{ref: "file:" + missing, bad: "resolve file:" + missing + ": not found", notFound: true},
		{ref: "file:" + big, bad: "larger than 65536 bytes"},
		// A bad reference is ErrBadRef, unresolved.
		{ref: "hunter2", bad: "no known scheme"},
	} {
		got, err := r.Resolve(context.Background(), tc.ref)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) || errors.Is(err, ErrNotFound) != tc.notFound {
				t.Errorf("Resolve(%s) = %q, %v; want an error saying %q (not found: %v)", tc.ref, got, err, tc.bad, tc.notFound)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
}

func TestResolveCaches(t *testing.T) {
	f := newFakeStore(map[string]string{"/kc/pw": "ssm-Pa55word", "kc": `{"id":"barrage","secret":"sm-Pa55word"}`})
	r := NewResolver(both(f))
	for range 3 {
		for ref, want := range map[string]string{
			"ssm:/kc/pw":               "ssm-Pa55word",
			"secretsmanager:kc#id":     "barrage",
			"secretsmanager:kc#secret": "sm-Pa55word",
		} {
			if got, err := r.Resolve(context.Background(), ref); err != nil || got != want {
				t.Errorf("Resolve(%s) = %q, %v; want %q", ref, got, err, want)
			}
		}
	}
	// Two fields of one secret are one fetch.
	if n, m := f.count("/kc/pw"), f.count("kc"); n != 1 || m != 1 {
		t.Errorf("fetched /kc/pw %d times and kc %d times; want once each", n, m)
	}
	// A failure is not kept: the next call asks again.
	for range 2 {
		if _, err := r.Resolve(context.Background(), "ssm:/missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(ssm:/missing): %v; want ErrNotFound", err)
		}
	}
	if n := f.count("/missing"); n != 2 {
		t.Errorf("fetched /missing %d times; want 2 (failures are not cached)", n)
	}
	// The Redactor learnt every value returned, short ones excepted.
	red := r.Redactor()
	if got := red.String("ssm-Pa55word sm-Pa55word barrage"); got != "[REDACTED] [REDACTED] [REDACTED]" {
		t.Errorf("Redactor().String = %q; want every resolved value hidden", got)
	}
}

// TestResolveConcurrent: callers asking for one secret at once share
// one fetch.
func TestResolveConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeStore(map[string]string{"kc": `{"a":"sm-Pa55word-a","b":"sm-Pa55word-b"}`, "/p": "ssm-Pa55word"})
		f.gate = make(chan struct{})
		r := NewResolver(both(f))
		refs := []string{"secretsmanager:kc#a", "secretsmanager:kc#b", "ssm:/p"}
		wants := []string{"sm-Pa55word-a", "sm-Pa55word-b", "ssm-Pa55word"}
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				ref, want := refs[i%3], wants[i%3]
				if got, err := r.Resolve(context.Background(), ref); err != nil || got != want {
					t.Errorf("Resolve(%s) = %q, %v; want %q", ref, got, err, want)
				}
			})
		}
		// Every caller is now in a fetch or waiting on one.
		synctest.Wait()
		close(f.gate)
		wg.Wait()
		if n, m := f.count("kc"), f.count("/p"); n != 1 || m != 1 {
			t.Errorf("60 callers fetched kc %d times and /p %d times; want once each", n, m)
		}
	})
}

// TestResolveWaiterOutlivesCancelledFetch: a fetch ended by its caller's
// ctx does not fail the callers waiting on it.
func TestResolveWaiterOutlivesCancelledFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeStore(map[string]string{"/p": "ssm-Pa55word"})
		f.gate = make(chan struct{})
		r := NewResolver(both(f))
		// The first caller starts the fetch.
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() { _, err := r.Resolve(ctx, "ssm:/p"); first <- err }()
		synctest.Wait()
		// A second caller waits on that fetch; a third gives up while waiting.
		second := make(chan string, 1)
		go func() { v, _ := r.Resolve(context.Background(), "ssm:/p"); second <- v }()
		short, cancelShort := context.WithTimeout(context.Background(), time.Second)
		defer cancelShort()
		if _, err := r.Resolve(short, "ssm:/p"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a waiter whose ctx ends: %v; want context.DeadlineExceeded", err)
		}
		// The first caller gives up: its fetch ends with its ctx.
		cancel()
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Errorf("the cancelled first caller: %v; want context.Canceled", err)
		}
		// The second caller fetches again for itself, and gets the value.
		synctest.Wait()
		close(f.gate)
		if v := <-second; v != "ssm-Pa55word" {
			t.Errorf("the waiting caller got %q; want the value", v)
		}
		if n := f.count("/p"); n != 2 {
			t.Errorf("fetched /p %d times; want 2 (the cancelled fetch and the waiter's own)", n)
		}
	})
}

// TestResolveSources: references of a kind without a source fail with
// ErrNoSource, naming it; WithSources adds kinds and replaces built-in ones.
func TestResolveSources(t *testing.T) {
	t.Setenv("BARRAGE_TEST_SECRET", "env-Pa55word")
	for _, ref := range []string{"ssm:/p", "secretsmanager:s"} {
		_, err := NewResolver().Resolve(context.Background(), ref)
		if want := "resolve " + ref + ": no source reads this kind of reference here (" + strings.SplitN(ref, ":", 2)[0] + ":)"; !errors.Is(err, ErrNoSource) || err.Error() != want {
			t.Errorf("Resolve(%s) without sources: %v; want %q", ref, err, want)
		}
	}
	f := newFakeStore(map[string]string{"BARRAGE_TEST_SECRET": "from-the-source", "/p": "ssm-Pa55word"})
	r := NewResolver(WithSources(Sources{KindEnv: f, KindSSM: f}))
	for ref, want := range map[string]string{"env:BARRAGE_TEST_SECRET": "from-the-source", "ssm:/p": "ssm-Pa55word"} {
		if got, err := r.Resolve(context.Background(), ref); err != nil || got != want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := r.Resolve(context.Background(), "secretsmanager:s"); !errors.Is(err, ErrNoSource) {
		t.Errorf("Resolve(secretsmanager:s) with an ssm: source only: %v; want ErrNoSource", err)
	}
}

// TestErrorsNeverHoldTheValue resolves references that fail after the
// secret was fetched, and checks that no error quotes any of it.
func TestErrorsNeverHoldTheValue(t *testing.T) {
	f := newFakeStore(map[string]string{
		"plain":  secrettest.Value,
		"broken": `{"a":"` + secrettest.Value + `"x}`,
		"number": `{"a":` + secrettest.Value[4:5] + `}`,
		"object": `{"a":{"b":"` + secrettest.Value + `"}}`,
	})
	t.Setenv("BARRAGE_TEST_SECRET", secrettest.Value)
	r := NewResolver(both(f))
	for _, ref := range []string{
		"secretsmanager:plain#a",  // not JSON at all
		"secretsmanager:broken#a", // JSON broken right after the value
		"secretsmanager:number#a", // a field that is not a string
		"secretsmanager:object#a", // a field that is an object holding the value
		"secretsmanager:object#b", // a field that is not at the top
		"env:BARRAGE_TEST_SECRET#a",
		"file:" + writeFile(t, secrettest.Value) + "#a",
		"file:" + writeFile(t, secrettest.Value+strings.Repeat("x", MaxFileSize)),
	} {
		_, err := r.Resolve(context.Background(), ref)
		if err == nil {
			t.Errorf("Resolve(%s) succeeded; want an error", ref)
			continue
		}
		if piece := secrettest.Leaks(err.Error()); piece != "" {
			t.Errorf("Resolve(%s): error %q holds %q, part of the value", ref, err, piece)
		}
		if !strings.HasPrefix(err.Error(), "resolve ") {
			t.Errorf("Resolve(%s): error %q does not name the reference", ref, err)
		}
	}
}
