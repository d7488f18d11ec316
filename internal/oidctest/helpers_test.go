package oidctest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"golang.org/x/crypto/bcrypt"
)

// testTimeout bounds every request a test makes.
const testTimeout = 10 * time.Second

const (
	confID, confSecret = "barrage-conf", "conf-secret"
	pubID              = "barrage-pub"
	alice, alicePW     = "alice", "alice-password"
	callback           = "http://127.0.0.1/callback"
)

// testConfig is a realm with a confidential and a public client and one
// user, at the lowest bcrypt cost.
func testConfig() Config {
	return Config{
		Realm: "loadtest",
		Clients: []Client{
			{ID: confID, Secret: confSecret, RedirectURIs: []string{callback}},
			{ID: pubID, RedirectURIs: []string{callback}},
		},
		Users:      map[string]string{alice: alicePW},
		BcryptCost: bcrypt.MinCost,
	}
}

// newClient returns an HTTP client that keeps cookies and does not follow
// redirects, like a load-test virtual user.
func newClient(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       testTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tokenResponse is the JSON of the token endpoint, errors included.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	IDToken          string `json:"id_token"`
	SessionState     string `json:"session_state"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// do sends a form and decodes a JSON answer into a tokenResponse.
func do(c *http.Client, u string, form url.Values) (int, tokenResponse, error) {
	resp, err := c.PostForm(u, form)
	if err != nil {
		return 0, tokenResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, tokenResponse{}, fmt.Errorf("POST %s: read: %w", u, err)
	}
	var tr tokenResponse
	if len(body) > 0 {
		if err := json.Unmarshal(body, &tr); err != nil {
			return 0, tokenResponse{}, fmt.Errorf("POST %s: %d %q: %w", u, resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode, tr, nil
}

// post is do for the test goroutine: it fails the test on transport errors.
func post(t testing.TB, c *http.Client, u string, form url.Values) (int, tokenResponse) {
	t.Helper()
	code, tr, err := do(c, u, form)
	if err != nil {
		t.Fatal(err)
	}
	return code, tr
}

func passwordGrant(t testing.TB, c *http.Client, p *Provider, user, pw string) (int, tokenResponse) {
	t.Helper()
	return post(t, c, p.TokenURL(), url.Values{
		"grant_type": {GrantPassword}, "client_id": {confID}, "client_secret": {confSecret},
		"username": {user}, "password": {pw}, "scope": {"openid profile"},
	})
}

func refreshGrant(t testing.TB, c *http.Client, p *Provider, rt string) (int, tokenResponse) {
	t.Helper()
	return post(t, c, p.TokenURL(), url.Values{
		"grant_type": {GrantRefreshToken}, "client_id": {confID}, "client_secret": {confSecret},
		"refresh_token": {rt},
	})
}

// claims verifies a JWT against the provider's JWKS and returns its claims.
func claims(t testing.TB, c *http.Client, p *Provider, token string) map[string]any {
	t.Helper()
	resp, err := c.Get(p.Issuer() + "/protocol/openid-connect/certs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(token)
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in JWKS, want 1", jws.Signatures[0].Header.KeyID, len(keys))
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("verify JWT: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
