package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestScenarioSecretNeverWritten runs a scenario whose client secret comes
// from the environment, through the real command and two local worker
// processes, with the secret in a form body, a header, a URL query (one
// step aimed at a closed port, so that its transport error would carry the
// URL) and echoed back by the server in a body and a header. The secret
// reaches the server, and appears nowhere in what the run wrote: the spec,
// the plan, the shard messages' results, the reports, stdout or stderr.
func TestScenarioSecretNeverWritten(t *testing.T) {
	const secret = "Zq8-very-secret-client-value-41"
	var logins, echoes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			if r.PostFormValue("client_secret") != secret || r.Header.Get("X-Api-Key") != secret {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			logins.Add(1)
			w.Header().Set("X-Echo", secret)
			fmt.Fprintf(w, `{"access_token": "at-%d", "echo": %q}`, logins.Load(), secret)
		case "/api":
			if r.URL.Query().Get("k") == secret && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
				echoes.Add(1)
			}
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	spec := fmt.Sprintf(`
name: secrets
duration: 2s
load: {rate: 20}
scenarios:
  - name: api
    secrets: {client_secret: "env:BARRAGE_TEST_SECRET"}
    steps:
      - name: token
        url: %[1]s/token
        headers: {X-Api-Key: "{{client_secret}}"}
        form: {grant_type: client_credentials, client_secret: "{{client_secret}}"}
        extract: [{var: at, from: json, expr: $.access_token}]
      - name: call
        url: "%[1]s/api?k={{client_secret | urlencode}}"
        headers: {Authorization: "Bearer {{at}}"}
  - name: broken
    secrets: {client_secret: "env:BARRAGE_TEST_SECRET"}
    steps:
      - name: nowhere
        url: "http://%[2]s/x?k={{client_secret}}"
`, srv.URL, closed)
	specPath := filepath.Join(dir, "spec.yaml")
	os.WriteFile(specPath, []byte(spec), 0o644)
	out := filepath.Join(dir, "out")
	t.Setenv("BARRAGE_TEST_SECRET", secret)
	r := barrage(t, 60*time.Second, "run", specPath, "--procs", "--workers", "2", "--json", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout: %v", err)
	}
	// The secret did its job: logins and API calls succeeded with it.
	if logins.Load() < 10 || echoes.Load() != logins.Load() {
		t.Errorf("logins %d, API calls with the secret %d; want ≥ 10 and equal", logins.Load(), echoes.Load())
	}
	var broken events.TargetReport
	for _, tr := range rep.Targets {
		if tr.Name == "broken/nowhere" {
			broken = tr
		}
	}
	if broken.Requests == 0 || broken.Errors["connect_refused"] != broken.Requests {
		t.Errorf("broken/nowhere: %+v, want connection refusals", broken)
	}
	// Nothing the run wrote holds the secret, in any encoding a leak would take.
	needles := []string{secret, strings.ReplaceAll(secret, "-", "%2D"), "very-secret"}
	scan := func(where, text string) {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("%s contains the secret (%q)", where, n)
			}
		}
	}
	scan("stdout", r.stdout)
	scan("stderr", r.stderr)
	files := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		scan(p, string(b))
		files++
		return nil
	})
	if files < 6 {
		t.Errorf("scanned %d files; the run folder should hold spec, plan, results and reports", files)
	}
	// The reference, not the value, is what the stored spec holds.
	b, _ := os.ReadFile(filepath.Join(out, "runs", rep.RunID, "spec.json"))
	if !strings.Contains(string(b), "env:BARRAGE_TEST_SECRET") {
		t.Errorf("stored spec lacks the reference:\n%s", b)
	}
}
