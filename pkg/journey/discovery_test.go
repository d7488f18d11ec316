package journey

import (
	"context"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// TestCheckDiscoveryNeeds: before anything is sent, a flow that needs an
// endpoint its provider's discovery does not list is refused, one problem
// naming the setting that needs it and the endpoint; and what discovery
// changes in a flow (offline_access added) is said, one note each.
func TestCheckDiscoveryNeeds(t *testing.T) {
	bare := guardtest.Issuer(t, map[string]string{"token_endpoint": "http://127.0.0.1:1/token"})
	offline := guardtest.IssuerDoc(t, map[string]any{"token_endpoint": "http://127.0.0.1:1/token",
		"authorization_endpoint": "http://127.0.0.1:1/auth", "end_session_endpoint": "http://127.0.0.1:1/logout",
		"scopes_supported": []string{"openid", OfflineAccess}})
	users := &events.UsersData{Count: 1}
	tests := []struct {
		name  string
		flow  events.Flow
		errs  []string // the problems, in order
		notes []string
	}{
		{"logout without end_session_endpoint", events.Flow{Grant: events.GrantPassword, Issuer: bare, ClientID: "c",
			Logout: events.Logout{Enabled: true}},
			[]string{"scenarios[0].flow.logout: the discovery document of " + bare + " lists no end_session_endpoint"}, nil},
		{"keycloak logout too", events.Flow{Grant: events.GrantPassword, Issuer: bare, ClientID: "c",
			Logout: events.Logout{Enabled: true, Mode: events.LogoutKeycloak}},
			[]string{"scenarios[0].flow.logout: the discovery document of " + bare + " lists no end_session_endpoint"}, nil},
		{"browser login without authorization_endpoint", events.Flow{Grant: events.GrantAuthorizationCode, Issuer: bare,
			ClientID: "c", RedirectURI: "http://127.0.0.1/cb"},
			[]string{"scenarios[0].flow.grant: the discovery document of " + bare + " lists no authorization_endpoint"}, nil},
		{"offline_access added for refreshes", events.Flow{Grant: events.GrantAuthorizationCode, Issuer: offline,
			ClientID: "c", RedirectURI: "http://127.0.0.1/cb", Refreshes: 2, Logout: events.Logout{Enabled: true}},
			nil, []string{`scenarios[0].flow.scope: "openid offline_access": offline_access added`}},
		{"not when the spec writes the scope", events.Flow{Grant: events.GrantPassword, Issuer: offline,
			ClientID: "c", Scope: "openid", Refreshes: 2}, nil, nil},
		{"nor without refreshes", events.Flow{Grant: events.GrantPassword, Issuer: offline, ClientID: "c"}, nil, nil},
		{"nor where the provider does not list it", events.Flow{Grant: events.GrantPassword, Issuer: bare,
			ClientID: "c", Refreshes: 1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &events.RunSpec{Scenarios: []events.Scenario{{Name: "s", Flow: &tt.flow, Users: users}}}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			notes, err := CheckDiscovery(context.Background(), s, &hostguard.Dialer{})
			var got []string
			if err != nil {
				for _, e := range fieldErrors("", err) {
					got = append(got, e.Error())
				}
			}
			if len(got) != len(tt.errs) {
				t.Fatalf("problems %q; want %d", got, len(tt.errs))
			}
			for i, want := range tt.errs {
				if !strings.HasPrefix(got[i], want) || strings.Contains(got[i], "\n") {
					t.Errorf("problem %q; want one line starting %q", got[i], want)
				}
			}
			if len(notes) != len(tt.notes) || len(notes) > 0 && !strings.HasPrefix(notes[0], tt.notes[0]) {
				t.Errorf("notes %q; want %q", notes, tt.notes)
			}
		})
	}
}
