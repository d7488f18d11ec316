package oidctest

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// formAction finds the login form's action the way a scenario would.
var formAction = regexp.MustCompile(`<form id="kc-form-login"[^>]* action="([^"]+)"`)

// getLoginPage GETs the authorization endpoint and returns the form's action.
func getLoginPage(t testing.TB, c *http.Client, authURL string) (status int, action, body string) {
	t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := formAction.FindSubmatch(b); m != nil {
		action = html.UnescapeString(string(m[1]))
	}
	return resp.StatusCode, action, string(b)
}

// submit posts credentials to a form action.
func submit(t testing.TB, c *http.Client, action, user, pw string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(action, url.Values{"username": {user}, "password": {pw}, "credentialId": {""}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// pkcePair returns a code verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	verifier = strings.Repeat("barrage-pkce-verifier-", 3)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authURL(p *Provider, clientID, challenge string) string {
	q := url.Values{
		"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid profile"},
		"redirect_uri": {"http://127.0.0.1:4321/callback"}, "state": {"state-0123456789"},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return p.AuthURL() + "?" + q.Encode()
}

func TestAuthorizationCodePKCE(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	verifier, challenge := pkcePair()

	status, action, body := getLoginPage(t, c, authURL(p, pubID, challenge))
	if status != http.StatusOK || action == "" {
		t.Fatalf("login page: got %d, no form action in %s", status, body)
	}
	for _, want := range []string{"session_code=", "&execution=", "&client_id=" + pubID, "&tab_id=", "/login-actions/authenticate?"} {
		if !strings.Contains(action, want) {
			t.Errorf("action %s lacks %q", action, want)
		}
	}
	if !strings.Contains(body, `&amp;execution=`) || !strings.Contains(body, `type="hidden"`) {
		t.Errorf("form is not Keycloak-shaped (escaped action, hidden input): %s", body)
	}

	resp := submit(t, c, action, alice, alicePW)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("login: got %d Location %q, want 302", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if loc.Host != "127.0.0.1:4321" || q.Get("code") == "" || q.Get("state") != "state-0123456789" || q.Get("session_state") == "" || q.Get("iss") != p.Issuer() {
		t.Fatalf("redirect %s: want code, state, session_state, iss on the redirect URI", loc)
	}

	exchange := url.Values{
		"grant_type": {GrantAuthorizationCode}, "client_id": {pubID}, "code": {q.Get("code")},
		"redirect_uri": {"http://127.0.0.1:4321/callback"}, "code_verifier": {"wrong-" + verifier},
	}
	if code, tr := post(t, c, p.TokenURL(), exchange); code != http.StatusBadRequest || tr.Error == "" {
		t.Errorf("wrong verifier: got %d %+v, want 400", code, tr)
	}
	// A new code, through SSO: the KEYCLOAK_SESSION cookie skips the form.
	status, _, _ = getLoginPage(t, c, authURL(p, pubID, challenge))
	if status != http.StatusFound {
		t.Fatalf("SSO: got %d, want 302", status)
	}
	resp, err = c.Get(authURL(p, pubID, challenge))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	exchange.Set("code", loc.Query().Get("code"))
	exchange.Set("code_verifier", verifier)
	code, tr := post(t, c, p.TokenURL(), exchange)
	if code != http.StatusOK || tr.AccessToken == "" || tr.RefreshToken == "" || tr.IDToken == "" {
		t.Fatalf("exchange: got %d %+v, want tokens", code, tr)
	}
	if id := claims(t, c, p, tr.IDToken); id["sub"] != p.Subject(alice) || id["sid"] != loc.Query().Get("session_state") {
		t.Errorf("ID token %v: want alice's sub and the session_state", id)
	}
	// A code is good once.
	if code, _ := post(t, c, p.TokenURL(), exchange); code != http.StatusBadRequest {
		t.Errorf("code reuse: got %d, want 400", code)
	}

	st := p.Stats()
	if st.LoginPages != 1 || st.Logins != (Outcome{OK: 1}) || st.SSO != 2 || st.AuthorizationCode != (Outcome{OK: 1, Failed: 2}) {
		t.Errorf("Stats: got %+v", st)
	}
}

func TestAuthorizationRequiresPKCEForPublicClients(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	resp, err := c.Get(authURL(p, pubID, ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: got %d %s, want a redirect with error=invalid_request", resp.StatusCode, loc)
	}
	// A confidential client may skip PKCE.
	if status, action, _ := getLoginPage(t, c, authURL(p, confID, "")); status != http.StatusOK || action == "" {
		t.Errorf("confidential client without PKCE: got %d, want the form", status)
	}
}

func TestLoginFormErrors(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	_, challenge := pkcePair()
	_, action, _ := getLoginPage(t, c, authURL(p, pubID, challenge))

	// Wrong password: the form again, 200, Keycloak's message, the username
	// kept and a new session_code.
	resp := submit(t, c, action, alice, "wrong")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(string(b), MsgInvalidCredentials) || !strings.Contains(string(b), `value="alice"`) {
		t.Fatalf("wrong password: got %d %s, want the form with %q", resp.StatusCode, b, MsgInvalidCredentials)
	}
	next := html.UnescapeString(string(m[1]))
	if next == action {
		t.Errorf("session_code not renewed: %s", next)
	}

	// The stale action is refused; the new one works.
	resp = submit(t, c, action, alice, alicePW)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), MsgExpiredAction) {
		t.Errorf("stale session_code: got %d, want the form with %q", resp.StatusCode, MsgExpiredAction)
	}
	next = html.UnescapeString(string(formAction.FindSubmatch(b)[1]))
	resp = submit(t, c, next, alice, alicePW)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("good password: got %d, want 302", resp.StatusCode)
	}

	// Without the AUTH_SESSION_ID cookie: 400, like Keycloak.
	_, action, _ = getLoginPage(t, newClient(t), authURL(p, pubID, challenge))
	resp = submit(t, newClient(t), action, alice, alicePW)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), MsgCookieNotFound) {
		t.Errorf("no cookie: got %d, want 400 with %q", resp.StatusCode, MsgCookieNotFound)
	}

	if got, want := p.Stats().Logins, (Outcome{OK: 1, Failed: 3}); got != want {
		t.Errorf("Stats().Logins: got %+v, want %+v", got, want)
	}
}
