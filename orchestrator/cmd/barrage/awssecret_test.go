package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/stack"
)

// TestScenarioSecretFromAWS: the command wires the ssm: and
// secretsmanager: sources (pkg/awsenv) into the secrets check before a
// run, the in-process workers and the worker processes of --procs, and
// they reach the endpoints BARRAGE_SSM_ENDPOINT and
// BARRAGE_SECRETSMANAGER_ENDPOINT name (AWS_ENDPOINT_URL points elsewhere,
// at a closed port).
func TestScenarioSecretFromAWS(t *testing.T) {
	var fetches atomic.Int64
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name, SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch target := r.Header.Get("X-Amz-Target"); {
		case target == "AmazonSSM.GetParameter" && in.Name == "/barrage/pw":
			fetches.Add(1)
			fmt.Fprint(w, `{"Parameter":{"Name":"/barrage/pw","Type":"SecureString","Value":"ssm-Pa55word"}}`)
		case target == "secretsmanager.GetSecretValue" && in.SecretId == "barrage/kc":
			fetches.Add(1)
			fmt.Fprint(w, `{"Name":"barrage/kc","SecretString":"{\"client_secret\":\"sm-Pa55word\"}"}`)
		default:
			t.Errorf("unexpected request %s %+v", target, in)
			w.Header().Set("X-Amzn-ErrorType", "ValidationException")
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer aws.Close()
	var good, bad atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Pw") == "ssm-Pa55word" && r.Header.Get("X-Key") == "sm-Pa55word" {
			good.Add(1)
			return
		}
		bad.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer target.Close()
	awsEnv(t, "http://127.0.0.1:1", true)
	t.Setenv(stack.EnvSSMEndpoint, aws.URL)
	t.Setenv(stack.EnvSecretsManagerEndpoint, aws.URL)
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	os.WriteFile(spec, []byte(fmt.Sprintf(`
duration: 1s
load: {rate: 10}
scenarios:
  - name: api
    secrets: {pw: "ssm:/barrage/pw", key: "secretsmanager:barrage/kc#client_secret"}
    steps:
      - url: %s/
        headers: {X-Pw: "{{pw}}", X-Key: "{{key}}"}
`, target.URL)), 0o644)
	for _, tc := range []struct {
		name    string
		args    []string
		fetches int64 // the check's one per secret, and each worker's
	}{
		{"in-process workers", []string{"--workers", "1"}, 2 + 2},
		{"worker processes", []string{"--procs", "--workers", "2"}, 2 + 2*2},
	} {
		fetches.Store(0)
		good.Store(0)
		args := append([]string{"run", spec, "--quiet", "--out", t.TempDir()}, tc.args...)
		if r := barrage(t, 60*time.Second, args...); r.code != 0 {
			t.Errorf("%s: exit %d:\n%s", tc.name, r.code, r.stderr)
			continue
		}
		if good.Load() == 0 || bad.Load() != 0 || fetches.Load() != tc.fetches {
			t.Errorf("%s: %d requests with both secrets, %d without, %d fetches; want some, none, %d",
				tc.name, good.Load(), bad.Load(), fetches.Load(), tc.fetches)
		}
	}
}
