package oidctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestDiscovery(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	resp, err := c.Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	base := p.URL + "/realms/loadtest"
	for key, want := range map[string]string{
		"issuer":                 base,
		"authorization_endpoint": base + "/protocol/openid-connect/auth",
		"token_endpoint":         base + "/protocol/openid-connect/token",
		"end_session_endpoint":   base + "/protocol/openid-connect/logout",
		"jwks_uri":               base + "/protocol/openid-connect/certs",
		"userinfo_endpoint":      base + "/protocol/openid-connect/userinfo",
	} {
		if got := doc[key]; got != want {
			t.Errorf("%s: got %v, want %s", key, got, want)
		}
	}
	if p.Issuer() != base {
		t.Errorf("Issuer(): got %s, want %s", p.Issuer(), base)
	}
	grants, _ := doc["grant_types_supported"].([]any)
	for _, g := range []string{GrantAuthorizationCode, GrantClientCredentials, GrantPassword, GrantRefreshToken} {
		found := false
		for _, x := range grants {
			found = found || x == g
		}
		if !found {
			t.Errorf("grant_types_supported %v lacks %s", grants, g)
		}
	}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL %s: not on 127.0.0.1", p.URL)
	}
	// Another realm is unknown, as in Keycloak.
	r2, err := c.Get(p.URL + "/realms/other/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotFound {
		t.Errorf("other realm: got %d, want 404", r2.StatusCode)
	}
	if got := p.Stats().Discovery; got != 1 {
		t.Errorf("Stats().Discovery: got %d, want 1", got)
	}
}

func TestClientCredentials(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	form := url.Values{"grant_type": {GrantClientCredentials}}
	req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(confID, confSecret) // client_secret_basic
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr tokenResponse
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d %+v (%v), want 200", resp.StatusCode, tr, err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != int64(DefaultAccessTokenLifespan/time.Second) || tr.RefreshToken != "" {
		t.Errorf("got %+v, want a Bearer token for 300s without a refresh token", tr)
	}
	m := claims(t, c, p, tr.AccessToken)
	if m["iss"] != p.Issuer() || m["azp"] != confID || m["preferred_username"] != "service-account-"+confID {
		t.Errorf("claims %v: want iss %s, azp and service account of %s", m, p.Issuer(), confID)
	}

	// client_secret_post with a wrong secret, and a public client.
	for _, f := range []url.Values{
		{"grant_type": {GrantClientCredentials}, "client_id": {confID}, "client_secret": {"wrong"}},
		{"grant_type": {GrantClientCredentials}, "client_id": {pubID}},
	} {
		if code, tr := post(t, c, p.TokenURL(), f); code < 400 || tr.Error == "" {
			t.Errorf("%v: got %d %+v, want an error", f, code, tr)
		}
	}
	if got, want := p.Stats().ClientCredentials, (Outcome{OK: 1, Failed: 2}); got != want {
		t.Errorf("Stats().ClientCredentials: got %+v, want %+v", got, want)
	}
}

func TestPasswordGrant(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	code, tr := passwordGrant(t, c, p, alice, alicePW)
	if code != http.StatusOK || tr.AccessToken == "" || tr.RefreshToken == "" || tr.IDToken == "" || tr.SessionState == "" {
		t.Fatalf("got %d %+v, want access, refresh and ID tokens and a session_state", code, tr)
	}
	if want := int64(DefaultRefreshTokenLifespan / time.Second); tr.RefreshExpiresIn < want-1 || tr.RefreshExpiresIn > want {
		t.Errorf("refresh_expires_in: got %d, want %d", tr.RefreshExpiresIn, want)
	}
	m := claims(t, c, p, tr.AccessToken)
	if m["sub"] != p.Subject(alice) || m["preferred_username"] != alice || m["sid"] != tr.SessionState || m["scope"] != "openid profile" {
		t.Errorf("access token claims %v: want sub %s, alice, sid %s, scope", m, p.Subject(alice), tr.SessionState)
	}
	if exp, iat := m["exp"].(float64), m["iat"].(float64); exp-iat != DefaultAccessTokenLifespan.Seconds() {
		t.Errorf("exp - iat: got %v, want %v", exp-iat, DefaultAccessTokenLifespan.Seconds())
	}
	if id := claims(t, c, p, tr.IDToken); id["sub"] != p.Subject(alice) || id["aud"] == nil {
		t.Errorf("ID token claims %v", id)
	}

	// A public client may use the password grant too.
	code, _ = post(t, c, p.TokenURL(), url.Values{
		"grant_type": {GrantPassword}, "client_id": {pubID}, "username": {alice}, "password": {alicePW},
	})
	if code != http.StatusOK {
		t.Errorf("public client: got %d, want 200", code)
	}

	for _, row := range []struct{ user, pw string }{
		{alice, "wrong"},     // wrong password
		{"mallory", alicePW}, // unknown user
	} {
		code, tr := passwordGrant(t, c, p, row.user, row.pw)
		if code != http.StatusUnauthorized || tr.Error != "invalid_grant" || tr.ErrorDescription != "Invalid user credentials" {
			t.Errorf("%s/%s: got %d %+v, want Keycloak's 401 invalid_grant", row.user, row.pw, code, tr)
		}
	}
	if got, want := p.Stats().Password, (Outcome{OK: 2, Failed: 2}); got != want {
		t.Errorf("Stats().Password: got %+v, want %+v", got, want)
	}
}

func TestRefreshChain(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	_, tr := passwordGrant(t, c, p, alice, alicePW)
	first := tr
	seen := map[string]bool{}
	for i := range 3 {
		prev := tr
		code, next := refreshGrant(t, c, p, prev.RefreshToken)
		if code != http.StatusOK || next.RefreshToken == "" || next.RefreshToken == prev.RefreshToken {
			t.Fatalf("refresh %d: got %d %+v, want a new refresh token", i, code, next)
		}
		m := claims(t, c, p, next.AccessToken)
		if jti := m["jti"].(string); seen[jti] {
			t.Errorf("refresh %d: jti %s reused", i, jti)
		} else {
			seen[jti] = true
		}
		if next.SessionState != first.SessionState || m["sub"] != p.Subject(alice) {
			t.Errorf("refresh %d: session_state %s, sub %v: want the original session and user", i, next.SessionState, m["sub"])
		}
		if next.IDToken == "" {
			t.Errorf("refresh %d: no id_token for an openid grant", i)
		}
		tr = next
	}
	// fosite rotates refresh tokens: the first one is spent (Keycloak would
	// accept it again unless "Revoke Refresh Token" is on).
	if code, old := refreshGrant(t, c, p, first.RefreshToken); code != http.StatusBadRequest || old.Error != "invalid_grant" {
		t.Errorf("reused refresh token: got %d %+v, want 400 invalid_grant", code, old)
	}
	if got, want := p.Stats().RefreshToken, (Outcome{OK: 3, Failed: 1}); got != want {
		t.Errorf("Stats().RefreshToken: got %+v, want %+v", got, want)
	}
}

func TestLogoutRevokesRefresh(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	_, tr := passwordGrant(t, c, p, alice, alicePW)
	_, other := passwordGrant(t, c, p, alice, alicePW) // a second user session

	if code, body := post(t, c, p.LogoutURL(), url.Values{
		"client_id": {confID}, "client_secret": {"wrong"}, "refresh_token": {tr.RefreshToken},
	}); code != http.StatusUnauthorized {
		t.Errorf("logout with a wrong secret: got %d %+v, want 401", code, body)
	}
	if code, body := post(t, c, p.LogoutURL(), url.Values{
		"client_id": {confID}, "client_secret": {confSecret}, "refresh_token": {tr.RefreshToken},
	}); code != http.StatusNoContent {
		t.Fatalf("logout: got %d %+v, want 204", code, body)
	}
	if code, body := refreshGrant(t, c, p, tr.RefreshToken); code != http.StatusBadRequest || body.Error != "invalid_grant" {
		t.Errorf("refresh after logout: got %d %+v, want 400 invalid_grant", code, body)
	}
	// userinfo refuses the logged-out session's access token.
	req, _ := http.NewRequest(http.MethodGet, p.Issuer()+"/protocol/openid-connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after logout: got %d, want 401", resp.StatusCode)
	}
	// The other session lives on.
	if code, body := refreshGrant(t, c, p, other.RefreshToken); code != http.StatusOK {
		t.Errorf("refresh of another session: got %d %+v, want 200", code, body)
	}
	if got, want := p.Stats().Logouts, (Outcome{OK: 1, Failed: 1}); got != want {
		t.Errorf("Stats().Logouts: got %+v, want %+v", got, want)
	}
}

func TestTokenErrors(t *testing.T) {
	p := NewFosite(t, testConfig())
	c := newClient(t)
	for _, row := range []struct {
		name       string
		form       url.Values
		status     int
		error, msg string
	}{
		// Keycloak's answers, word for word.
		{"no grant_type", url.Values{"client_id": {confID}, "client_secret": {confSecret}}, 400, "invalid_request", "Missing form parameter: grant_type"},
		{"unknown grant_type", url.Values{"grant_type": {"foo"}, "client_id": {confID}, "client_secret": {confSecret}}, 400, "unsupported_grant_type", "Unsupported grant_type"},
		{"unknown client", url.Values{"grant_type": {GrantClientCredentials}, "client_id": {"nobody"}, "client_secret": {"x"}}, 401, "unauthorized_client", "Invalid client or Invalid client credentials"},
		{"garbage refresh token", url.Values{"grant_type": {GrantRefreshToken}, "client_id": {confID}, "client_secret": {confSecret}, "refresh_token": {"garbage"}}, 400, "invalid_grant", "Invalid refresh token"},
	} {
		code, tr := post(t, c, p.TokenURL(), row.form)
		if code != row.status || tr.Error != row.error || tr.ErrorDescription != row.msg {
			t.Errorf("%s: got %d %s %q, want %d %s %q", row.name, code, tr.Error, tr.ErrorDescription, row.status, row.error, row.msg)
		}
	}
	if got := p.Stats().Tokens(); got != (Outcome{Failed: 4}) {
		t.Errorf("Stats().Tokens(): got %+v, want 4 failures", got)
	}
}

// TestConcurrentGrants runs grants, refreshes and logouts from several
// goroutines, for the race detector.
func TestConcurrentGrants(t *testing.T) {
	p := NewFosite(t, testConfig())
	const workers, rounds = 8, 5
	errs := make(chan error, workers)
	for range workers {
		go func() {
			errs <- func() error {
				c := newClient(t)
				for i := range rounds {
					code, tr, err := do(c, p.TokenURL(), url.Values{
						"grant_type": {GrantPassword}, "client_id": {confID}, "client_secret": {confSecret},
						"username": {alice}, "password": {alicePW},
					})
					if err != nil || code != http.StatusOK {
						return fmt.Errorf("round %d: password grant: %d %v", i, code, err)
					}
					if code, tr, err = do(c, p.TokenURL(), url.Values{
						"grant_type": {GrantRefreshToken}, "client_id": {confID}, "client_secret": {confSecret},
						"refresh_token": {tr.RefreshToken},
					}); err != nil || code != http.StatusOK {
						return fmt.Errorf("round %d: refresh: %d %v", i, code, err)
					}
					if code, _, err = do(c, p.LogoutURL(), url.Values{
						"client_id": {confID}, "client_secret": {confSecret}, "refresh_token": {tr.RefreshToken},
					}); err != nil || code != http.StatusNoContent {
						return fmt.Errorf("round %d: logout: %d %v", i, code, err)
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	st := p.Stats()
	if st.Password.OK != workers*rounds || st.RefreshToken.OK != workers*rounds || st.Logouts.OK != workers*rounds {
		t.Errorf("Stats: got %+v, want %d of each", st, workers*rounds)
	}
}

// BenchmarkGrants measures token requests of a confidential client at the
// lowest and at the default bcrypt cost. A password grant pays two bcrypt
// comparisons (client secret, user password), a refresh or
// client_credentials grant one; each signs an RS256 access token.
func BenchmarkGrants(b *testing.B) {
	for _, cost := range []int{bcrypt.MinCost, DefaultBcryptCost} {
		cfg := testConfig()
		cfg.BcryptCost = cost
		p := NewFosite(b, cfg)
		c := newClient(b)
		b.Run(fmt.Sprintf("cost=%d/password", cost), func(b *testing.B) {
			for b.Loop() {
				if code, tr := passwordGrant(b, c, p, alice, alicePW); code != http.StatusOK {
					b.Fatalf("got %d %+v", code, tr)
				}
			}
		})
		b.Run(fmt.Sprintf("cost=%d/refresh_token", cost), func(b *testing.B) {
			_, tr := passwordGrant(b, c, p, alice, alicePW)
			for b.Loop() {
				var code int
				if code, tr = refreshGrant(b, c, p, tr.RefreshToken); code != http.StatusOK {
					b.Fatalf("got %d %+v", code, tr)
				}
			}
		})
		b.Run(fmt.Sprintf("cost=%d/client_credentials", cost), func(b *testing.B) {
			form := url.Values{"grant_type": {GrantClientCredentials}, "client_id": {confID}, "client_secret": {confSecret}}
			for b.Loop() {
				if code, tr := post(b, c, p.TokenURL(), form); code != http.StatusOK {
					b.Fatalf("got %d %+v", code, tr)
				}
			}
		})
	}
}
