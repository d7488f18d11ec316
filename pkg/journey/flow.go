package journey

import (
	"net/http"
	"slices"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Variables the built-in flows use besides the dataset's username and
// password. The endpoints are set from the issuer's discovery document.
const (
	VarTokenEndpoint         = "token_endpoint"
	VarAuthorizationEndpoint = "authorization_endpoint"
	VarEndSessionEndpoint    = "end_session_endpoint"
	VarClientID              = "client_id"
	VarClientSecret          = "client_secret"
	VarClientBasic           = "client_basic" // base64 of client_id:client_secret, for client_auth: basic
	VarScope                 = "scope"
	VarRedirectURI           = "redirect_uri"
	VarPostLogoutRedirectURI = "post_logout_redirect_uri"
	VarAccessToken           = "access_token"
	VarRefreshToken          = "refresh_token"
	VarIDToken               = "id_token"
	VarCode                  = "code"
)

// Step names of the built-in flows, as they appear in reports
// (SCENARIO/STEP). A browser login's steps each cover a part of its chain
// of requests, redirects included (see login.go).
const (
	StepToken          = "token"           // client_credentials
	StepLogin          = "login"           // the password grant
	StepLoginAuthorize = "login/authorize" // the authorization request and its redirects, to the login page
	StepLoginForm      = "login/form"      // the login form's post (and a two-step login's), to the redirect_uri or a consent page
	StepLoginConsent   = "login/consent"   // a consent page's post, to the redirect_uri
	StepLoginToken     = "login/token"     // the code exchange, with the PKCE verifier
	StepRefresh        = "refresh"
	StepLogout         = "logout"        // the end-session request (and its redirects)
	StepLogoutVerify   = "logout/verify" // one refresh after the logout, which must be refused
)

// stepKind says how a step is sent.
type stepKind int

const (
	sendStep     stepKind = iota // one request, as written
	browserLogin                 // the authorization request's chain, to the code (login.go)
	endSession                   // the standard logout's chain (login.go)
)

// stepSpec is a step to compile: one a spec writes, or one a built-in flow
// generates, with what only the flows need.
type stepSpec struct {
	events.ScenarioStep
	kind stepKind
	// also names the other steps a browser login records.
	also []string
	// uses lists variables the step reads besides its templates'.
	uses []string
	// keep lists extracted variables that an answer without them leaves as
	// they were; missing gives, by variable, the detail of an iteration
	// that ends because the answer lacks it (default "VARIABLE").
	keep    []string
	missing map[string]string
	// refusal: the step must be refused (400 or 401, counted a success); a
	// 2xx ends the iteration with the detail "logout_not_effective".
	refusal bool
}

// flowSteps returns the steps of a built-in flow, written as a user would
// write them by hand where they can be; the flow's settings become
// variables (flowVars).
//
//	client_credentials   token
//	password             login, refresh × Refreshes, logout, logout/verify
//	authorization_code   login/authorize, login/form, login/consent (the
//	                     browser login's chain, to the code), login/token
//	                     (the code exchange with the PKCE verifier),
//	                     refresh × Refreshes, logout, logout/verify
//
// logout is the standard RP-initiated logout (a GET, or a form POST, of
// the end_session_endpoint with id_token_hint, post_logout_redirect_uri,
// client_id and state), or Keycloak's (a POST of the refresh token with
// the client's credentials); logout/verify is sent with verify: true.
func flowSteps(f *events.Flow) []stepSpec {
	basic := f.ClientAuth == events.ClientAuthBasic
	// client authenticates a request to the token endpoint.
	client := func(s events.ScenarioStep) events.ScenarioStep {
		if basic {
			s.Header = map[string]string{"Authorization": "Basic {{" + VarClientBasic + "}}"}
			return s
		}
		s.Form["client_id"] = "{{client_id}}"
		if f.ClientSecret != "" {
			s.Form["client_secret"] = "{{client_secret}}"
		}
		return s
	}
	post := func(name string, kv ...string) events.ScenarioStep {
		form := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			form[kv[i]] = kv[i+1]
		}
		return client(events.ScenarioStep{Name: name, Method: http.MethodPost, URL: "{{token_endpoint}}",
			Form: form, Expect: []int{200}})
	}
	// tokens reads a token response: the access token always; the refresh
	// and ID tokens when the flow needs them (a refresh answer without them
	// keeps those of the login).
	tokens := func(s events.ScenarioStep, login bool) stepSpec {
		sp := stepSpec{ScenarioStep: s, missing: map[string]string{}}
		read := func(v string) { sp.Extract = append(sp.Extract, events.Extract{Var: v, From: "json", Expr: "$." + v}) }
		read(VarAccessToken)
		if f.Grant == events.GrantClientCredentials {
			return sp
		}
		if f.NeedsRefreshToken() {
			read(VarRefreshToken)
			sp.missing[VarRefreshToken] = "no refresh_token in the response (ask for offline_access?)"
			if !login {
				sp.keep = append(sp.keep, VarRefreshToken)
			}
		}
		if f.StandardLogout() {
			read(VarIDToken)
			sp.missing[VarIDToken] = "no id_token in the response (ask for the openid scope?)"
			if !login {
				sp.keep = append(sp.keep, VarIDToken)
			}
		}
		return sp
	}
	var steps []stepSpec
	switch f.Grant {
	case events.GrantClientCredentials:
		s := post(StepToken, "grant_type", "client_credentials")
		if f.Scope != "" {
			s.Form["scope"] = "{{scope}}"
		}
		return []stepSpec{tokens(s, true)}
	case events.GrantPassword:
		steps = append(steps, tokens(post(StepLogin, "grant_type", "password", "username", "{{username}}",
			"password", "{{password}}", "scope", "{{scope}}"), true))
	case events.GrantAuthorizationCode:
		steps = append(steps,
			stepSpec{ScenarioStep: events.ScenarioStep{Name: StepLoginAuthorize}, kind: browserLogin,
				also: []string{StepLoginForm, StepLoginConsent},
				uses: []string{VarState, VarNonce, VarPKCEChallenge, "username", "password"}},
			tokens(post(StepLoginToken, "grant_type", "authorization_code", "code", "{{code}}",
				"redirect_uri", "{{redirect_uri}}", "code_verifier", "{{pkce_verifier}}"), true))
	}
	if f.Refreshes > 0 {
		s := tokens(post(StepRefresh, "grant_type", "refresh_token", "refresh_token", "{{refresh_token}}"), false)
		s.Repeat, s.Think = f.Refreshes, f.Think
		steps[len(steps)-1].Think = f.Think
		steps = append(steps, s)
	}
	switch {
	case !f.Logout.Enabled:
	case f.Logout.Standard():
		steps = append(steps, stepSpec{ScenarioStep: events.ScenarioStep{Name: StepLogout}, kind: endSession,
			uses: []string{VarIDToken, VarState}})
	default:
		s := post(StepLogout, "refresh_token", "{{refresh_token}}")
		s.URL, s.Expect = "{{end_session_endpoint}}", []int{200, 204, 302}
		steps = append(steps, stepSpec{ScenarioStep: s})
	}
	if f.Logout.Enabled && f.Logout.Verify {
		steps = append(steps, stepSpec{ScenarioStep: post(StepLogoutVerify, "grant_type", "refresh_token",
			"refresh_token", "{{refresh_token}}"), refusal: true})
	}
	return steps
}

// flowVars are the constant variables of a flow, before discovery.
func flowVars(f *events.Flow) map[string]string {
	post := f.PostLogoutRedirectURI
	if post == "" {
		post = f.RedirectURI
	}
	return map[string]string{VarClientID: f.ClientID, VarScope: baseScope(f), VarRedirectURI: f.RedirectURI,
		VarPostLogoutRedirectURI: post, VarTokenEndpoint: "", VarAuthorizationEndpoint: "", VarEndSessionEndpoint: ""}
}

// baseScope is the scope a flow asks for before discovery: the spec's, or
// openid for the user grants.
func baseScope(f *events.Flow) string {
	if f.Scope == "" && f.Grant != events.GrantClientCredentials {
		return "openid"
	}
	return f.Scope
}

// OfflineAccess is the scope that asks for a refresh token where a
// provider gives none without it (zitadel, hydra, Auth0, Okta).
const OfflineAccess = "offline_access"

// flowScope returns the scope flow f asks for from a provider that lists
// supported among its scopes, and whether offline_access was added to
// the default: when f needs a refresh token, the spec sets no scope, and
// the provider lists offline_access. (On Keycloak it makes the sessions
// offline sessions: write scope: openid to keep them online.)
func flowScope(f *events.Flow, supported []string) (string, bool) {
	s := baseScope(f)
	if f.Scope != "" || !f.NeedsRefreshToken() || !slices.Contains(supported, OfflineAccess) ||
		slices.Contains(strings.Fields(s), OfflineAccess) {
		return s, false
	}
	return s + " " + OfflineAccess, true
}
