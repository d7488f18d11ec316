package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

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
	VarScope                 = "scope"
	VarRedirectURI           = "redirect_uri"
	VarAccessToken           = "access_token"
	VarRefreshToken          = "refresh_token"
	VarLoginAction           = "login_action"
	VarCode                  = "code"
)

// Step names of the built-in flows, as they appear in reports
// (SCENARIO/STEP).
const (
	StepToken     = "token"     // client_credentials, or the code exchange
	StepLogin     = "login"     // password grant, or the login form's POST
	StepAuthorize = "authorize" // GET of the authorization endpoint (the login page)
	StepRefresh   = "refresh"
	StepLogout    = "logout"
)

// expand returns the steps of a built-in flow, written as a user would
// write them by hand; the flow's settings become variables (flowVars).
//
// client_credentials   token
// password             login, refresh × Refreshes, logout
// authorization_code   authorize (GET the login page, read the form's action),
//
//	login (POST the credentials; 302 to redirect_uri?code=…), token (exchange the code
//	with the PKCE verifier), refresh × Refreshes, logout
//
// These are Keycloak's endpoints and forms (realm issuer
// https://HOST/realms/REALM); any OpenID provider whose login page is an
// HTML form with username and password inputs works the same way.
func expand(f *events.Flow) []events.ScenarioStep {
	secret := f.ClientSecret != ""
	form := func(kv ...string) map[string]string {
		m := map[string]string{"client_id": "{{client_id}}"}
		if secret {
			m["client_secret"] = "{{client_secret}}"
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tokens := []events.Extract{
		{Var: VarAccessToken, From: "json", Expr: "$.access_token"},
		{Var: VarRefreshToken, From: "json", Expr: "$.refresh_token"},
	}
	post := func(name, url string, form map[string]string, expect []int, ex []events.Extract) events.ScenarioStep {
		return events.ScenarioStep{Name: name, Method: http.MethodPost, URL: url, Form: form, Expect: expect, Extract: ex}
	}
	var steps []events.ScenarioStep
	switch f.Grant {
	case events.GrantClientCredentials:
		fm := form("grant_type", "client_credentials")
		if f.Scope != "" {
			fm["scope"] = "{{scope}}"
		}
		return []events.ScenarioStep{post(StepToken, "{{token_endpoint}}", fm, []int{200}, tokens[:1])}
	case events.GrantPassword:
		steps = append(steps, post(StepLogin, "{{token_endpoint}}",
			form("grant_type", "password", "username", "{{username}}", "password", "{{password}}", "scope", "{{scope}}"),
			[]int{200}, tokens))
	case events.GrantAuthorizationCode:
		steps = append(steps,
			events.ScenarioStep{Name: StepAuthorize, Method: http.MethodGet, Expect: []int{200},
				URL: "{{authorization_endpoint}}?response_type=code&client_id={{client_id | urlencode}}" +
					"&redirect_uri={{redirect_uri | urlencode}}&scope={{scope | urlencode}}&state={{state}}&nonce={{nonce}}" +
					"&code_challenge={{pkce_challenge}}&code_challenge_method=S256",
				Extract: []events.Extract{{Var: VarLoginAction, From: "form", Expr: "form.action"}}},
			// The login form posts back to the page's action; the answer is
			// a redirect to the client with the code in its query.
			events.ScenarioStep{Name: StepLogin, Method: http.MethodPost, URL: "{{login_action}}", Expect: []int{302, 303},
				Form:    map[string]string{"username": "{{username}}", "password": "{{password}}", "credentialId": ""},
				Extract: []events.Extract{{Var: VarCode, From: FromQuery, Expr: "code"}}},
			post(StepToken, "{{token_endpoint}}",
				form("grant_type", "authorization_code", "code", "{{code}}", "redirect_uri", "{{redirect_uri}}",
					"code_verifier", "{{pkce_verifier}}"),
				[]int{200}, tokens))
	}
	if f.Refreshes > 0 {
		s := post(StepRefresh, "{{token_endpoint}}", form("grant_type", "refresh_token", "refresh_token", "{{refresh_token}}"),
			[]int{200}, tokens)
		s.Repeat, s.Think = f.Refreshes, f.Think
		steps[len(steps)-1].Think = f.Think
		steps = append(steps, s)
	}
	if f.Logout {
		steps = append(steps, post(StepLogout, "{{end_session_endpoint}}",
			form("refresh_token", "{{refresh_token}}"), []int{200, 204, 302}, nil))
	}
	return steps
}

// flowVars are the constant variables of a flow, before discovery.
func flowVars(f *events.Flow) map[string]string {
	scope := f.Scope
	if scope == "" && f.Grant != events.GrantClientCredentials {
		scope = "openid"
	}
	return map[string]string{VarClientID: f.ClientID, VarScope: scope, VarRedirectURI: f.RedirectURI,
		VarTokenEndpoint: "", VarAuthorizationEndpoint: "", VarEndSessionEndpoint: ""}
}

// Discovery is the part of an OpenID provider's configuration the flows use.
type Discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	// Endpoints are every endpoint the document lists, by key: each
	// "…_endpoint", jwks_uri, and mtls_endpoint_aliases' as
	// "mtls_endpoint_aliases.KEY". Each must be allowed, used or not.
	Endpoints map[string]string `json:"-"`
}

// endpoints lists the endpoints of a discovery document (see
// Discovery.Endpoints).
func endpoints(b []byte) map[string]string {
	var doc map[string]json.RawMessage
	json.Unmarshal(b, &doc)
	out := map[string]string{}
	var add func(prefix string, doc map[string]json.RawMessage)
	add = func(prefix string, doc map[string]json.RawMessage) {
		for k, raw := range doc {
			var s string
			switch {
			case k == "mtls_endpoint_aliases" && prefix == "":
				var inner map[string]json.RawMessage
				if json.Unmarshal(raw, &inner) == nil {
					add(k+".", inner)
				}
			case (strings.HasSuffix(k, "_endpoint") || k == "jwks_uri") && json.Unmarshal(raw, &s) == nil && s != "":
				out[prefix+k] = s
			}
		}
	}
	add("", doc)
	return out
}

// discover fetches issuer/.well-known/openid-configuration.
func discover(ctx context.Context, client *http.Client, issuer string) (*Discovery, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("discovery: GET %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: GET %s: %s", u, res.Status)
	}
	var d Discovery
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("discovery: GET %s: not a JSON document: %w", u, err)
	}
	if d.TokenEndpoint == "" {
		return nil, fmt.Errorf("discovery: GET %s: no token_endpoint", u)
	}
	d.Endpoints = endpoints(b)
	return &d, nil
}
