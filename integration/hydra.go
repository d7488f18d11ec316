//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HydraVersion is the ory/hydra the harness is written against; install.sh
// builds it and StartHydra refuses another.
const HydraVersion = "v2.3.0"

// OAuth 2.0 clients StartHydra registers. Each one's secret is
// HydraSecret(id). The web clients are registered with the harness's
// RedirectURI, and with both it and PostLogoutRedirectURI as
// post_logout_redirect_uris (a client may send either); nothing serves
// them: a client takes the code from the redirect's Location and never
// follows it.
const (
	// HydraServiceClient has the client_credentials grant and the scope
	// HydraServiceScope, and authenticates with client_secret_post.
	HydraServiceClient = "barrage-service"
	// HydraWebClient has the authorization_code (PKCE is enforced for every
	// client) and refresh_token grants, the scopes openid, offline_access
	// and offline, and authenticates with client_secret_post, as barrage's
	// flows do.
	HydraWebClient = "barrage-web"
	// HydraBasicWebClient is HydraWebClient with client_secret_basic.
	HydraBasicWebClient = "barrage-web-basic"
	// HydraFirstPartyClient is HydraWebClient with skip_consent: the
	// consent app approves its requests without showing a form.
	HydraFirstPartyClient = "barrage-first-party"

	// HydraServiceScope is the scope of HydraServiceClient.
	HydraServiceScope = "api"
	// HydraUsers is the size of the login app's user table: user-1 …
	// user-HydraUsers, with passwords pass-1 …, the patterns of barrage's
	// `users:` dataset.
	HydraUsers = 100
)

// HydraSecret returns the secret of a client StartHydra registers.
func HydraSecret(clientID string) string { return clientID + "-secret" }

// Hydra is ory/hydra on 127.0.0.1 with an in-memory SQLite database, our
// login-and-consent app at its login, consent and logout URLs, and a tap in
// front of its public port that keeps what its token endpoint was asked and
// answered. Everything stops when the test ends.
type Hydra struct {
	// Issuer is the tap's URL, which hydra is configured to call its own:
	// discovery (Issuer + "/.well-known/openid-configuration") lists the
	// endpoints under it, so every public request goes through the tap.
	Issuer string
	// AdminURL is hydra's admin API; AppURL the login-and-consent app.
	AdminURL, AppURL string
	// RedirectURI and PostLogoutRedirectURI are registered for the web
	// clients; nothing listens there.
	RedirectURI, PostLogoutRedirectURI string

	admin *hydraAdmin
	app   *consentApp
	tap   *tokenTap
	p     *proc
}

// HydraOptions change how StartHydra's app behaves.
type HydraOptions struct {
	// KeepTokensOnLogout makes the logout app accept a logout and do no
	// more, as hydra alone does: the login session ends, and the tokens
	// issued in it stay valid (by design: ory/hydra#1651). By default the
	// app also revokes the subject's consent to the client, which revokes
	// those tokens, as a deployment does whose logout must end access.
	KeepTokensOnLogout bool
}

// StartHydra starts hydra (serve all --dev, DSN memory: an in-memory
// SQLite it migrates at start), the login-and-consent app and the tap,
// registers the clients, and warms discovery (hydra makes its signing keys
// on the first request). A port hydra loses between freePort and its bind
// (its output says "address already in use") is tried again, twice. The
// binary is $BARRAGE_HYDRA, else integration/.deps/bin/hydra (where
// install.sh builds it), else hydra on PATH; it must be HydraVersion.
//
// Hydra on SQLite does not take concurrent logins: in memory, overlapping
// transactions fail ("Unable to serialize access due to a concurrent update
// in another session"), and with a database file (WAL, a busy timeout, any
// pool size) the authorization responses of 24 concurrent logins hung
// until they timed out, hydra saying it could not ensure its signing keys.
// Send one iteration at a time (max_inflight: 1); for concurrency, hydra
// needs PostgreSQL.
func StartHydra(t testing.TB, opts HydraOptions) *Hydra {
	t.Helper()
	bin := find(t, "hydra", envOr(HydraEnv, filepath.Join(depsDir(), "bin", "hydra"), "hydra")...)
	if v := hydraVersion(bin); v != HydraVersion {
		t.Fatalf("%s is hydra %q, not %s: %s", bin, v, HydraVersion, installHint)
	}
	h := &Hydra{}
	tapLn, appLn := listen(t), listen(t)
	h.Issuer, h.AppURL = "http://"+tapLn.Addr().String(), "http://"+appLn.Addr().String()
	// A port nothing listens on, taken from the kernel and closed; hydra
	// wants post-logout URIs on the origin of a redirect URI.
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	h.RedirectURI, h.PostLogoutRedirectURI = client+"/callback", client+"/logged-out"

	cfg := filepath.Join(t.TempDir(), "hydra.yaml")
	var public string
	for try := 0; ; try++ { // hydra's two free ports may be taken before it binds them
		pub, adm := freePort(t), freePort(t)
		public, h.AdminURL = fmt.Sprintf("http://127.0.0.1:%d", pub), fmt.Sprintf("http://127.0.0.1:%d", adm)
		if err := os.WriteFile(cfg, []byte(hydraConfig(h, pub, adm)), 0o600); err != nil {
			t.Fatal(err)
		}
		h.p = startProc(t, "hydra", hydraCommand(bin, "serve", "all", "--dev", "--sqa-opt-out", "--config", cfg), newTail(""))
		why := waitHTTP(h.AdminURL+"/health/ready", h.p, 60*time.Second)
		if why == "" {
			break
		}
		if try == 2 || !strings.Contains(h.p.out.String(), "address already in use") {
			h.p.failed(t, why)
		}
	}
	h.admin = &hydraAdmin{base: h.AdminURL, c: &http.Client{Timeout: 30 * time.Second}}
	h.tap = newTokenTap(t, tapLn, public)
	h.app = newConsentApp(t, appLn, h.admin, !opts.KeepTokensOnLogout)
	for _, c := range h.clients() {
		if err := h.admin.do(http.MethodPost, "/admin/clients", nil, c, nil); err != nil {
			h.p.failed(t, fmt.Sprintf("did not register client %v: %v", c["client_id"], err))
		}
	}
	var d struct{ Issuer string }
	if err := getJSON(h.Issuer+"/.well-known/openid-configuration", &d); err != nil || d.Issuer != h.Issuer {
		h.p.failed(t, fmt.Sprintf("discovery through the tap: issuer %q, %v; want %q", d.Issuer, err, h.Issuer))
	}
	return h
}

// hydraVersion returns the version a hydra binary reports ("Version:
// v2.3.0"; install.sh sets it at link time), or why there is none.
func hydraVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return err.Error()
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "Version:" {
			return f[1]
		}
	}
	return "(no Version line)"
}

// hydraCommand runs hydra with args and none of our environment: hydra
// reads any setting from the environment too (DSN, URLS_…), over its
// configuration file.
func hydraCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	return cmd
}

// hydraConfig is hydra's configuration file (keys of v2.3.0's
// spec/config.json). Dev mode allows an http issuer and cookies without
// Secure, which a client over http could not send back.
func hydraConfig(h *Hydra, public, admin int) string {
	return fmt.Sprintf(`dsn: memory
serve:
  public: {host: 127.0.0.1, port: %d}
  admin: {host: 127.0.0.1, port: %d}
urls:
  self: {issuer: %q, public: %q}
  login: %q
  consent: %q
  logout: %q
  error: %q
  post_logout_redirect: %q
secrets:
  system: ["barrage-integration-hydra-system-secret"]
oauth2:
  pkce: {enforced: true}
  hashers: {algorithm: bcrypt, bcrypt: {cost: 4}} # the minimum: client secrets cost little CPU
log: {level: warn, format: text, leak_sensitive_values: false}
`, public, admin, h.Issuer, h.Issuer, h.AppURL+"/login", h.AppURL+"/consent", h.AppURL+"/logout",
		h.AppURL+"/error", h.PostLogoutRedirectURI)
}

// clients are the OAuth 2.0 clients StartHydra registers.
func (h *Hydra) clients() []map[string]any {
	web := func(id, auth string, skipConsent bool) map[string]any {
		return map[string]any{"client_id": id, "client_secret": HydraSecret(id),
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
			"scope": "openid offline_access offline", "redirect_uris": []string{h.RedirectURI},
			"post_logout_redirect_uris":  []string{h.PostLogoutRedirectURI, h.RedirectURI},
			"token_endpoint_auth_method": auth, "skip_consent": skipConsent}
	}
	return []map[string]any{
		{"client_id": HydraServiceClient, "client_secret": HydraSecret(HydraServiceClient),
			"grant_types": []string{"client_credentials"}, "scope": HydraServiceScope,
			"token_endpoint_auth_method": "client_secret_post"},
		web(HydraWebClient, "client_secret_post", false),
		web(HydraBasicWebClient, "client_secret_basic", false),
		web(HydraFirstPartyClient, "client_secret_post", true),
	}
}

// Stats returns what the login-and-consent app has done so far.
func (h *Hydra) Stats() HydraStats { return h.app.stats() }

// Grants returns every request to hydra's token endpoint so far, in the
// order hydra answered them.
func (h *Hydra) Grants() []TokenGrant { return h.tap.grants() }

// Introspection is hydra's answer about a token (RFC 7662).
type Introspection struct {
	Active   bool   `json:"active"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	TokenUse string `json:"token_use"` // access_token or refresh_token
	Scope    string `json:"scope"`
}

// Introspect asks hydra's admin API about token.
func (h *Hydra) Introspect(t testing.TB, token string) Introspection {
	t.Helper()
	var in Introspection
	if err := h.admin.form("/admin/oauth2/introspect", url.Values{"token": {token}}, &in); err != nil {
		h.p.failed(t, fmt.Sprintf("did not introspect a token: %v", err))
	}
	return in
}

// hydraAdmin calls hydra's admin API.
type hydraAdmin struct {
	base string
	c    *http.Client
}

// do sends in (if not nil) as JSON to the admin API and decodes the answer
// into out (if not nil); an answer outside 2xx is an error.
func (a *hydraAdmin) do(method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return a.send(req, out)
}

// form posts a form to the admin API and decodes the JSON answer into out.
func (a *hydraAdmin) form(path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, a.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.send(req, out)
}

func (a *hydraAdmin) send(req *http.Request, out any) error {
	res, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, res.Status, bytes.TrimSpace(b))
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// getJSON fetches url and decodes its JSON answer into out.
func getJSON(url string, out any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return (&hydraAdmin{c: &http.Client{Timeout: 30 * time.Second}}).send(req, out)
}

// listen listens on a free port of 127.0.0.1 (no race: the listener is
// kept) and closes it when the test ends.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve serves h on ln until the test ends.
func serve(t testing.TB, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}
