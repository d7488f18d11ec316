// Package flows holds tests and no code: barrage's built-in OpenID Connect
// flows (pkg/journey, and the barrage command) run against the providers of
// package oidctest, ory/fosite dressed as a Keycloak realm and zitadel/oidc's
// example OP, and the providers' own counts are held against barrage's.
//
// The tests live here, in the oidctest module, rather than beside the code
// they test so that fosite, zitadel/oidc and what they require stay out of
// the root module's go.mod, which every user of barrage downloads. They use
// only barrage's exported API; the command is built with go build and run as
// a user would.
package flows
