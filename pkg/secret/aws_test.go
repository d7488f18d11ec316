package secret

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

// serve starts f on 127.0.0.1 and points env at it.
func serve(t *testing.T, f *fakeAWS, env string) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv(env, srv.URL)
}

func staticAWS(region string) Option {
	return WithAWSConfig(func(context.Context) (aws.Config, error) {
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-key", "")}, nil
	})
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
			"/kc/broken":  `{"Parameter":{"Name":"/kc/broken","Value":"` + secretValue + `"x}}`,
			"/kc/novalue": `{"Parameter":{"Name":"/kc/novalue"}}`,
		},
		errors: map[string]string{"/kc/missing": "ParameterNotFound", "/kc/denied": "AccessDeniedException"}}
	sm := &fakeAWS{t: t, target: "secretsmanager.GetSecretValue", nameKey: "SecretId",
		answers: map[string]string{
			arn:    smAnswer("kc", `{"client_id":"barrage","client_secret":"sm-Pa55word"}`),
			"kc":   smAnswer("kc", `{"client_id":"barrage","client_secret":"sm-Pa55word"}`),
			"bin":  `{"Name":"bin","SecretBinary":"UVpYSjlXUUs3Vg=="}`,
			"fast": smAnswer("fast", secretValue),
		},
		errors: map[string]string{"gone": "ResourceNotFoundException"}}
	serve(t, ps, EnvSSMEndpoint)
	serve(t, sm, EnvSecretsManagerEndpoint)
	r := NewResolver(staticAWS("eu-central-1"))
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
		{ref: "secretsmanager:fast", want: secretValue},
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
			if err == nil || !strings.Contains(err.Error(), tc.bad) || errors.Is(err, ErrNotFound) != tc.notFound {
				t.Errorf("Resolve(%s) = %q, %v; want an error saying %q (not found: %v)", tc.ref, got, err, tc.bad, tc.notFound)
			}
			if err != nil {
				if piece := leaks(err.Error()); piece != "" {
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

// TestResolveDefaultAWSConfig resolves through LoadAWSConfig, with the
// credentials in the environment and no region, against an endpoint
// override.
func TestResolveDefaultAWSConfig(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": none,
		"AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	ps := &fakeAWS{t: t, target: "AmazonSSM.GetParameter", nameKey: "Name",
		answers: map[string]string{"/p": ssmAnswer("/p", "ssm-Pa55word")}}
	serve(t, ps, EnvSSMEndpoint)
	r := NewResolver()
	if v, err := r.Resolve(context.Background(), "ssm:/p"); err != nil || v != "ssm-Pa55word" {
		t.Fatalf("Resolve(ssm:/p) = %q, %v; want the value", v, err)
	}
	if _, regions := ps.seen(); len(regions) != 1 || regions[0] != DefaultRegion {
		t.Errorf("signed for %v; want %s, the default with an endpoint override", regions, DefaultRegion)
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
