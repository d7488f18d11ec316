package oidctest

import "testing"

func TestConfigValidate(t *testing.T) {
	for _, row := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		// The test realm is valid.
		{"valid", testConfig(), true},
		// A realm needs a client.
		{"no clients", Config{}, false},
		// A public client has no secret to authenticate client_credentials.
		{"public client_credentials", Config{Clients: []Client{{ID: "x", GrantTypes: []string{GrantClientCredentials}}}}, false},
		// authorization_code needs somewhere to send the code.
		{"no redirect", Config{Clients: []Client{{ID: "x", Secret: "s"}}}, false},
		// Unknown grant types are refused rather than ignored.
		{"implicit", Config{Clients: []Client{{ID: "x", Secret: "s", GrantTypes: []string{"implicit"}}}}, false},
		// bcrypt refuses costs below 4.
		{"bcrypt cost", Config{Clients: []Client{{ID: "x", Secret: "s", GrantTypes: []string{GrantPassword}}}, BcryptCost: 2}, false},
		// The realm is one path segment.
		{"realm path", Config{Realm: "a/b", Clients: []Client{{ID: "x", Secret: "s", GrantTypes: []string{GrantPassword}}}}, false},
	} {
		if err := row.cfg.Validate(); (err == nil) != row.ok {
			t.Errorf("%s: got %v, want ok=%v", row.name, err, row.ok)
		}
	}
}
