package oidctest

import (
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// session is what fosite stores with each grant: the ID token claims
// (openid.DefaultSession), the JWT access token claims, and Keycloak's user
// session id. Every field is exported because Clone copies with deepcopy,
// which skips unexported fields.
type session struct {
	*openid.DefaultSession
	AccessClaims *jwt.JWTClaims
	AccessHeader *jwt.Headers
	// SessionState is the Keycloak user session ("session_state", "sid");
	// empty for client_credentials.
	SessionState string
}

var (
	_ oauth2.JWTSessionContainer = (*session)(nil)
	_ openid.Session             = (*session)(nil)
	_ oauth2.Session             = (*session)(nil)
)

// newSession returns an empty session whose tokens carry kid in their header.
func newSession(kid string) *session {
	s := &session{
		DefaultSession: openid.NewDefaultSession(),
		AccessClaims:   &jwt.JWTClaims{Extra: map[string]any{}},
		AccessHeader:   &jwt.Headers{Extra: map[string]any{"kid": kid}},
	}
	s.DefaultSession.Headers.Extra = map[string]any{"kid": kid}
	s.DefaultSession.Claims.Extra = map[string]any{}
	return s
}

// GetJWTClaims returns the access token claims.
func (s *session) GetJWTClaims() jwt.JWTClaimsContainer { return s.AccessClaims }

// GetJWTHeader returns the access token header.
func (s *session) GetJWTHeader() *jwt.Headers { return s.AccessHeader }

// SetSubject sets the subject of the session and of both tokens.
func (s *session) SetSubject(sub string) {
	s.DefaultSession.SetSubject(sub)
	s.AccessClaims.Subject = sub
	s.DefaultSession.Claims.Subject = sub
}

// Clone returns a deep copy.
func (s *session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(*session)
}

// identify fills in who the tokens are for, the way Keycloak's default
// mappers do: sub, preferred_username, azp, sid and session_state, typ.
func (s *session) identify(subject, username, clientID, sessionState string) {
	s.SetSubject(subject)
	s.DefaultSession.Username = username
	s.SessionState = sessionState
	for _, extra := range []map[string]any{s.AccessClaims.Extra, s.DefaultSession.Claims.Extra} {
		extra["preferred_username"] = username
		extra["azp"] = clientID
		if sessionState != "" {
			extra["sid"] = sessionState
			extra["session_state"] = sessionState
		}
	}
	s.AccessClaims.Extra["typ"] = "Bearer"
	s.DefaultSession.Claims.Extra["typ"] = "ID"
}

// renew gives the access token of a new grant or refresh its own jti, and an
// iat and exp exactly lifespan apart, whole seconds, as Keycloak's are: fosite
// keeps the claims of the session it clones on refresh, sets iat only when
// it is empty, and rounds exp from a clock reading of its own.
func (s *session) renew(now time.Time, lifespan time.Duration, jti string) {
	iat := now.UTC().Truncate(time.Second)
	s.AccessClaims.IssuedAt = iat
	s.AccessClaims.JTI = jti
	s.SetExpiresAt(fosite.AccessToken, iat.Add(lifespan))
}
