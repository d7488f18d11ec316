package events

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogoutJSON: a logout is written true (the standard logout), false or
// left out (none), or as an object; it reads back as it was written.
func TestLogoutJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Logout
		out  string // "" for the flow without a logout field
	}{
		{`true`, Logout{Enabled: true}, `true`},
		{`false`, Logout{}, ``},
		{`{}`, Logout{Enabled: true}, `true`},
		{`{"mode": "keycloak"}`, Logout{Enabled: true, Mode: LogoutKeycloak}, `{"mode":"keycloak"}`},
		{`{"method": "POST", "verify": true}`, Logout{Enabled: true, Method: "POST", Verify: true}, `{"method":"POST","verify":true}`},
	}
	for _, tt := range tests {
		var f Flow
		if err := json.Unmarshal([]byte(`{"logout": `+tt.in+`}`), &f); err != nil || f.Logout != tt.want {
			t.Errorf("%s: read %+v, %v; want %+v", tt.in, f.Logout, err, tt.want)
			continue
		}
		b, _ := json.Marshal(f)
		var fields map[string]json.RawMessage
		json.Unmarshal(b, &fields)
		if got := string(fields["logout"]); got != tt.out {
			t.Errorf("%s: written %s; want logout %s", tt.in, b, tt.out)
		}
	}
	var f Flow
	if err := json.Unmarshal([]byte(`{"logout": {"mood": "x"}}`), &f); err == nil {
		t.Error("a logout with an unknown field was read")
	}
}

// TestFlowValidate: every problem of a flow's settings, at once, each
// naming its field.
func TestFlowValidate(t *testing.T) {
	users := &UsersData{Count: 10}
	tests := []struct {
		name string
		flow Flow
		want []string // parts of the problems, in order
	}{
		{"fine", Flow{Grant: GrantAuthorizationCode, Issuer: "https://idp", ClientID: "c", RedirectURI: "http://127.0.0.1/cb",
			FormSelector: "#login", Consent: ConsentFail, Logout: Logout{Enabled: true, Method: "post", Verify: true},
			PostLogoutRedirectURI: "http://127.0.0.1/bye"}, nil},
		{"browser settings on another grant", Flow{Grant: GrantPassword, Issuer: "https://idp", ClientID: "c",
			UsernameField: "login", Consent: ConsentApprove},
			[]string{"scenarios[0].flow.username_field: only for the authorization_code grant", "scenarios[0].flow.consent: only for"}},
		{"bad values", Flow{Grant: GrantAuthorizationCode, Issuer: "https://idp", ClientID: "c", RedirectURI: "http://127.0.0.1/cb",
			FormSelector: "#", Consent: "maybe", ClientAuth: "jwt", Logout: Logout{Enabled: true, Mode: "magic"},
			PostLogoutRedirectURI: "/bye"},
			[]string{`flow.client_auth: "jwt" (want post or basic)`, `flow.consent: "maybe" (want approve or fail)`,
				`flow.form_selector: "#" names no form id`, `flow.logout.mode: "magic" (want standard or keycloak)`,
				`flow.post_logout_redirect_uri: "/bye" is not an absolute http(s) URL`,
				`flow.post_logout_redirect_uri: only for the standard logout`}},
		{"method of the keycloak logout; basic without a secret", Flow{Grant: GrantPassword, Issuer: "https://idp", ClientID: "c",
			ClientAuth: ClientAuthBasic, Logout: Logout{Enabled: true, Mode: LogoutKeycloak, Method: "GET"}},
			[]string{"flow.client_auth: basic authenticates with the client_secret", "flow.logout.method: the keycloak logout is a POST"}},
		{"a method that is not one", Flow{Grant: GrantPassword, Issuer: "https://idp", ClientID: "c", Logout: Logout{Enabled: true, Method: "PUT"}},
			[]string{`flow.logout.method: "PUT" (want GET or POST)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := RunSpec{Scenarios: []Scenario{{Name: "s", Flow: &tt.flow, Users: users}}}
			var p problems
			s.validateScenarios(&p, nil)
			if len(p) != len(tt.want) {
				t.Fatalf("%d problems %v; want %d", len(p), p, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(p[i].Error(), w) {
					t.Errorf("problem %d: %v; want it to say %q", i, p[i], w)
				}
			}
		})
	}
}
