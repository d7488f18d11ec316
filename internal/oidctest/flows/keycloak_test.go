package flows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/journeytest"
	"github.com/barrage-load/barrage/internal/oidctest"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/journey"
	"github.com/barrage-load/barrage/pkg/pacer"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/spec"
)

// The OIDC flows run against servers others wrote: a Keycloak-shaped
// provider composed with ory/fosite (package oidctest: Keycloak's paths,
// login form and logout; bcrypt-hashed client secrets, at cost 4 here to
// keep the tests quick), and zitadel/oidc's example provider.

func keycloak(t *testing.T) *oidctest.Provider {
	users := map[string]string{}
	for i := 1; i <= 50; i++ {
		users[fmt.Sprintf("user-%d", i)] = fmt.Sprintf("pass-%d", i)
	}
	return oidctest.NewFosite(t, oidctest.Config{Realm: "bench", BcryptCost: 4, Users: users,
		Clients: []oidctest.Client{
			{ID: "service", Secret: "service-secret", GrantTypes: []string{oidctest.GrantClientCredentials}},
			{ID: "cli", Secret: "cli-secret", GrantTypes: []string{oidctest.GrantPassword, oidctest.GrantRefreshToken}},
			{ID: "web", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
				GrantTypes: []string{oidctest.GrantAuthorizationCode, oidctest.GrantRefreshToken}},
		}})
}

func flowJourney(t *testing.T, f events.Flow, users *events.UsersData) *journey.Journey {
	t.Helper()
	sc := events.Scenario{Name: "kc", Flow: &f, Users: users, Secrets: nil}
	if err := (&events.RunSpec{Scenarios: []events.Scenario{sc}}).Validate(); err != nil {
		t.Fatal(err)
	}
	j, err := journey.Compile(sc, journey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestFlowsKeycloak(t *testing.T) {
	issuer := "http://set-per-row" // each row gets a provider of its own, so its counters are its own
	t.Setenv("KC_SERVICE_SECRET", "service-secret")
	t.Setenv("KC_CLI_SECRET", "cli-secret")
	t.Setenv("KC_WEB_SECRET", "web-secret")
	users := &events.UsersData{Count: 50, Start: 1}
	tests := []struct {
		name  string
		flow  events.Flow
		steps map[string]int64 // requests per step per iteration
		check func(t *testing.T, s oidctest.Stats, n int64)
	}{
		{"client credentials", events.Flow{Grant: events.GrantClientCredentials, Issuer: issuer,
			ClientID: "service", ClientSecret: "env:KC_SERVICE_SECRET"},
			map[string]int64{"token": 1}, func(t *testing.T, s oidctest.Stats, n int64) {
				if s.ClientCredentials.OK != n {
					t.Errorf("client_credentials grants %+v", s.ClientCredentials)
				}
			}},
		// Keycloak's own logout, a POST of the refresh token, verified: the
		// refresh after it is refused (a success of logout/verify).
		{"password, 3 refreshes, keycloak logout, verified", events.Flow{Grant: events.GrantPassword, Issuer: issuer,
			ClientID: "cli", ClientSecret: "env:KC_CLI_SECRET", Scope: "openid", Refreshes: 3,
			Logout: events.Logout{Enabled: true, Mode: events.LogoutKeycloak, Verify: true}},
			map[string]int64{"login": 1, "refresh": 3, "logout": 1, "logout/verify": 1}, func(t *testing.T, s oidctest.Stats, n int64) {
				if s.Password.OK != n || s.RefreshToken.OK != 3*n || s.RefreshToken.Failed != n || s.Logouts.OK != n {
					t.Errorf("password %+v, refresh %+v (the verifying ones failed), logout %+v", s.Password, s.RefreshToken, s.Logouts)
				}
			}},
		// The browser login through kc-form-login (posted with its hidden
		// credentialId and its login button), the standard logout with the
		// ID token, verified.
		{"browser login with PKCE, 2 refreshes, standard logout, verified", events.Flow{Grant: events.GrantAuthorizationCode, Issuer: issuer,
			ClientID: "web", ClientSecret: "env:KC_WEB_SECRET", Scope: "openid", RedirectURI: "http://127.0.0.1/callback", Refreshes: 2,
			Logout: events.Logout{Enabled: true, Verify: true}},
			map[string]int64{"login/authorize": 1, "login/form": 1, "login/consent": 0, "login/token": 1, "refresh": 2, "logout": 1,
				"logout/verify": 1}, func(t *testing.T, s oidctest.Stats, n int64) {
				if s.LoginPages != n || s.Logins.OK != n || s.AuthorizationCode.OK != n || s.RefreshToken.OK != 2*n ||
					s.RefreshToken.Failed != n || s.Logouts.OK != n || s.Logouts.Failed != 0 {
					t.Errorf("pages %d, logins %+v, codes %+v, refresh %+v, logout %+v",
						s.LoginPages, s.Logins, s.AuthorizationCode, s.RefreshToken, s.Logouts)
				}
			}},
		// The same with client_secret_basic and the logout as a form POST.
		{"browser login, basic client auth, logout posted", events.Flow{Grant: events.GrantAuthorizationCode, Issuer: issuer,
			ClientID: "web", ClientSecret: "env:KC_WEB_SECRET", ClientAuth: events.ClientAuthBasic, Scope: "openid",
			RedirectURI: "http://127.0.0.1/callback", Refreshes: 1, Logout: events.Logout{Enabled: true, Method: "POST", Verify: true}},
			map[string]int64{"login/authorize": 1, "login/form": 1, "login/token": 1, "refresh": 1, "logout": 1, "logout/verify": 1},
			func(t *testing.T, s oidctest.Stats, n int64) {
				if s.AuthorizationCode.OK != n || s.RefreshToken.OK != n || s.RefreshToken.Failed != n || s.Logouts.OK != n {
					t.Errorf("codes %+v, refresh %+v, logout %+v", s.AuthorizationCode, s.RefreshToken, s.Logouts)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := keycloak(t)
			tt.flow.Issuer = kc.Issuer()
			j := flowJourney(t, tt.flow, users)
			tg := journeytest.Targets(journeytest.Run(t, j, 10, time.Second))
			n := journeytest.Sent(t, tg, "kc", 10)
			if c := tg["kc"].Counts; c.Success != n {
				t.Fatalf("iterations %+v", c)
			}
			for step, per := range tt.steps {
				if c := tg["kc/"+step].Counts; c.Requests != per*n || c.Success != per*n {
					t.Errorf("step %s: %+v, want %d successful", step, c, per*n)
				}
			}
			t.Logf("barrage: %d iterations; provider: %+v", n, kc.Stats())
			tt.check(t, kc.Stats(), n)
		})
	}
}

// TestFlowWrongPassword: the login form comes back (200) instead of the
// redirect, and the iteration ends at the login form's step, saying so.
func TestFlowWrongPassword(t *testing.T) {
	kc := keycloak(t)
	t.Setenv("KC_WEB_SECRET", "web-secret")
	j := flowJourney(t, events.Flow{Grant: events.GrantAuthorizationCode, Issuer: kc.Issuer(), ClientID: "web",
		ClientSecret: "env:KC_WEB_SECRET", RedirectURI: "http://127.0.0.1/callback"},
		&events.UsersData{Count: 50, Start: 1, PasswordPattern: "wrong"})
	tg := journeytest.Targets(journeytest.Run(t, j, 10, 500*time.Millisecond))
	n := journeytest.Sent(t, tg, "kc", 5)
	if c := tg["kc"].Counts; c.Success != 0 || c.ErrorDetails["unexpected_status login/form: 200 (no redirect to the redirect_uri)"] != n {
		t.Errorf("iterations %+v", c)
	}
	if n := tg["kc/login/token"].Counts.Requests; n != 0 {
		t.Errorf("token exchanged %d times without a code", n)
	}
}

// TestFlowZitadel: discovery and client_credentials against zitadel/oidc's
// example provider.
func TestFlowZitadel(t *testing.T) {
	z := oidctest.NewZitadel(t)
	t.Setenv("Z_SECRET", oidctest.ZitadelServiceClientSecret)
	j := flowJourney(t, events.Flow{Grant: events.GrantClientCredentials, Issuer: z.Issuer(),
		ClientID: oidctest.ZitadelServiceClientID, ClientSecret: "env:Z_SECRET"}, nil)
	tg := journeytest.Targets(journeytest.Run(t, j, 10, time.Second))
	n := journeytest.Sent(t, tg, "kc", 10)
	if c := tg["kc/token"].Counts; c.Requests != n || c.Success != n {
		t.Errorf("token %+v", c)
	}
}

// TestKeycloakExample runs examples/keycloak.yaml, the README's Keycloak
// mix, against the fake with its issuer swapped in and think times cut:
// every scenario of the mix completes its iterations, and the provider
// sees the logins, refreshes, grants and logouts they imply.
func TestKeycloakExample(t *testing.T) {
	kc := keycloak(t)
	for k, v := range map[string]string{"KC_SERVICE_SECRET": "service-secret", "KC_WEB_SECRET": "web-secret", "KC_CLI_SECRET": "cli-secret"} {
		t.Setenv(k, v)
	}
	s, err := spec.Load("../../../examples/keycloak.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, err = prepare.File(s, "keycloak.yaml"); err != nil {
		t.Fatal(err)
	}
	var js []engine.Journey
	for _, sc := range s.Scenarios {
		if sc.Flow != nil {
			f := *sc.Flow
			f.Issuer, f.Think = kc.Issuer(), 0
			sc.Flow = &f
		}
		if sc.Vars["realm"] != "" {
			sc.Vars = map[string]string{"realm": kc.Issuer()}
		}
		j, err := journey.Compile(sc, journey.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		js = append(js, j)
	}
	e, err := engine.New(engine.Config{Journeys: js, Pacer: pacer.Constant{R: 20, D: time.Second},
		MaxInflight: 100, Timeout: 10 * time.Second, LateLimit: engine.NoLateLimit})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.Run(ctx, ctx)
	if err != nil {
		t.Fatal(err)
	}
	tg := journeytest.Targets(res)
	// 40/20/20/20 of 20 arrivals.
	want := map[string]int64{"client-credentials": 8, "browser-login": 4, "password-login": 4, "userinfo": 4}
	ran := map[string]int64{}
	for name, planned := range want {
		ran[name] = journeytest.Sent(t, tg, name, planned)
		if c := tg[name].Counts; c.Success != ran[name] {
			t.Errorf("%s: %+v", name, c)
		}
	}
	st := kc.Stats()
	logins := ran["browser-login"] + ran["password-login"]
	if st.ClientCredentials.OK != ran["client-credentials"] || st.Logins.OK != ran["browser-login"] ||
		st.Password.OK != ran["password-login"]+ran["userinfo"] || st.RefreshToken.OK != 8*logins ||
		st.RefreshToken.Failed != ran["password-login"] || // its logout is verified
		st.Logouts.OK != logins || st.UserInfo.OK != ran["userinfo"] {
		t.Errorf("provider saw %+v for iterations %v", st, ran)
	}
}
