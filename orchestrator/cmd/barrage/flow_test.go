package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/internal/guardtest"
)

// The command's flows against real OpenID providers (zitadel/oidc's
// example OP) are tested in internal/oidctest/flows, a module of its own.

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
