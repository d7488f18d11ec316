package oidctest

import "sync/atomic"

// Outcome counts the requests of one kind that succeeded and that failed.
type Outcome struct {
	// OK counts requests answered with success (2xx, or the redirect that
	// carries a code).
	OK int64
	// Failed counts requests answered with an error, including a login form
	// rendered again after a wrong password.
	Failed int64
}

// Total is OK + Failed.
func (o Outcome) Total() int64 { return o.OK + o.Failed }

// Stats is a snapshot of what a Provider has served.
type Stats struct {
	// Discovery counts openid-configuration documents served.
	Discovery int64
	// JWKS counts key sets served by the certs endpoint.
	JWKS int64
	// LoginPages counts login forms rendered, first renders and re-renders
	// after a failed attempt alike.
	LoginPages int64
	// SSO counts authorization requests answered straight from a
	// KEYCLOAK_SESSION cookie, without a form.
	SSO int64
	// Authorize counts authorization requests: OK when they showed a form or
	// were answered by SSO, Failed when fosite rejected them.
	Authorize Outcome
	// Logins counts form posts to login-actions/authenticate.
	Logins Outcome
	// ClientCredentials, Password, RefreshToken and AuthorizationCode count
	// token requests by grant type.
	ClientCredentials Outcome
	Password          Outcome
	RefreshToken      Outcome
	AuthorizationCode Outcome
	// OtherGrants counts token requests with a missing or unsupported
	// grant_type.
	OtherGrants Outcome
	// Logouts counts logout requests, back-channel and browser.
	Logouts Outcome
	// UserInfo, Introspection and Revocation count those endpoints.
	UserInfo      Outcome
	Introspection Outcome
	Revocation    Outcome
}

// Tokens sums the token endpoint's outcomes over every grant type.
func (s Stats) Tokens() Outcome {
	var t Outcome
	for _, o := range []Outcome{s.ClientCredentials, s.Password, s.RefreshToken, s.AuthorizationCode, s.OtherGrants} {
		t.OK += o.OK
		t.Failed += o.Failed
	}
	return t
}

// Counter is the live, concurrently updated form of Outcome, for servers
// that count what they served.
type Counter struct{ ok, failed atomic.Int64 }

// Count counts one request: a success if ok, else a failure.
func (o *Counter) Count(ok bool) {
	if ok {
		o.ok.Add(1)
	} else {
		o.failed.Add(1)
	}
}

// Load returns the counts so far.
func (o *Counter) Load() Outcome { return Outcome{OK: o.ok.Load(), Failed: o.failed.Load()} }

// counters is the live form of Stats.
type counters struct {
	discovery, jwks, loginPages, sso                  atomic.Int64
	authorize, logins, logouts                        Counter
	clientCredentials, password, refresh, code, other Counter
	userInfo, introspection, revocation               Counter
}

// grant returns the counter for a grant_type.
func (c *counters) grant(grantType string) *Counter {
	switch grantType {
	case GrantClientCredentials:
		return &c.clientCredentials
	case GrantPassword:
		return &c.password
	case GrantRefreshToken:
		return &c.refresh
	case GrantAuthorizationCode:
		return &c.code
	}
	return &c.other
}

func (c *counters) snapshot() Stats {
	return Stats{
		Discovery:         c.discovery.Load(),
		JWKS:              c.jwks.Load(),
		LoginPages:        c.loginPages.Load(),
		SSO:               c.sso.Load(),
		Authorize:         c.authorize.Load(),
		Logins:            c.logins.Load(),
		ClientCredentials: c.clientCredentials.Load(),
		Password:          c.password.Load(),
		RefreshToken:      c.refresh.Load(),
		AuthorizationCode: c.code.Load(),
		OtherGrants:       c.other.Load(),
		Logouts:           c.logouts.Load(),
		UserInfo:          c.userInfo.Load(),
		Introspection:     c.introspection.Load(),
		Revocation:        c.revocation.Load(),
	}
}
