package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v3"
	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Provider is a running fosite-based identity provider shaped like one
// Keycloak realm. Its methods are safe for concurrent use.
type Provider struct {
	// URL is the server's base URL, http://127.0.0.1:port, without a slash.
	URL string
	// Realm is the realm name in every path.
	Realm string

	cfg      Config
	oauth2   *fosite.Fosite
	strategy oauth2.CoreStrategy
	idTokens openid.OpenIDConnectTokenStrategy
	store    *store
	kid      string
	jwks     jose.JSONWebKeySet
	stats    counters

	mu       sync.Mutex
	auths    map[string]*authSession // login forms in progress, by AUTH_SESSION_ID
	sessions map[string]*userSession // Keycloak user sessions, by session_state
}

// signingKey is the RS256 key of every Provider in the process: generating a
// 2048-bit key takes long enough under the race detector to be worth sharing.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// NewFosite starts a Provider on 127.0.0.1 for the duration of the test. It
// fails the test if cfg does not validate. Startup hashes every client secret
// and user password at cfg.BcryptCost.
func NewFosite(tb testing.TB, cfg Config) *Provider {
	tb.Helper()
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("oidctest: invalid config: %v", err)
	}
	cfg = cfg.withDefaults()
	key, err := signingKey()
	if err != nil {
		tb.Fatalf("oidctest: signing key: %v", err)
	}

	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1:0 already
	p := &Provider{
		URL:      "http://" + srv.Listener.Addr().String(),
		Realm:    cfg.Realm,
		cfg:      cfg,
		auths:    map[string]*authSession{},
		sessions: map[string]*userSession{},
	}
	if err := p.compose(key); err != nil {
		srv.Close()
		tb.Fatalf("oidctest: %v", err)
	}
	srv.Config.Handler = p.routes()
	srv.Start()
	tb.Cleanup(srv.Close)
	return p
}

// Issuer is the realm's issuer, as in tokens and discovery.
func (p *Provider) Issuer() string { return p.URL + "/realms/" + p.Realm }

// DiscoveryURL is the realm's OpenID Connect discovery document.
func (p *Provider) DiscoveryURL() string { return p.Issuer() + "/.well-known/openid-configuration" }

// TokenURL is the realm's token endpoint.
func (p *Provider) TokenURL() string { return p.Issuer() + "/protocol/openid-connect/token" }

// AuthURL is the realm's authorization endpoint.
func (p *Provider) AuthURL() string { return p.Issuer() + "/protocol/openid-connect/auth" }

// LogoutURL is the realm's end-session endpoint.
func (p *Provider) LogoutURL() string { return p.Issuer() + "/protocol/openid-connect/logout" }

// Stats returns a snapshot of the counters.
func (p *Provider) Stats() Stats { return p.stats.snapshot() }

// Subject returns the "sub" the provider gives a username: a UUID derived
// from the issuer and the name, stable across restarts like a Keycloak user
// id.
func (p *Provider) Subject(username string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(p.Issuer()+"/users/"+username)).String()
}

// compose builds the fosite provider, its storage and the JWKS.
func (p *Provider) compose(key *rsa.PrivateKey) error {
	cfg := p.cfg
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	fc := &fosite.Config{
		AccessTokenLifespan:         cfg.AccessTokenLifespan,
		IDTokenLifespan:             cfg.AccessTokenLifespan,
		RefreshTokenLifespan:        cfg.RefreshTokenLifespan,
		AuthorizeCodeLifespan:       DefaultAuthorizationCodeLifespan,
		HashCost:                    cfg.BcryptCost,
		GlobalSecret:                secret,
		IDTokenIssuer:               p.Issuer(),
		AccessTokenIssuer:           p.Issuer(),
		TokenURL:                    p.TokenURL(),
		EnforcePKCEForPublicClients: true,
		RefreshTokenScopes:          []string{}, // like Keycloak: refresh tokens without offline_access
		JWTScopeClaimKey:            jwt.JWTScopeFieldString,
		ScopeStrategy:               fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:    fosite.DefaultAudienceMatchingStrategy,
	}
	// Set now: fosite fills it lazily on first use, a data race when the
	// first requests arrive together.
	fc.ClientSecretsHasher = &fosite.BCrypt{Config: fc}

	st, err := p.newStore(fc.ClientSecretsHasher)
	if err != nil {
		return err
	}
	getKey := func(context.Context) (any, error) { return key, nil }
	p.strategy = compose.NewOAuth2JWTStrategy(getKey, compose.NewOAuth2HMACStrategy(fc), fc)
	p.idTokens = compose.NewOpenIDConnectStrategy(getKey, fc)
	strategy := &compose.CommonStrategy{
		CoreStrategy:               p.strategy,
		OpenIDConnectTokenStrategy: p.idTokens,
		Signer:                     &jwt.DefaultSigner{GetPrivateKey: getKey},
	}
	// Compose always returns a *fosite.Fosite; we need its AuthenticateClient
	// for logout, which the OAuth2Provider interface does not have.
	p.oauth2 = compose.Compose(fc, st, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		// fosite deprecates the password grant (ROPC) to discourage it, and
		// has nothing to replace it with; this provider offers it on purpose,
		// because Keycloak does and barrage's users test it there.
		//lint:ignore SA1019 the password grant is offered deliberately, like Keycloak's
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	).(*fosite.Fosite)
	p.store = st

	thumb := sha256.Sum256(key.PublicKey.N.Bytes())
	p.kid = base64.RawURLEncoding.EncodeToString(thumb[:16])
	p.jwks = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig",
	}}}
	return nil
}

// newStore hashes the clients' secrets and the users' passwords, in parallel
// since each takes a bcrypt round at the configured cost.
func (p *Provider) newStore(h fosite.Hasher) (*store, error) {
	cfg := p.cfg
	st := newStore(h)

	type job struct {
		plain string
		out   *[]byte
	}
	var jobs []job
	clients := make([]*fosite.DefaultClient, len(cfg.Clients))
	for i, c := range cfg.Clients {
		clients[i] = &fosite.DefaultClient{
			ID:            c.ID,
			Public:        c.Public(),
			RedirectURIs:  c.RedirectURIs,
			GrantTypes:    c.grantTypes(),
			ResponseTypes: []string{"code"},
			Scopes:        c.scopes(),
		}
		if !c.Public() {
			jobs = append(jobs, job{c.Secret, &clients[i].Secret})
		}
	}
	hashes := make([][]byte, len(cfg.Users)+1)
	names := make([]string, 0, len(cfg.Users))
	for name, pw := range cfg.Users {
		names = append(names, name)
		jobs = append(jobs, job{pw, &hashes[len(names)-1]})
	}
	jobs = append(jobs, job{rand.Text(), &hashes[len(names)]})

	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { *j.out, errs[i] = h.Hash(context.Background(), []byte(j.plain)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	for _, c := range clients {
		st.clients[c.ID] = c
	}
	for i, name := range names {
		st.users[name] = user{name: name, subject: p.Subject(name), hash: hashes[i]}
		st.names[p.Subject(name)] = name
	}
	st.dummy = hashes[len(names)]
	return st, nil
}

// routes serves the realm under /realms/{realm}/ like Keycloak.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	realm := "/realms/" + p.Realm
	oidc := realm + "/protocol/openid-connect"
	mux.HandleFunc("GET "+realm+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+oidc+"/certs", p.certs)
	mux.HandleFunc("POST "+oidc+"/token", p.token)
	mux.HandleFunc("GET "+oidc+"/auth", p.authorize)
	mux.HandleFunc("POST "+oidc+"/auth", p.authorize)
	mux.HandleFunc("POST "+realm+"/login-actions/authenticate", p.authenticate)
	mux.HandleFunc("POST "+oidc+"/logout", p.logout)
	mux.HandleFunc("GET "+oidc+"/logout", p.browserLogout)
	mux.HandleFunc("GET "+oidc+"/userinfo", p.userinfo)
	mux.HandleFunc("POST "+oidc+"/userinfo", p.userinfo)
	mux.HandleFunc("POST "+oidc+"/token/introspect", p.introspect)
	mux.HandleFunc("POST "+oidc+"/revoke", p.revoke)
	mux.HandleFunc("/realms/{realm}/", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("realm") != p.Realm {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Realm does not exist"})
			return
		}
		http.NotFound(w, r)
	})
	return mux
}

// discovery serves the subset of Keycloak's openid-configuration that this
// provider implements.
func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.stats.discovery.Add(1)
	iss := p.Issuer()
	oidc := iss + "/protocol/openid-connect"
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                p.AuthURL(),
		"token_endpoint":                        p.TokenURL(),
		"introspection_endpoint":                oidc + "/token/introspect",
		"userinfo_endpoint":                     oidc + "/userinfo",
		"end_session_endpoint":                  p.LogoutURL(),
		"revocation_endpoint":                   oidc + "/revoke",
		"jwks_uri":                              oidc + "/certs",
		"grant_types_supported":                 []string{GrantAuthorizationCode, GrantRefreshToken, GrantPassword, GrantClientCredentials},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      DefaultScopes,
		"claims_supported":                      []string{"aud", "sub", "iss", "auth_time", "name", "preferred_username", "azp", "sid"},
		"backchannel_logout_supported":          false,
		"frontchannel_logout_supported":         false,
	})
}

func (p *Provider) certs(w http.ResponseWriter, _ *http.Request) {
	p.stats.jwks.Add(1)
	writeJSON(w, http.StatusOK, p.jwks)
}

// userinfo answers for a valid access token whose user session is still
// active, like Keycloak, which refuses tokens of a logged-out session.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, ar, err := p.oauth2.IntrospectToken(ctx, fosite.AccessTokenFromRequest(r), fosite.AccessToken, newSession(p.kid))
	var s *session
	if err == nil {
		s, _ = ar.GetSession().(*session)
	}
	if s == nil || (s.SessionState != "" && !p.sessionActive(s.SessionState)) {
		p.stats.userInfo.Count(false)
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+p.Realm+`", error="invalid_token", error_description="Token verification failed"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_token", "Token verification failed"})
		return
	}
	p.stats.userInfo.Count(true)
	writeJSON(w, http.StatusOK, map[string]any{
		"sub":                s.GetSubject(),
		"preferred_username": s.GetUsername(),
		"email_verified":     false,
	})
}

func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	resp, err := p.oauth2.NewIntrospectionRequest(ctx, r, newSession(p.kid))
	p.stats.introspection.Count(err == nil)
	if err != nil {
		p.oauth2.WriteIntrospectionError(ctx, w, err)
		return
	}
	p.oauth2.WriteIntrospectionResponse(ctx, w, resp)
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := p.oauth2.NewRevocationRequest(ctx, r)
	p.stats.revocation.Count(err == nil)
	p.oauth2.WriteRevocationResponse(ctx, w, err)
}

// oauthError is the JSON body of an OAuth 2.0 error response.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
