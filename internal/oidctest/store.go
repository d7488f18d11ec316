package oidctest

import (
	"context"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
)

// user is one realm user: a bcrypt hash of the password and a stable subject.
type user struct {
	name    string
	subject string
	hash    []byte
}

// store is the provider's in-memory fosite storage, modelled on fosite's
// storage.MemoryStore, which we do not use: its RevokeRefreshToken (called by
// every refresh) writes RefreshTokens under the wrong lock, a data race under
// concurrent refreshes. Here one mutex guards every map; the calls are map
// operations, so it is never held long. The bcrypt comparison in
// Authenticate runs outside it.
type store struct {
	clients map[string]fosite.Client // read-only after construction
	users   map[string]user          // by username; read-only after construction
	names   map[string]string        // username by subject; read-only after construction
	dummy   []byte                   // a hash compared when the username is unknown
	hasher  fosite.Hasher

	mu            sync.Mutex
	codes         map[string]entry // authorization codes, by signature
	oidc          map[string]fosite.Requester
	pkce          map[string]fosite.Requester
	access        map[string]entry  // access tokens, by signature
	refresh       map[string]entry  // refresh tokens, by signature
	accessByReq   map[string]string // access token signature, by request id
	refreshByReq  map[string]string // refresh token signature, by request id
	assertionJTIs map[string]time.Time
}

// entry is a stored request and whether its code or token is still usable.
type entry struct {
	req    fosite.Requester
	active bool
}

func newStore(h fosite.Hasher) *store {
	return &store{
		clients:       map[string]fosite.Client{},
		users:         map[string]user{},
		names:         map[string]string{},
		hasher:        h,
		codes:         map[string]entry{},
		oidc:          map[string]fosite.Requester{},
		pkce:          map[string]fosite.Requester{},
		access:        map[string]entry{},
		refresh:       map[string]entry{},
		accessByReq:   map[string]string{},
		refreshByReq:  map[string]string{},
		assertionJTIs: map[string]time.Time{},
	}
}

var (
	_ fosite.Storage                                      = (*store)(nil)
	_ oauth2.CoreStorage                                  = (*store)(nil)
	_ oauth2.TokenRevocationStorage                       = (*store)(nil)
	_ oauth2.ResourceOwnerPasswordCredentialsGrantStorage = (*store)(nil)
	_ openid.OpenIDConnectRequestStorage                  = (*store)(nil)
	_ pkce.PKCERequestStorage                             = (*store)(nil)
)

// Authenticate checks a username and password for the password grant; it
// returns fosite.ErrNotFound for unknown users and wrong passwords alike.
func (s *store) Authenticate(ctx context.Context, name, secret string) (string, error) {
	u, ok := s.checkUser(ctx, name, secret)
	if !ok {
		return "", fosite.ErrNotFound
	}
	return u.subject, nil
}

// checkUser compares secret with the user's hash. An unknown user costs the
// same comparison, against a dummy hash, as Keycloak spends on one.
func (s *store) checkUser(ctx context.Context, name, secret string) (user, bool) {
	u, ok := s.users[name]
	hash := u.hash
	if !ok {
		hash = s.dummy
	}
	if err := s.hasher.Compare(ctx, hash, []byte(secret)); err != nil || !ok {
		return user{}, false
	}
	return u, true
}

func (s *store) GetClient(_ context.Context, id string) (fosite.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, fosite.ErrNotFound
}

func (s *store) ClientAssertionJWTValid(_ context.Context, jti string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.assertionJTIs[jti]; ok && exp.After(time.Now()) {
		return fosite.ErrJTIKnown
	}
	return nil
}

func (s *store) SetClientAssertionJWT(_ context.Context, jti string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for j, e := range s.assertionJTIs {
		if e.Before(now) {
			delete(s.assertionJTIs, j)
		}
	}
	if _, ok := s.assertionJTIs[jti]; ok {
		return fosite.ErrJTIKnown
	}
	s.assertionJTIs[jti] = exp
	return nil
}

func (s *store) CreateAuthorizeCodeSession(_ context.Context, code string, req fosite.Requester) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = entry{req: req, active: true}
	return nil
}

// GetAuthorizeCodeSession returns the request with ErrInvalidatedAuthorizeCode
// for a used code, as fosite requires, so that it can revoke the tokens.
func (s *store) GetAuthorizeCodeSession(_ context.Context, code string, _ fosite.Session) (fosite.Requester, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.codes[code]
	switch {
	case !ok:
		return nil, fosite.ErrNotFound
	case !e.active:
		return e.req, fosite.ErrInvalidatedAuthorizeCode
	}
	return e.req, nil
}

func (s *store) InvalidateAuthorizeCodeSession(_ context.Context, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.codes[code]
	if !ok {
		return fosite.ErrNotFound
	}
	e.active = false
	s.codes[code] = e
	return nil
}

func (s *store) CreateAccessTokenSession(_ context.Context, sig string, req fosite.Requester) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[sig] = entry{req: req, active: true}
	s.accessByReq[req.GetID()] = sig
	return nil
}

func (s *store) GetAccessTokenSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.access[sig]; ok {
		return e.req, nil
	}
	return nil, fosite.ErrNotFound
}

func (s *store) DeleteAccessTokenSession(_ context.Context, sig string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.access, sig)
	return nil
}

func (s *store) CreateRefreshTokenSession(_ context.Context, sig, _ string, req fosite.Requester) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[sig] = entry{req: req, active: true}
	s.refreshByReq[req.GetID()] = sig
	return nil
}

// GetRefreshTokenSession returns the request with ErrInactiveToken for a
// rotated or revoked token, which fosite treats as reuse and answers with
// invalid_grant after revoking the chain.
func (s *store) GetRefreshTokenSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.refresh[sig]
	switch {
	case !ok:
		return nil, fosite.ErrNotFound
	case !e.active:
		return e.req, fosite.ErrInactiveToken
	}
	return e.req, nil
}

func (s *store) DeleteRefreshTokenSession(_ context.Context, sig string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refresh, sig)
	return nil
}

// RotateRefreshToken retires the request's current refresh and access
// tokens before fosite stores their successors.
func (s *store) RotateRefreshToken(_ context.Context, requestID, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeRefresh(requestID)
	s.revokeAccess(requestID)
	return nil
}

func (s *store) RevokeRefreshToken(_ context.Context, requestID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeRefresh(requestID)
	return nil
}

func (s *store) RevokeAccessToken(_ context.Context, requestID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeAccess(requestID)
	return nil
}

func (s *store) revokeRefresh(requestID string) {
	sig, ok := s.refreshByReq[requestID]
	if e, found := s.refresh[sig]; ok && found {
		e.active = false
		s.refresh[sig] = e
	}
}

func (s *store) revokeAccess(requestID string) {
	if sig, ok := s.accessByReq[requestID]; ok {
		delete(s.access, sig)
		delete(s.accessByReq, requestID)
	}
}

func (s *store) CreateOpenIDConnectSession(_ context.Context, code string, req fosite.Requester) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc[code] = req
	return nil
}

func (s *store) GetOpenIDConnectSession(_ context.Context, code string, _ fosite.Requester) (fosite.Requester, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.oidc[code]; ok {
		return r, nil
	}
	return nil, fosite.ErrNotFound
}

func (s *store) DeleteOpenIDConnectSession(_ context.Context, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.oidc, code)
	return nil
}

func (s *store) CreatePKCERequestSession(_ context.Context, sig string, req fosite.Requester) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pkce[sig] = req
	return nil
}

func (s *store) GetPKCERequestSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.pkce[sig]; ok {
		return r, nil
	}
	return nil, fosite.ErrNotFound
}

func (s *store) DeletePKCERequestSession(_ context.Context, sig string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pkce, sig)
	return nil
}
