// Package oidctest starts OAuth 2.0 / OpenID Connect servers on 127.0.0.1 for
// tests: identity providers written by others, dressed up where it matters to
// look like the Keycloak that barrage's Keycloak scenarios drive.
//
// NewFosite composes github.com/ory/fosite into a Keycloak-shaped realm:
// discovery, token, authorization (with a Keycloak-like HTML login form),
// login-actions, logout, userinfo, introspection, revocation and JWKS, all
// under /realms/{realm}/. It supports the client_credentials, password,
// refresh_token and authorization_code (with PKCE S256) grants. Client
// secrets and user passwords are bcrypt hashes compared on every request, so
// the token endpoint costs CPU the way Keycloak's does; Config.BcryptCost
// lowers the cost for fast tests. Provider.Stats counts what was served,
// successes and failures apart, so a test can assert how many logins,
// grants and refreshes a scenario made.
//
// NewZitadel starts the example OpenID Provider shipped with
// github.com/zitadel/oidc/v3 (example/server/exampleop): a second,
// independent implementation with discovery and the client_credentials grant,
// served at the root of its own URL rather than under a realm.
//
// Both servers bind the loopback interface only and are closed by
// tb.Cleanup.
//
// This directory is a module of its own: fosite, zitadel/oidc and the ~90
// modules they require stay out of barrage's go.mod, which every user
// downloads. The tests that need the providers live in it too, in
// package flows (barrage's login flows, through its exported API and its
// built command); the module requires barrage through replace ../.., so they
// test this checkout. Run them with `cd internal/oidctest && go test ./...`.
package oidctest
