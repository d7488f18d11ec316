package events

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Grants of the built-in flows.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"           // Keycloak's direct access grants
	GrantAuthorizationCode = "authorization_code" // browser login through the login form, with PKCE
)

// Values of Flow.Consent.
const (
	ConsentApprove = "approve" // submit a consent page as served (the default)
	ConsentFail    = "fail"    // end the iteration at a consent page
)

// Values of Flow.ClientAuth.
const (
	ClientAuthPost  = "post"  // client_secret_post: client_id and client_secret in the form (the default)
	ClientAuthBasic = "basic" // client_secret_basic: an Authorization: Basic header
)

// Values of Logout.Mode.
const (
	LogoutStandard = "standard" // OpenID Connect RP-Initiated Logout 1.0 (the default)
	LogoutKeycloak = "keycloak" // Keycloak's back-channel logout with the refresh token
)

// Flow is a built-in OpenID Connect journey against Issuer, whose endpoints
// come from Issuer/.well-known/openid-configuration (fetched once per
// worker). Keycloak's issuer is https://HOST/realms/REALM.
type Flow struct {
	// Grant is client_credentials, password or authorization_code.
	Grant  string `json:"grant" yaml:"grant"`
	Issuer string `json:"issuer" yaml:"issuer"`
	// ClientID is the client; ClientSecret a secret reference (env:NAME,
	// file:, ssm:, secretsmanager:) for a confidential client, empty for a
	// public one.
	ClientID     string `json:"client_id" yaml:"client_id"`
	ClientSecret string `json:"client_secret,omitempty" yaml:"client_secret"`
	// ClientAuth is how a confidential client authenticates to the token
	// endpoint: ClientAuthPost (default) or ClientAuthBasic.
	ClientAuth string `json:"client_auth,omitempty" yaml:"client_auth"`
	// Scope is sent with the grant; default "openid" for the user grants,
	// to which offline_access is added when refreshes need a refresh token
	// and the provider lists offline_access in its scopes_supported.
	Scope string `json:"scope,omitempty" yaml:"scope"`
	// RedirectURI is the client's registered redirect URI
	// (authorization_code). The browser login stops at the redirect to it,
	// which is never requested.
	RedirectURI string `json:"redirect_uri,omitempty" yaml:"redirect_uri"`
	// FormSelector picks the login form of a page when the form with a
	// password input is not the one: "#ID" (the form's id) or a part of the
	// form's action.
	FormSelector string `json:"form_selector,omitempty" yaml:"form_selector"`
	// UsernameField and PasswordField name the login form's inputs that
	// get the user's name and password, when those barrage finds (the
	// password input; the text input named like a user name) are not them.
	UsernameField string `json:"username_field,omitempty" yaml:"username_field"`
	PasswordField string `json:"password_field,omitempty" yaml:"password_field"`
	// Consent is what a consent page (a form without a password input on
	// the way to the redirect URI) gets: ConsentApprove (default) submits
	// it as served; ConsentFail ends the iteration.
	Consent string `json:"consent,omitempty" yaml:"consent"`
	// Refreshes is how many refresh_token grants follow a login (Keycloak's
	// sizing guide assumes about 8 per login), Think apart.
	Refreshes int      `json:"refreshes,omitempty" yaml:"refreshes"`
	Think     Duration `json:"think,omitempty" yaml:"think"`
	// Logout ends the session after the refreshes; written true (the
	// standard logout) or as an object.
	Logout Logout `json:"logout,omitzero" yaml:"logout"`
	// PostLogoutRedirectURI is sent with the standard logout; default
	// RedirectURI. The logout stops at the redirect to it.
	PostLogoutRedirectURI string `json:"post_logout_redirect_uri,omitempty" yaml:"post_logout_redirect_uri"`
}

// Logout is how a flow logs out. A spec writes it as true (Enabled, the
// standard logout), false (none), or an object (Enabled, with its fields).
type Logout struct {
	// Enabled is set by true or by an object.
	Enabled bool `json:"-" yaml:"-"`
	// Mode is LogoutStandard (default): the OpenID Connect RP-Initiated
	// Logout, a GET of the end_session_endpoint with id_token_hint,
	// post_logout_redirect_uri, client_id and state; or LogoutKeycloak: a POST
	// of client_id, client_secret and refresh_token to it.
	Mode string `json:"mode,omitempty" yaml:"mode"`
	// Method is GET (default) or POST (a form post) for the standard logout.
	Method string `json:"method,omitempty" yaml:"method"`
	// Verify tries one refresh after the logout: the logout failed
	// (logout_not_effective) when the refresh token still works.
	Verify bool `json:"verify,omitempty" yaml:"verify"`
}

// IsZero reports whether l is no logout (for omitzero).
func (l Logout) IsZero() bool { return l == Logout{} }

// Standard reports whether l is the standard logout (when enabled).
func (l Logout) Standard() bool { return l.Mode == "" || l.Mode == LogoutStandard }

// MarshalJSON writes true for the default logout, false for none, and the
// object otherwise.
func (l Logout) MarshalJSON() ([]byte, error) {
	if (l == Logout{Enabled: true}) || !l.Enabled {
		return json.Marshal(l.Enabled)
	}
	type fields Logout
	return json.Marshal(fields(l))
}

// UnmarshalJSON reads true, false or an object.
func (l *Logout) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		*l = Logout{Enabled: on}
		return nil
	}
	type fields Logout
	var f fields
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("logout: want true, false or an object of mode, method and verify: %w", err)
	}
	*l = Logout(f)
	l.Enabled = true
	return nil
}

// UnmarshalYAML reads true, false or a mapping, for gopkg.in/yaml.v3
// (whose older unmarshaler interface needs no import of it).
func (l *Logout) UnmarshalYAML(unmarshal func(any) error) error {
	var on bool
	if err := unmarshal(&on); err == nil {
		*l = Logout{Enabled: on}
		return nil
	}
	type fields Logout
	var f fields
	if err := unmarshal(&f); err != nil {
		return err
	}
	*l = Logout(f)
	l.Enabled = true
	return nil
}

// StandardLogout reports whether f ends with the standard logout.
func (f *Flow) StandardLogout() bool { return f.Logout.Enabled && f.Logout.Standard() }

// NeedsRefreshToken reports whether f uses the refresh token of its login:
// to refresh, for Keycloak's logout, or to verify a logout.
func (f *Flow) NeedsRefreshToken() bool {
	return f.Grant != GrantClientCredentials &&
		(f.Refreshes > 0 || f.Logout.Enabled && (!f.Logout.Standard() || f.Logout.Verify))
}

// validate checks f, the flow of scenario sc at scField: its client, its
// browser login, its session and its logout, in that order.
func (f *Flow) validate(scField string, sc *Scenario, p *problems) {
	field := scField + ".flow"
	f.validateClient(field, p)
	f.validateBrowser(field, p)
	f.validateSession(scField, sc, p)
	f.validateLogout(field, p)
}

// validateClient checks the grant, the issuer and how the client
// authenticates.
func (f *Flow) validateClient(field string, p *problems) {
	if !slices.Contains([]string{GrantClientCredentials, GrantPassword, GrantAuthorizationCode}, f.Grant) {
		p.add(field+".grant", "%q is not a grant (want %s, %s or %s)", f.Grant,
			GrantClientCredentials, GrantPassword, GrantAuthorizationCode)
	}
	if !strings.HasPrefix(f.Issuer, "http://") && !strings.HasPrefix(f.Issuer, "https://") {
		p.add(field+".issuer", "%q is not an http(s) URL", f.Issuer)
	}
	if f.ClientID == "" {
		p.add(field+".client_id", "required")
	}
	switch f.ClientAuth {
	case "", ClientAuthPost:
	case ClientAuthBasic:
		if f.ClientSecret == "" {
			p.add(field+".client_auth", "basic authenticates with the client_secret: give one")
		}
	default:
		p.add(field+".client_auth", "%q (want %s or %s)", f.ClientAuth, ClientAuthPost, ClientAuthBasic)
	}
}

// validateBrowser checks the fields of the authorization_code grant's
// browser login.
func (f *Flow) validateBrowser(field string, p *problems) {
	if f.Grant == GrantAuthorizationCode && f.RedirectURI == "" {
		p.add(field+".redirect_uri", "required for the authorization_code grant")
	}
	if f.Grant != GrantAuthorizationCode {
		for _, kv := range [][2]string{{"form_selector", f.FormSelector}, {"username_field", f.UsernameField},
			{"password_field", f.PasswordField}, {"consent", f.Consent}} {
			if kv[1] != "" {
				p.add(field+"."+kv[0], "only for the authorization_code grant (a browser login)")
			}
		}
	}
	if f.Consent != "" && f.Consent != ConsentApprove && f.Consent != ConsentFail {
		p.add(field+".consent", "%q (want %s or %s)", f.Consent, ConsentApprove, ConsentFail)
	}
	if f.FormSelector == "#" {
		p.add(field+".form_selector", `"#" names no form id (write #ID, or a part of the form's action)`)
	}
}

// validateSession checks what follows a login: the users who log in (a
// dataset of scenario sc at scField), the refreshes, and that
// client_credentials, which has no session, asks for neither refreshes nor
// a logout.
func (f *Flow) validateSession(scField string, sc *Scenario, p *problems) {
	field := scField + ".flow"
	if f.Grant == GrantClientCredentials && (f.Refreshes > 0 || f.Logout.Enabled) {
		p.add(field, "client_credentials has no refresh token and no session: no refreshes or logout")
	}
	if f.Grant != GrantClientCredentials && sc.Users == nil && sc.CSV == nil {
		p.add(scField+".users",
			"the %s grant logs users in: give users or a csv with username and password columns", f.Grant)
	}
	if f.Refreshes < 0 || f.Refreshes > MaxSteps {
		p.add(field+".refreshes", "%d is out of range (0 ≤ refreshes ≤ %d)", f.Refreshes, MaxSteps)
	}
}

// validateLogout checks the logout's mode and method, and the redirect
// after it.
func (f *Flow) validateLogout(field string, p *problems) {
	l := f.Logout
	if l.Mode != "" && l.Mode != LogoutStandard && l.Mode != LogoutKeycloak {
		p.add(field+".logout.mode", "%q (want %s or %s)", l.Mode, LogoutStandard, LogoutKeycloak)
	}
	switch {
	case l.Method != "" && !l.Standard():
		p.add(field+".logout.method", "the %s logout is a POST of the refresh token: method is for the standard logout", l.Mode)
	case l.Method != "" && !strings.EqualFold(l.Method, "GET") && !strings.EqualFold(l.Method, "POST"):
		p.add(field+".logout.method", "%q (want GET or POST)", l.Method)
	}
	if u := f.PostLogoutRedirectURI; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
			p.add(field+".post_logout_redirect_uri", "%q is not an absolute http(s) URL", u)
		}
		if !f.StandardLogout() {
			p.add(field+".post_logout_redirect_uri", "only for the standard logout (logout: true)")
		}
	}
}
