package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/internal/oidctest"
)

// TestFlowNeedsEndpoint: a flow that needs an endpoint its provider does
// not list (a logout without an end_session_endpoint) is bad input, found
// before anything is sent: exit 2, one line naming the flow's setting and
// the endpoint, and the token endpoint gets no request.
func TestFlowNeedsEndpoint(t *testing.T) {
	tok, hits := countingServer(t)
	issuer := guardtest.Issuer(t, map[string]string{"token_endpoint": tok.URL + "/token"})
	dir := t.TempDir()
	spec := filepath.Join(dir, "logout.yaml")
	os.WriteFile(spec, []byte("scenarios:\n  - name: pw\n    users: {count: 10}\n    flow: {grant: password, issuer: '"+issuer+
		"', client_id: c, logout: true}\nload: {rate: 5}\nduration: 1s\n"), 0o644)
	r := barrage(t, 30*time.Second, "run", spec, "--quiet", "--out", filepath.Join(dir, "out"))
	want := "barrage: " + spec + ": scenarios[0].flow.logout: the discovery document of " + issuer + " lists no end_session_endpoint"
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 2 and one line starting %q", r.code, r.stderr, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the token endpoint got %d requests; want none", n)
	}
}

// TestFlowZitadelRun runs a spec file through the command against
// zitadel/oidc's example OP: a browser login with its own form, refreshes
// (offline_access added, which the command says), and a verified standard
// logout. The report's steps and the OP's own counts agree.
func TestFlowZitadelRun(t *testing.T) {
	z := oidctest.NewZitadel(t, "http://127.0.0.1/callback")
	dir := t.TempDir()
	spec := filepath.Join(dir, "zitadel.yaml")
	os.WriteFile(spec, []byte(fmt.Sprintf(`scenarios:
  - name: z
    users: {count: %d, start: 1}
    flow:
      grant: authorization_code
      issuer: %s
      client_id: %s
      redirect_uri: http://127.0.0.1/callback
      refreshes: 1
      logout: {verify: true}
load: {rate: 10}
duration: 1s
`, oidctest.ZitadelUsers, z.Issuer(), oidctest.ZitadelNativeClientID)), 0o644)
	r := barrage(t, 60*time.Second, "run", spec, "--json", "--quiet", "--out", filepath.Join(dir, "out"))
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v; stderr:\n%s", r.code, err, r.stderr)
	}
	if note := `scenarios[0].flow.scope: "openid offline_access": offline_access added`; !strings.Contains(r.stderr, note) {
		t.Errorf("stderr does not say %q:\n%s", note, r.stderr)
	}
	tg := map[string]events.TargetReport{}
	for _, x := range rep.Targets {
		tg[x.Name] = x
	}
	n := tg["z"].Success
	if n == 0 || n != tg["z"].Requests {
		t.Fatalf("iterations %+v", tg["z"])
	}
	for step, per := range map[string]int64{"login/authorize": 2, "login/form": 2, "login/consent": 0, "login/token": 1,
		"refresh": 1, "logout": 1, "logout/verify": 1} {
		if c := tg["z/"+step]; c.Requests != per*n || c.Success != per*n {
			t.Errorf("%s: %d requests, %d successful; want %d", step, c.Requests, c.Success, per*n)
		}
	}
	st := z.Stats()
	t.Logf("barrage: %d iterations, %d requests; zitadel: %+v", n, rep.Requests, st)
	if st.Logins.OK != n || st.Codes != n || st.Refreshes != n || st.SessionsEnded != n || st.LiveRefreshTokens != 0 {
		t.Errorf("the OP saw %+v; want %d logins, codes, refreshes and sessions ended, no refresh token alive", st, n)
	}
}
