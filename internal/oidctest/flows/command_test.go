package flows

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/oidctest"
)

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
