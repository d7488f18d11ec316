package oidctest

import (
	"net/http/httptest"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
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

// Zitadel is a running zitadel/oidc example OpenID Provider.
type Zitadel struct {
	// URL is the server's base URL, http://127.0.0.1:port, which is also the
	// issuer: discovery is at URL + "/.well-known/openid-configuration" and
	// the token endpoint at URL + "/oauth/token".
	URL string
}

// Issuer is the OP's issuer.
func (z *Zitadel) Issuer() string { return z.URL }

// NewZitadel starts the zitadel/oidc v3 example OP
// (exampleop.SetupServer) on 127.0.0.1 for the duration of the test, with
// the clients above; redirectURIs are registered for the web and native
// clients. It serves at the root, not under /realms/{realm}, and does not
// support the password grant.
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
	st := storage.NewStorageWithClients(storage.NewUserStore(z.URL), clients)
	srv.Config.Handler = exampleop.SetupServer(z.Issuer(), st, nil, false)
	srv.Start()
	tb.Cleanup(srv.Close)
	return z
}
