// Package journey runs scenarios: it compiles an events.Scenario (steps
// written by hand, or a built-in OpenID Connect flow) into an
// engine.Journey, whose iterations send the steps over HTTP with the
// engine's counted dialer, a new connection and cookie jar per iteration
// (a new user), variables from a dataset row, earlier responses and
// resolved secrets.
//
// The lean path. Steps go over the engine's lean HTTP/1.1 client
// (engine.H1Conn; lean.go): each request serialized into a reused buffer
// and written once, each answer parsed in place, keeping only what the
// steps read (the status; Location, Set-Cookie and the headers extractors
// name; the body, up to MaxBody, when an extractor or a login page reads
// it). Cookies are the iteration's (jar.go, held against
// net/http/cookiejar by its test), and redirects are followed as net/http
// followed them. A keep-alive iteration of three requests allocates
// nothing in steady state; see BenchmarkLeanIteration and bench/README.md
// (the journey scenario, against k6). With Options.HTTP2 (a spec's
// http2) journeys keep net/http's client, which negotiates h2 by ALPN.
//
// Flows. A built-in flow's token requests, refreshes and Keycloak's logout
// are steps as a user would write them (flow.go); its browser login and
// standard logout are chains of requests a browser would send, redirects
// followed and forms submitted, each part of a chain one step of the
// report (login.go; the pages' forms are read by pkg/scenario's
// LoginForm). The flows are tested against real providers (ory/fosite
// dressed as Keycloak, zitadel/oidc) in internal/oidctest/flows, a module
// of its own that keeps those providers out of barrage's go.mod.
//
// Timing. Step 1 is due when its arrival was due; step k+1 when step k ended
// plus its think time. Each step's latency is measured from its due time, so
// a generator that falls behind shows in the figures rather than hiding.
//
// Secrets. Only references travel (env:, file:, ssm:, secretsmanager:);
// Prepare resolves them once per worker into constant variables, through
// the secret.Resolver of Options (its ssm: and secretsmanager: sources come
// from the main: this package never links the AWS SDK). Errors
// recorded for a step are classes and bounded details, never a URL or a
// body, so a secret a template puts in a request never reaches a result.
package journey
