package awssecret

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/barrage-load/barrage/internal/secrettest"
	"github.com/barrage-load/barrage/pkg/secret"
)

// fakeAWS is an SSM or Secrets Manager endpoint speaking the AWS JSON 1.1
// protocol, as the SDK's clients do, for one operation. It answers from
// answers by name: a JSON body, or an error code for a 400.
type fakeAWS struct {
	t       *testing.T
	target  string // the X-Amz-Target of the operation, such as AmazonSSM.GetParameter
	nameKey string // the request field holding the name: Name or SecretId
	answers map[string]string
	errors  map[string]string

	mu      sync.Mutex
	calls   int
	regions []string // the signing region of each request
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/`)

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	err := json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	f.calls++
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		f.regions = append(f.regions, m[1])
	}
	f.mu.Unlock()
	if got := r.Header.Get("X-Amz-Target"); got != f.target || r.Method != http.MethodPost || err != nil {
		f.t.Errorf("fake %s: got %s with X-Amz-Target %q, body error %v", f.target, r.Method, got, err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if f.target == "AmazonSSM.GetParameter" && in["WithDecryption"] != true {
		f.t.Errorf("GetParameter without WithDecryption: %v", in)
	}
	name, _ := in[f.nameKey].(string)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if code, ok := f.errors[name]; ok {
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "fake: " + code})
		return
	}
	w.Write([]byte(f.answers[name]))
}

func (f *fakeAWS) seen() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]string(nil), f.regions...)
}

// serve starts f on 127.0.0.1 and returns its URL.
func serve(t *testing.T, f *fakeAWS) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// staticAWS loads a configuration of region with static credentials.
func staticAWS(region string) func(context.Context) (aws.Config, error) {
	return func(context.Context) (aws.Config, error) {
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-key", "")}, nil
	}
}

func ssmAnswer(name, value string) string {
	b, _ := json.Marshal(map[string]any{"Parameter": map[string]any{
		"Name": name, "Type": "SecureString", "Value": value, "Version": 3, "DataType": "text"}})
	return string(b)
}

func smAnswer(name, value string) string {
	b, _ := json.Marshal(map[string]any{"ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:" + name,
		"Name": name, "SecretString": value, "VersionId": "v1", "VersionStages": []string{"AWSCURRENT"}})
	return string(b)
}

func TestResolveOverHTTP(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:1:secret:kc"
	ps := &fakeAWS{t: t, target: "AmazonSSM.GetParameter", nameKey: "Name",
		answers: map[string]string{
			"/kc/pw":      ssmAnswer("/kc/pw", "ssm-Pa55word"),
			"/kc/json":    ssmAnswer("/kc/json", `{"password":"ssm-json-Pa55word"}`),
			"/kc/broken":  `{"Parameter":{"Name":"/kc/broken","Value":"` + secrettest.Value + `"x}}`,
			"/kc/novalue": `{"Parameter":{"Name":"/kc/novalue"}}`,
		},
		errors: map[string]string{"/kc/missing": "ParameterNotFound", "/kc/denied": "AccessDeniedException"}}
	sm := &fakeAWS{t: t, target: "secretsmanager.GetSecretValue", nameKey: "SecretId",
		answers: map[string]string{
			arn:    smAnswer("kc", `{"client_id":"barrage","client_secret":"sm-Pa55word"}`),
			"kc":   smAnswer("kc", `{"client_id":"barrage","client_secret":"sm-Pa55word"}`),
			"bin":  `{"Name":"bin","SecretBinary":"UVpYSjlXUUs3Vg=="}`,
			"fast": smAnswer("fast", secrettest.Value),
		},
		errors: map[string]string{"gone": "ResourceNotFoundException"}}
	r := secret.NewResolver(secret.WithSources(Sources(staticAWS("eu-central-1"), Endpoints{SSM: serve(t, ps), SecretsManager: serve(t, sm)})))
	for _, tc := range []struct {
		ref, want string
		bad       string // a fragment of the error; "" if the ref resolves
		notFound  bool   // the error is ErrNotFound
	}{
		// SSM: a parameter, whole and by field.
		{ref: "ssm:/kc/pw", want: "ssm-Pa55word"},
		{ref: "ssm:/kc/json#password", want: "ssm-json-Pa55word"},
		// Secrets Manager by ARN and by name, two fields of one secret.
		{ref: "secretsmanager:" + arn + "#client_secret", want: "sm-Pa55word"},
		{ref: "secretsmanager:" + arn + "#client_id", want: "barrage"},
		{ref: "secretsmanager:kc#client_secret", want: "sm-Pa55word"},
		{ref: "secretsmanager:fast", want: secrettest.Value},
		// Error answers: not found, and any other.
		{ref: "ssm:/kc/missing", bad: "resolve ssm:/kc/missing: not found: ", notFound: true},
		{ref: "secretsmanager:gone", bad: "resolve secretsmanager:gone: not found: ", notFound: true},
		{ref: "ssm:/kc/denied", bad: "AccessDeniedException"},
		// Answers without a value, or that do not decode.
		{ref: "ssm:/kc/novalue", bad: "no parameter value"},
		{ref: "ssm:/kc/broken", bad: "malformed answer"},
		{ref: "secretsmanager:bin", bad: "no SecretString"},
	} {
		got, err := r.Resolve(context.Background(), tc.ref)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) || errors.Is(err, secret.ErrNotFound) != tc.notFound {
				t.Errorf("Resolve(%s) = %q, %v; want an error saying %q (not found: %v)", tc.ref, got, err, tc.bad, tc.notFound)
			}
			if err != nil {
				if piece := secrettest.Leaks(err.Error()); piece != "" {
					t.Errorf("Resolve(%s): error %q holds %q, part of the value", tc.ref, err, piece)
				}
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
	// One request per secret, ARN and name counted apart; failures are not
	// kept. A secret named by ARN is signed for the ARN's region, the others
	// for the configuration's.
	calls, regions := sm.seen()
	if calls != 5 {
		t.Errorf("Secrets Manager answered %d requests; want 5", calls)
	}
	if strings.Join(regions, " ") != "eu-west-1 eu-central-1 eu-central-1 eu-central-1 eu-central-1" {
		t.Errorf("Secrets Manager requests signed for %v; want eu-west-1 for the ARN, eu-central-1 after", regions)
	}
	if _, err := r.Resolve(context.Background(), "ssm:/kc/pw"); err != nil {
		t.Fatal(err)
	}
	if calls, _ := ps.seen(); calls != 6 {
		t.Errorf("SSM answered %d requests; want 6, one per parameter", calls)
	}
}

// TestResolveNoEndpoint: without an endpoint override, the clients keep
// AWS's endpoint and the configuration's region.
func TestResolveNoEndpoint(t *testing.T) {
	cfg, _ := staticAWS("eu-central-1")(context.Background())
	for name, o := range map[string]struct {
		base   *string
		region string
	}{
		"ssm":            {NewSSMClient(cfg, "").Options().BaseEndpoint, NewSSMClient(cfg, "").Options().Region},
		"secretsmanager": {NewSecretsManagerClient(cfg, "").Options().BaseEndpoint, NewSecretsManagerClient(cfg, "").Options().Region},
	} {
		if o.base != nil || o.region != "eu-central-1" {
			t.Errorf("%s client without an override: endpoint %v, region %q; want none and eu-central-1", name, aws.ToString(o.base), o.region)
		}
	}
	cfg.Region = ""
	if o := NewSSMClient(cfg, "http://127.0.0.1:1").Options(); aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:1" || o.Region != DefaultRegion {
		t.Errorf("ssm client with an override and no region: endpoint %v, region %q; want the override and %s", aws.ToString(o.BaseEndpoint), o.Region, DefaultRegion)
	}
}

// TestResolveAWSConfigFailure: a configuration that fails to load is an
// error naming it, and is loaded again at the next fetch; env: and file:
// references never load it.
func TestResolveAWSConfigFailure(t *testing.T) {
	loads := 0
	srcs := Sources(func(context.Context) (aws.Config, error) {
		loads++
		return aws.Config{}, errors.New("no credentials in this test")
	}, Endpoints{})
	t.Setenv("BARRAGE_TEST_SECRET", "env-Pa55word")
	r := secret.NewResolver(secret.WithSources(srcs))
	if v, err := r.Resolve(context.Background(), "env:BARRAGE_TEST_SECRET"); err != nil || v != "env-Pa55word" || loads != 0 {
		t.Errorf("Resolve(env:…) = %q, %v after %d loads; want the value and no load", v, err, loads)
	}
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

// getters are SSM and Secrets Manager clients that answer with out or err.
type getters struct {
	param *ssm.GetParameterOutput
	value *secretsmanager.GetSecretValueOutput
	err   error
}

func (g getters) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return g.param, g.err
}

func (g getters) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return g.value, g.err
}

// TestSourcesWithClients: SSM and SecretsManager over given clients; a
// binary secret is refused without quoting it, as is an empty answer.
func TestSourcesWithClients(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  secret.Source
		bad  string
	}{
		// A binary secret: refused, unquoted.
		{"binary", SecretsManager{getters{value: &secretsmanager.GetSecretValueOutput{SecretBinary: []byte(secrettest.Value)}}}, "no SecretString"},
		// Answers that hold nothing.
		{"nil secret", SecretsManager{getters{}}, "no SecretString"},
		{"nil parameter", SSM{getters{param: &ssm.GetParameterOutput{}}}, "no parameter value"},
		// Other errors pass through.
		{"error", SSM{getters{err: errors.New("throttled")}}, "throttled"},
	} {
		_, err := tc.src.Get(context.Background(), "x")
		if err == nil || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%s: %v; want an error saying %q", tc.name, err, tc.bad)
		} else if piece := secrettest.Leaks(err.Error()); piece != "" {
			t.Errorf("%s: error %q holds %q, part of the value", tc.name, err, piece)
		}
	}
	v, err := SSM{getters{param: &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String("ssm-Pa55word")}}}}.Get(context.Background(), "/p")
	if err != nil || v != "ssm-Pa55word" {
		t.Errorf("SSM.Get = %q, %v; want the value", v, err)
	}
}

func TestARNRegion(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		// ARNs of both services, in other partitions too.
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:kc-AbCdEf", "eu-west-1"},
		{"arn:aws:ssm:us-east-2:123456789012:parameter/kc/pw", "us-east-2"},
		{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", "cn-north-1"},
		// Names, and things that only look like ARNs.
		{"kc", ""},
		{"/kc/pw:3", ""},
		{"arn:aws:ssm", ""},
		{"xarn:aws:ssm:us-east-2:1:parameter/x", ""},
	} {
		if got := arnRegion(tc.name); got != tc.want {
			t.Errorf("arnRegion(%q) = %q; want %q", tc.name, got, tc.want)
		}
	}
}
