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

// Discovery is the part of an OpenID provider's configuration the flows use.
type Discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	ScopesSupported       []string `json:"scopes_supported"`
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
	d.Endpoints = endpoints(b)
	return &d, nil
}

// missing reports each endpoint flow f needs that the document does not
// list, as an *events.FieldError under field (the flow's, such as
// "scenarios[0].flow"), naming the setting that needs it: the token
// endpoint (issuer), the authorization endpoint (grant:
// authorization_code), the end-session endpoint (logout).
func (d *Discovery) missing(f *events.Flow, field, issuer string) []error {
	var errs []error
	need := func(sub, endpoint, value, why string) {
		if value == "" {
			errs = append(errs, &events.FieldError{Field: field + "." + sub,
				Msg: fmt.Sprintf("the discovery document of %s lists no %s: %s", issuer, endpoint, why)})
		}
	}
	need("issuer", "token_endpoint", d.TokenEndpoint, "the flow has no token endpoint to ask")
	if f.Grant == events.GrantAuthorizationCode {
		need("grant", "authorization_endpoint", d.AuthorizationEndpoint, "there is no browser login to start")
	}
	if f.Logout.Enabled {
		need("logout", "end_session_endpoint", d.EndSessionEndpoint, "the provider offers no logout (leave logout out)")
	}
	return errs
}

// scopeNote says that flow f at field asks for offline_access from a
// provider whose document is d, or returns "".
func (d *Discovery) scopeNote(f *events.Flow, field string) string {
	scope, added := flowScope(f, d.ScopesSupported)
	if !added {
		return ""
	}
	return fmt.Sprintf("%s.scope: %q: offline_access added for the refresh token the flow needs, as the provider lists it (write scope to choose)",
		field, scope)
}
