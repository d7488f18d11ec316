package flows

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/journeytest"
	"github.com/barrage-load/barrage/internal/oidctest"
)

// TestFlowZitadelBrowserLogin runs the authorization_code flow against
// zitadel/oidc's example OP, a provider that is not Keycloak: its
// authorization endpoint redirects to its login page (302), whose form has
// its own hidden input (the auth request's id) and posts to a page that
// redirects twice before the code; it gives refresh tokens only for
// offline_access, which barrage adds (the OP lists it); its logout is the
// standard one. Each iteration logs in a user of its own (the OP's logout
// ends every session of a user), exchanges the code with the PKCE verifier
// as a public client, refreshes twice, logs out with the ID token and
// verifies that its refresh token died. barrage's counts and the OP's own
// (its storage: logins, codes, refreshes, sessions ended, refresh tokens
// still accepted) agree.
func TestFlowZitadelBrowserLogin(t *testing.T) {
	z := oidctest.NewZitadel(t, "http://127.0.0.1/callback")
	j := flowJourney(t, events.Flow{Grant: events.GrantAuthorizationCode, Issuer: z.Issuer(),
		ClientID: oidctest.ZitadelNativeClientID, RedirectURI: "http://127.0.0.1/callback", Refreshes: 2,
		Logout: events.Logout{Enabled: true, Verify: true}}, &events.UsersData{Count: oidctest.ZitadelUsers, Start: 1})
	tg := journeytest.Targets(journeytest.Run(t, j, 10, time.Second))
	n := journeytest.Sent(t, tg, "kc", 10)
	if c := tg["kc"].Counts; c.Success != n {
		t.Fatalf("iterations %+v", c)
	}
	// Requests per iteration by step, and their statuses: the login page
	// is a redirect away, the form's post two redirects from the client.
	for step, want := range map[string]map[string]int64{
		"login/authorize": {"302": 1, "200": 1},
		"login/form":      {"302": 2},
		"login/token":     {"200": 1},
		"refresh":         {"200": 2},
		"logout":          {"302": 1},
		"logout/verify":   {"400": 1},
	} {
		c := tg["kc/"+step].Counts
		var per int64
		for status, k := range want {
			per += k
			if c.StatusCodes[status] != k*n {
				t.Errorf("%s: statuses %v; want %d × %s", step, c.StatusCodes, k*n, status)
			}
		}
		if c.Requests != per*n || c.Success != per*n {
			t.Errorf("%s: %d requests, %d successful; want %d", step, c.Requests, c.Success, per*n)
		}
		if lat := tg["kc/"+step].Latency; step == "login/form" && lat.Count() == 0 {
			t.Errorf("%s: no latency recorded", step)
		}
	}
	st := z.Stats()
	t.Logf("barrage: %d iterations; zitadel: %+v", n, st)
	if st.Logins.OK != n || st.Logins.Failed != 0 || st.Codes != n || st.Refreshes != 2*n || st.SessionsEnded != n ||
		st.LiveRefreshTokens != 0 {
		t.Errorf("the OP saw %+v; want %d logins, codes (with a refresh token) and sessions ended, %d refreshes, no refresh token alive", st, n, 2*n)
	}
}

// TestFlowNoRefreshToken: a provider that gives no refresh token without
// offline_access, asked for refreshes with a scope that leaves it out: the
// iteration ends at the code exchange, saying why.
func TestFlowNoRefreshToken(t *testing.T) {
	z := oidctest.NewZitadel(t, "http://127.0.0.1/callback")
	j := flowJourney(t, events.Flow{Grant: events.GrantAuthorizationCode, Issuer: z.Issuer(), Scope: "openid",
		ClientID: oidctest.ZitadelNativeClientID, RedirectURI: "http://127.0.0.1/callback", Refreshes: 1},
		&events.UsersData{Count: oidctest.ZitadelUsers, Start: 1})
	tg := journeytest.Targets(journeytest.Run(t, j, 10, 500*time.Millisecond))
	n := journeytest.Sent(t, tg, "kc", 5)
	const want = "extract login/token: no refresh_token in the response (ask for offline_access?)"
	if c := tg["kc"].Counts; c.Success != 0 || c.ErrorDetails[want] != n {
		t.Errorf("iterations %+v; want every one to end with %q", c, want)
	}
	if c := tg["kc/refresh"].Counts; c.Requests != 0 {
		t.Errorf("%d refreshes sent without a refresh token", c.Requests)
	}
	if st := z.Stats(); st.AccessTokens != n || st.Codes != 0 {
		t.Errorf("the OP issued %+v; want %d access tokens alone", st, n)
	}
}
