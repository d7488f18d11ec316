package awsenv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/stack"
)

// isolate gives the default AWS configuration static credentials from the
// environment, no region, and nothing from the home directory or the
// instance, and unsets every endpoint override.
func isolate(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": none,
		"AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
	for _, k := range overrides {
		t.Setenv(k, "")
	}
}

// overrides are the endpoint variables, by Endpoints field.
var overrides = map[string]string{
	"S3": stack.EnvS3Endpoint, "SQS": stack.EnvSQSEndpoint, "Lambda": stack.EnvLambdaEndpoint,
	"ECS": stack.EnvECSEndpoint, "Scheduler": stack.EnvSchedulerEndpoint, "Quotas": stack.EnvQuotasEndpoint,
	"SSM": stack.EnvSSMEndpoint, "SecretsManager": stack.EnvSecretsManagerEndpoint,
}

// TestEndpointsFromEnv: each variable sets its field, and only it.
func TestEndpointsFromEnv(t *testing.T) {
	isolate(t)
	if n := reflect.TypeFor[Endpoints]().NumField(); n != len(overrides) {
		t.Fatalf("Endpoints has %d fields; the test knows %d variables", n, len(overrides))
	}
	if ep := EndpointsFromEnv(); ep != (Endpoints{}) {
		t.Errorf("no variable set: %+v; want none", ep)
	}
	for field, env := range overrides {
		t.Setenv(env, "http://127.0.0.1:1/"+field)
		var want Endpoints
		reflect.ValueOf(&want).Elem().FieldByName(field).SetString("http://127.0.0.1:1/" + field)
		if got := EndpointsFromEnv(); got != want {
			t.Errorf("%s set: %+v; want %+v", env, got, want)
		}
		t.Setenv(env, "")
	}
}

// TestClients: the launch clients take the overrides, or keep AWS's.
func TestClients(t *testing.T) {
	ep := Endpoints{Lambda: "http://127.0.0.1:1", ECS: "http://127.0.0.1:2", Scheduler: "http://127.0.0.1:3", Quotas: "http://127.0.0.1:4"}
	for _, tc := range []struct {
		env  *Env
		want []string // Lambda, ECS, Scheduler, Quotas
	}{
		{&Env{Config: aws.Config{Region: "eu-west-1"}, Endpoints: ep}, []string{ep.Lambda, ep.ECS, ep.Scheduler, ep.Quotas}},
		{&Env{Config: aws.Config{Region: "eu-west-1"}}, []string{"", "", "", ""}},
	} {
		e := tc.env
		got := []string{aws.ToString(e.Lambda().Options().BaseEndpoint), aws.ToString(e.ECS().Options().BaseEndpoint),
			aws.ToString(e.Scheduler().Options().BaseEndpoint), aws.ToString(e.ServiceQuotas().Options().BaseEndpoint)}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("endpoints %+v: clients' %q; want %q", e.Endpoints, got, tc.want)
		}
	}
}

// recorder is an AWS endpoint that keeps each request's method, path,
// X-Amz-Target and signing region, and answers with body.
type recorder struct {
	body string
	mu   sync.Mutex
	seen []string
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/`)

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	region := ""
	if m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	r.mu.Lock()
	r.seen = append(r.seen, strings.Join([]string{req.Method, req.URL.Path, req.Header.Get("X-Amz-Target"), region}, " "))
	r.mu.Unlock()
	if req.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	}
	w.Write([]byte(r.body))
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// serve starts r on 127.0.0.1 and returns its URL.
func serve(t *testing.T, r *recorder) string {
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestLoad: the store, the queue and the secrets of a loaded Env reach the
// endpoints the environment names, path-style for S3, signed for the
// default region when the configuration names none.
func TestLoad(t *testing.T) {
	isolate(t)
	s3, sqs := &recorder{}, &recorder{body: `{}`}
	ssm := &recorder{body: `{"Parameter":{"Name":"/p","Value":"ssm-Pa55word"}}`}
	t.Setenv(stack.EnvS3Endpoint, serve(t, s3))
	t.Setenv(stack.EnvSQSEndpoint, serve(t, sqs))
	t.Setenv(stack.EnvSSMEndpoint, serve(t, ssm))
	ctx := context.Background()
	env, err := Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := env.Store("s3://bucket/team")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Exists(ctx, "runs/r/abort"); !ok || err != nil {
		t.Errorf("Exists = %v, %v; want true", ok, err)
	}
	q, err := env.Queue("http://127.0.0.1:1/000000000000/shards")
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := q.Receive(ctx, 1, 0, 0); len(ds) != 0 || err != nil {
		t.Errorf("Receive = %v, %v; want nothing", ds, err)
	}
	v, err := secret.NewResolver(secret.WithSources(env.SecretSources())).Resolve(ctx, "ssm:/p")
	if err != nil || v != "ssm-Pa55word" {
		t.Errorf("Resolve(ssm:/p) = %q, %v; want the value", v, err)
	}
	for _, tc := range []struct {
		name string
		r    *recorder
		want string
	}{
		{"S3", s3, "HEAD /bucket/team/runs/r/abort  us-east-1"},
		{"SQS", sqs, "POST / AmazonSQS.ReceiveMessage us-east-1"},
		{"SSM", ssm, "POST / AmazonSSM.GetParameter us-east-1"},
	} {
		if got := tc.r.requests(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s saw %q; want %q", tc.name, got, tc.want)
		}
	}
}

// TestLazy: a Lazy loads once, when first used; its secret sources load
// only for ssm: and secretsmanager: references, and a configuration that
// fails to load is an error naming it, tried again at the next use.
func TestLazy(t *testing.T) {
	isolate(t)
	ssm := &recorder{body: `{"Parameter":{"Name":"/p","Value":"ssm-Pa55word"}}`}
	t.Setenv(stack.EnvSSMEndpoint, serve(t, ssm))
	t.Setenv("BARRAGE_TEST_SECRET", "env-Pa55word")
	t.Setenv("AWS_PROFILE", "nope") // no such profile: loading fails
	ctx := context.Background()
	l := &Lazy{}
	res := secret.NewResolver(secret.WithSources(l.SecretSources()))
	if v, err := res.Resolve(ctx, "env:BARRAGE_TEST_SECRET"); err != nil || v != "env-Pa55word" {
		t.Errorf("Resolve(env:…) = %q, %v; want the value, without AWS", v, err)
	}
	_, err := res.Resolve(ctx, "ssm:/p")
	if err == nil || !strings.HasPrefix(err.Error(), "resolve ssm:/p: aws config: ") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Resolve(ssm:/p) with a missing profile: %v; want resolve ssm:/p: aws config: … naming it", err)
	}
	if _, err := l.Get(ctx); err == nil || !strings.HasPrefix(err.Error(), "aws configuration: ") {
		t.Errorf("Get with a missing profile: %v; want aws configuration: …", err)
	}
	// The profile fixed, the next use loads, and keeps what it loaded.
	t.Setenv("AWS_PROFILE", "")
	if v, err := res.Resolve(ctx, "ssm:/p"); err != nil || v != "ssm-Pa55word" {
		t.Errorf("Resolve(ssm:/p) after the fix = %q, %v; want the value", v, err)
	}
	e1, err := l.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e2, _ := l.Get(ctx); e2 != e1 {
		t.Error("a second Get loaded again; want the first Env")
	}
	if got := ssm.requests(); len(got) != 1 || got[0] != "POST / AmazonSSM.GetParameter us-east-1" {
		t.Errorf("SSM saw %q; want one GetParameter signed for us-east-1", got)
	}
}
