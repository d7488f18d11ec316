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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// fakeStore is an in-memory SSM and Secrets Manager that counts calls by
// name. With gate set, each call waits for it to close (or for its ctx).
type fakeStore struct {
	mu     sync.Mutex
	values map[string]string
	calls  map[string]int
	gate   chan struct{}
}

var (
	_ ParameterGetter   = (*fakeStore)(nil)
	_ SecretValueGetter = (*fakeStore)(nil)
)

func newFakeStore(values map[string]string) *fakeStore {
	return &fakeStore{values: values, calls: map[string]int{}}
}

func (f *fakeStore) get(ctx context.Context, name string) (string, bool, error) {
	f.mu.Lock()
	f.calls[name]++
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[name]
	return v, ok, nil
}

func (f *fakeStore) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeStore) GetParameter(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("fake: GetParameter without WithDecryption")
	}
	v, ok, err := f.get(ctx, aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("fake: no such parameter")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fakeStore) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	v, ok, err := f.get(ctx, aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("fake: no such secret")}
	}
	if v == "<binary>" {
		return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte("QZXJ9WQK7V")}, nil
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

// noAWS is an AWS configuration loader that fails the test if called.
func noAWS(t *testing.T) Option {
	return WithAWSConfig(func(context.Context) (aws.Config, error) {
		t.Error("the AWS configuration was loaded")
		return aws.Config{}, errors.New("no AWS here")
	})
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
	r := NewResolver(noAWS(t))
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
	r := NewResolver(WithSSM(f), WithSecretsManager(f), noAWS(t))
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
		r := NewResolver(WithSSM(f), WithSecretsManager(f), noAWS(t))
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
		r := NewResolver(WithSSM(f), noAWS(t))
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

func TestResolveAWSConfigFailure(t *testing.T) {
	loads := 0
	r := NewResolver(WithAWSConfig(func(context.Context) (aws.Config, error) {
		loads++
		return aws.Config{}, errors.New("no credentials in this test")
	}))
	for _, ref := range []string{"ssm:/p", "secretsmanager:s"} {
		_, err := r.Resolve(context.Background(), ref)
		if want := "resolve " + ref + ": aws config: no credentials in this test"; err == nil || err.Error() != want {
			t.Errorf("Resolve(%s): %v; want %q", ref, err, want)
		}
	}
	if loads != 2 {
		t.Errorf("loaded the AWS configuration %d times; want once per failed call", loads)
	}
}

// secretValue is the value the leak tests hide: errors must hold no piece
// of it of three bytes or more.
const secretValue = "QZXJ9WQK7V"

func leaks(s string) string {
	for i := 0; i+3 <= len(secretValue); i++ {
		if strings.Contains(s, secretValue[i:i+3]) {
			return secretValue[i : i+3]
		}
	}
	return ""
}

// TestErrorsNeverHoldTheValue resolves references that fail after the
// secret was fetched, and checks that no error quotes any of it.
func TestErrorsNeverHoldTheValue(t *testing.T) {
	f := newFakeStore(map[string]string{
		"plain":  secretValue,
		"broken": `{"a":"` + secretValue + `"x}`,
		"number": `{"a":` + secretValue[4:5] + `}`,
		"object": `{"a":{"b":"` + secretValue + `"}}`,
		"binary": "<binary>",
	})
	t.Setenv("BARRAGE_TEST_SECRET", secretValue)
	r := NewResolver(WithSSM(f), WithSecretsManager(f), noAWS(t))
	for _, ref := range []string{
		"secretsmanager:plain#a",  // not JSON at all
		"secretsmanager:broken#a", // JSON broken right after the value
		"secretsmanager:number#a", // a field that is not a string
		"secretsmanager:object#a", // a field that is an object holding the value
		"secretsmanager:object#b", // a field that is not at the top
		"secretsmanager:binary",   // a binary secret
		"env:BARRAGE_TEST_SECRET#a",
		"file:" + writeFile(t, secretValue) + "#a",
		"file:" + writeFile(t, secretValue+strings.Repeat("x", MaxFileSize)),
	} {
		_, err := r.Resolve(context.Background(), ref)
		if err == nil {
			t.Errorf("Resolve(%s) succeeded; want an error", ref)
			continue
		}
		if piece := leaks(err.Error()); piece != "" {
			t.Errorf("Resolve(%s): error %q holds %q, part of the value", ref, err, piece)
		}
		if !strings.HasPrefix(err.Error(), "resolve ") {
			t.Errorf("Resolve(%s): error %q does not name the reference", ref, err)
		}
	}
}
