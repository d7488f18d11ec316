package oidctest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Credentials accepted by the zitadel example OP. They are fixed by
// github.com/zitadel/oidc/v3/example/server/storage, not by us: the service
// user of the client_credentials grant is hard-coded there.
const (
	// ZitadelServiceClientID and ZitadelServiceClientSecret authenticate the
	// client_credentials grant (HTTP Basic or form post).
	ZitadelServiceClientID     = "sid1"
	ZitadelServiceClientSecret = "verysecret"
	// ZitadelWebClientID and ZitadelWebClientSecret are a confidential
	// client for authorization_code (HTTP Basic only) and refresh_token.
	ZitadelWebClientID     = "web"
	ZitadelWebClientSecret = "secret"
	// ZitadelNativeClientID is a public client for authorization_code with
	// PKCE and refresh_token.
	ZitadelNativeClientID = "native"
	// ZitadelUsername and ZitadelPassword log in on the OP's form at
	// /login/username.
	ZitadelUsername = "test-user2"
	ZitadelPassword = "verysecure"
)

// ZitadelUsers is how many numbered users the OP knows besides the
// example's own: user-N with the password pass-N, N from 1 (ours: the
// example has two users, and its logout ends every session of a user).
const ZitadelUsers = 1000

// Zitadel is a running zitadel/oidc example OpenID Provider.
type Zitadel struct {
	// URL is the server's base URL, http://127.0.0.1:port, which is also the
	// issuer: discovery is at URL + "/.well-known/openid-configuration" and
	// the token endpoint at URL + "/oauth/token".
	URL string
	st  *zitadelStorage
}

// Issuer is the OP's issuer.
func (z *Zitadel) Issuer() string { return z.URL }

// NewZitadel starts the zitadel/oidc v3 example OP
// (exampleop.SetupServer) on 127.0.0.1 for the duration of the test, with
// the clients above; redirectURIs are registered for the web and native
// clients, as redirect URIs and as post-logout redirect URIs (the
// example's clients register none of the latter). It serves at the root,
// not under /realms/{realm}, and does not support the password grant.
// Its browser login is the example's: /auth answers 302 to
// /login/username?authRequestID=…, whose form posts the user, the
// password and the request's id back there; 302 to /authorize/callback,
// 302 to the redirect URI with the code. It issues refresh tokens only
// for the offline_access scope; its end_session_endpoint ends the
// sessions of the id_token_hint's user (deletes the user's tokens).
//
// The example's request-logging middleware writes a line per request to the
// default slog logger; we pass no logger, so as not to replace the process's
// default.
func NewZitadel(tb testing.TB, redirectURIs ...string) *Zitadel {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1:0 already
	z := &Zitadel{URL: "http://" + srv.Listener.Addr().String()}
	clients := map[string]*storage.Client{
		ZitadelWebClientID:    storage.WebClient(ZitadelWebClientID, ZitadelWebClientSecret, redirectURIs...),
		ZitadelNativeClientID: storage.NativeClient(ZitadelNativeClientID, redirectURIs...),
	}
	users := numberedUsers{storage.NewUserStore(z.URL)}
	z.st = &zitadelStorage{Storage: storage.NewStorageWithClients(users, clients), postLogout: redirectURIs,
		refresh: map[string]bool{}}
	srv.Config.Handler = exampleop.SetupServer(z.Issuer(), z.st, nil, false)
	srv.Start()
	tb.Cleanup(srv.Close)
	return z
}

// ZitadelStats is what the OP's storage did, counted where the OP calls
// it, and what it still holds.
type ZitadelStats struct {
	// Logins counts the login form's user and password checks.
	Logins Outcome
	// Codes counts access and refresh tokens issued for an authorization
	// code (with offline_access), Refreshes those issued for a refresh
	// token, AccessTokens access tokens issued alone (a code without
	// offline_access, client credentials).
	Codes, Refreshes, AccessTokens int64
	// SessionsEnded counts end-session requests that named a user (by an
	// id_token_hint) whose tokens the OP then deleted.
	SessionsEnded int64
	// LiveRefreshTokens counts the refresh tokens the OP issued that it
	// would still accept now (a rotated one is not).
	LiveRefreshTokens int64
}

// Stats returns what the OP's storage did so far, and asks it which of
// the refresh tokens it issued it still accepts.
func (z *Zitadel) Stats() ZitadelStats { return z.st.stats() }

// numberedUsers adds user-N/pass-N to the example's users.
type numberedUsers struct{ storage.UserStore }

func (u numberedUsers) GetUserByID(id string) *storage.User {
	if n, ok := userNumber(id); ok {
		return numberedUser(n)
	}
	return u.UserStore.GetUserByID(id)
}

func (u numberedUsers) GetUserByUsername(name string) *storage.User {
	if n, ok := userNumber(name); ok {
		return numberedUser(n)
	}
	return u.UserStore.GetUserByUsername(name)
}

func userNumber(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "user-"))
	return n, strings.HasPrefix(s, "user-") && err == nil && n >= 1 && n <= ZitadelUsers
}

func numberedUser(n int) *storage.User {
	id := fmt.Sprintf("user-%d", n)
	return &storage.User{ID: id, Username: id, Password: fmt.Sprintf("pass-%d", n), FirstName: "User",
		LastName: strconv.Itoa(n), Email: id + "@example.com", EmailVerified: true}
}

// zitadelStorage is the example's storage, counted; its clients accept
// their redirect URIs as post-logout redirect URIs.
type zitadelStorage struct {
	*storage.Storage
	postLogout []string

	loginsOK, loginsFailed                     atomic.Int64
	codes, refreshes, accessTokens, sessionEnd atomic.Int64
	mu                                         sync.Mutex
	refresh                                    map[string]bool // refresh tokens issued, not yet rotated
}

// postLogoutClient registers the post-logout redirect URIs.
type postLogoutClient struct {
	op.Client
	uris []string
}

func (c postLogoutClient) PostLogoutRedirectURIs() []string { return c.uris }

func (s *zitadelStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || c.ApplicationType() == op.ApplicationTypeUserAgent {
		return c, err
	}
	return postLogoutClient{c, s.postLogout}, nil
}

func (s *zitadelStorage) CheckUsernamePassword(username, password, id string) error {
	err := s.Storage.CheckUsernamePassword(username, password, id)
	if err != nil {
		s.loginsFailed.Add(1)
	} else {
		s.loginsOK.Add(1)
	}
	return err
}

func (s *zitadelStorage) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.Storage.CreateAccessToken(ctx, r)
	if err == nil {
		s.accessTokens.Add(1)
	}
	return id, exp, err
}

func (s *zitadelStorage) CreateAccessAndRefreshTokens(ctx context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	id, rt, exp, err := s.Storage.CreateAccessAndRefreshTokens(ctx, r, current)
	if err != nil {
		return id, rt, exp, err
	}
	if current == "" {
		s.codes.Add(1)
	} else {
		s.refreshes.Add(1)
	}
	s.mu.Lock()
	delete(s.refresh, current)
	s.refresh[rt] = true
	s.mu.Unlock()
	return id, rt, exp, nil
}

func (s *zitadelStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	err := s.Storage.TerminateSession(ctx, userID, clientID)
	if err == nil && userID != "" {
		s.sessionEnd.Add(1)
	}
	return err
}

func (s *zitadelStorage) stats() ZitadelStats {
	st := ZitadelStats{Logins: Outcome{OK: s.loginsOK.Load(), Failed: s.loginsFailed.Load()},
		Codes: s.codes.Load(), Refreshes: s.refreshes.Load(), AccessTokens: s.accessTokens.Load(),
		SessionsEnded: s.sessionEnd.Load()}
	s.mu.Lock()
	defer s.mu.Unlock()
	for rt := range s.refresh {
		if _, err := s.Storage.TokenRequestByRefreshToken(context.Background(), rt); err == nil {
			st.LiveRefreshTokens++
		}
	}
	return st
}
