package oidctest

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
)

// userSession is a Keycloak user session: created by a form login or a
// password grant, ended by logout. Refreshes and userinfo calls of its tokens
// fail once it has ended.
type userSession struct {
	id       string
	subject  string
	username string
	authTime time.Time
}

// errSessionNotActive rejects a refresh whose user session was logged out.
var errSessionNotActive = fosite.ErrInvalidGrant.WithHint("Session not active")

func (p *Provider) newUserSession(subject, username string, now time.Time) *userSession {
	us := &userSession{id: uuid.NewString(), subject: subject, username: username, authTime: now}
	p.mu.Lock()
	p.sessions[us.id] = us
	p.mu.Unlock()
	return us
}

func (p *Provider) userSession(id string) *userSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[id]
}

func (p *Provider) sessionActive(id string) bool { return p.userSession(id) != nil }

func (p *Provider) endUserSession(id string) {
	p.mu.Lock()
	delete(p.sessions, id)
	p.mu.Unlock()
}

// token is the token endpoint: fosite validates the request and issues the
// tokens; prepare and decorate add what Keycloak puts around them.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	grant := r.PostFormValue("grant_type")
	n := p.stats.grant(grant)
	ar, err := p.oauth2.NewAccessRequest(ctx, r, newSession(p.kid))
	if err == nil {
		err = p.prepare(ar)
	}
	var resp fosite.AccessResponder
	if err == nil {
		resp, err = p.oauth2.NewAccessResponse(ctx, ar)
	}
	if err == nil {
		err = p.decorate(ctx, ar, resp)
	}
	n.Count(err == nil)
	if err != nil {
		p.writeTokenError(ctx, w, ar, grant, err)
		return
	}
	p.oauth2.WriteAccessResponse(ctx, w, ar, resp)
}

// prepare sets the claims fosite leaves to the caller between the request and
// the response: who the token is for, the granted scopes, a fresh iat and jti.
func (p *Provider) prepare(ar fosite.AccessRequester) error {
	s, ok := ar.GetSession().(*session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("session of type %T", ar.GetSession())
	}
	now := time.Now()
	clientID := ar.GetClient().GetID()
	switch gt := ar.GetGrantTypes(); {
	case gt.ExactOne(GrantClientCredentials):
		grantRequested(ar)
		name := "service-account-" + clientID
		s.identify(p.Subject(name), name, clientID, "")
		s.AccessClaims.Extra["client_id"] = clientID
	case gt.ExactOne(GrantPassword):
		// fosite has set the subject from store.Authenticate; every direct
		// grant opens a user session of its own, as in Keycloak.
		grantRequested(ar)
		sub := s.GetSubject()
		name := p.store.names[sub]
		us := p.newUserSession(sub, name, now)
		s.identify(sub, name, clientID, us.id)
		s.IDTokenClaims().AuthTime = now.UTC()
		s.IDTokenClaims().RequestedAt = now.UTC()
	case gt.ExactOne(GrantRefreshToken):
		if !p.sessionActive(s.SessionState) {
			return errSessionNotActive
		}
	}
	s.renew(now, p.cfg.AccessTokenLifespan, uuid.NewString())
	return nil
}

// grantRequested grants every requested scope and audience; fosite has
// already checked them against the client.
func grantRequested(ar fosite.AccessRequester) {
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
}

// decorate adds Keycloak's fields to a token response: token_type "Bearer",
// expires_in of exactly the lifespan, refresh_expires_in, session_state,
// not-before-policy, and the id_token of a password grant with the openid
// scope, which fosite only issues for codes and refreshes.
func (p *Provider) decorate(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	s := ar.GetSession().(*session)
	resp.SetTokenType("Bearer")
	resp.SetExpiresIn(p.cfg.AccessTokenLifespan)
	var refreshIn int64
	if resp.GetExtra("refresh_token") != nil {
		refreshIn = int64(time.Until(s.GetExpiresAt(fosite.RefreshToken)).Round(time.Second) / time.Second)
	}
	resp.SetExtra("refresh_expires_in", refreshIn)
	resp.SetExtra("not-before-policy", 0)
	if s.SessionState != "" {
		resp.SetExtra("session_state", s.SessionState)
	}
	if ar.GetGrantTypes().ExactOne(GrantPassword) && ar.GetGrantedScopes().Has("openid") {
		idt, err := p.idTokens.GenerateIDToken(ctx, p.cfg.AccessTokenLifespan, ar)
		if err != nil {
			return err
		}
		resp.SetExtra("id_token", idt)
	}
	return nil
}

// writeTokenError answers with Keycloak's wording for the errors a load test
// meets (bad client, bad user, dead refresh token) and fosite's for the rest.
func (p *Provider) writeTokenError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, grant string, err error) {
	switch {
	case grant == "":
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "Missing form parameter: grant_type"})
	case !slices.Contains(grantTypes, grant):
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "Unsupported grant_type"})
	case errors.Is(err, fosite.ErrInvalidClient):
		writeJSON(w, http.StatusUnauthorized, oauthError{"unauthorized_client", "Invalid client or Invalid client credentials"})
	case isSessionNotActive(err):
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "Session not active"})
	case grant == GrantPassword && errors.Is(err, fosite.ErrInvalidGrant):
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_grant", "Invalid user credentials"})
	case grant == GrantRefreshToken && errors.Is(err, fosite.ErrInvalidGrant):
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "Invalid refresh token"})
	case grant == GrantAuthorizationCode && errors.Is(err, fosite.ErrInvalidGrant):
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "Code not valid"})
	default:
		p.oauth2.WriteAccessError(ctx, w, ar, err)
	}
}

// isSessionNotActive tells errSessionNotActive from other invalid_grant
// errors, which errors.Is cannot: fosite's errors compare by code alone.
func isSessionNotActive(err error) bool {
	var rfc *fosite.RFC6749Error
	return errors.As(err, &rfc) && rfc.HintField == errSessionNotActive.HintField
}

// logout is Keycloak's back-channel logout: the client posts its credentials
// and a refresh token; the user session ends, the refresh token is revoked,
// and the answer is 204 No Content. A post with an id_token_hint and no
// refresh token is the RP-initiated logout (browserLogout).
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := func(status int, code, desc string) {
		p.stats.logouts.Count(false)
		writeJSON(w, status, oauthError{code, desc})
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "Malformed form")
		return
	}
	if r.PostForm.Get("refresh_token") == "" && r.PostForm.Get("id_token_hint") != "" {
		p.browserLogout(w, r) // the RP-initiated logout, as a form post
		return
	}
	client, err := p.oauth2.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		fail(http.StatusUnauthorized, "unauthorized_client", "Invalid client or Invalid client credentials")
		return
	}
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		fail(http.StatusBadRequest, "invalid_request", "No refresh token")
		return
	}
	req, err := p.store.GetRefreshTokenSession(ctx, p.strategy.RefreshTokenSignature(ctx, rt), nil)
	if err != nil {
		fail(http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
		return
	}
	if req.GetClient().GetID() != client.GetID() {
		fail(http.StatusBadRequest, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")
		return
	}
	if s, ok := req.GetSession().(*session); ok {
		p.endUserSession(s.SessionState)
	}
	if err := p.store.RevokeRefreshToken(ctx, req.GetID()); err != nil {
		fail(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	if err := p.store.RevokeAccessToken(ctx, req.GetID()); err != nil {
		fail(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	p.stats.logouts.Count(true)
	w.WriteHeader(http.StatusNoContent)
}
