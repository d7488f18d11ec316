package oidctest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"
)

// Defaults for the zero values of Config. The lifespans are Keycloak's
// defaults for a new realm.
const (
	// DefaultRealm is the realm name used when Config.Realm is empty.
	DefaultRealm = "barrage"
	// DefaultAccessTokenLifespan is Keycloak's "Access Token Lifespan".
	DefaultAccessTokenLifespan = 5 * time.Minute
	// DefaultRefreshTokenLifespan is Keycloak's "SSO Session Idle": how long a
	// refresh token stays usable after it was issued.
	DefaultRefreshTokenLifespan = 30 * time.Minute
	// DefaultAuthorizationCodeLifespan is Keycloak's "Client login timeout".
	DefaultAuthorizationCodeLifespan = time.Minute
	// DefaultLoginTimeout is Keycloak's "Login timeout": how long a login form
	// stays valid after it was rendered.
	DefaultLoginTimeout = 30 * time.Minute
	// DefaultBcryptCost is fosite's default bcrypt work factor (12): about a
	// quarter of a second of one core per comparison on a 2020s server. Tests
	// that only check behaviour should set Config.BcryptCost to
	// bcrypt.MinCost (4).
	DefaultBcryptCost = fosite.DefaultBCryptWorkFactor
)

// Grant types, as sent in grant_type and listed in Client.GrantTypes.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
)

// grantTypes are the grant types the provider supports.
var grantTypes = []string{GrantClientCredentials, GrantPassword, GrantRefreshToken, GrantAuthorizationCode}

// DefaultScopes are the scopes a Client may request when Client.Scopes is
// empty: the client scopes of a new Keycloak realm.
var DefaultScopes = []string{
	"openid", "profile", "email", "roles", "web-origins", "acr", "basic",
	"address", "phone", "offline_access", "microprofile-jwt",
}

// Config describes the realm a Fosite provider serves.
type Config struct {
	// Realm is the realm name in every path; DefaultRealm when empty.
	Realm string
	// Clients are the realm's OAuth 2.0 clients; at least one is required.
	Clients []Client
	// Users maps a username to its password.
	Users map[string]string
	// AccessTokenLifespan is the access (and ID) token lifetime;
	// DefaultAccessTokenLifespan when zero.
	AccessTokenLifespan time.Duration
	// RefreshTokenLifespan is the refresh token lifetime, renewed by each
	// refresh; DefaultRefreshTokenLifespan when zero.
	RefreshTokenLifespan time.Duration
	// BcryptCost is the bcrypt work factor for client secrets and user
	// passwords; DefaultBcryptCost when zero. Every confidential client
	// authentication and every user login pays one comparison at this cost.
	BcryptCost int
}

// Client is one OAuth 2.0 client of the realm.
type Client struct {
	// ID is the client_id.
	ID string
	// Secret is the client secret; empty makes the client public (Keycloak's
	// "Client authentication: Off"), which then must use PKCE for the
	// authorization code grant and may not use client_credentials.
	Secret string
	// GrantTypes the client may use; when empty, all four grants for a
	// confidential client and all but client_credentials for a public one.
	GrantTypes []string
	// RedirectURIs are matched exactly, except that a loopback
	// http://127.0.0.1/path matches any port (RFC 8252).
	RedirectURIs []string
	// Scopes the client may request; DefaultScopes when empty.
	Scopes []string
}

// Public reports whether the client has no secret.
func (c Client) Public() bool { return c.Secret == "" }

func (c Client) grantTypes() []string {
	if len(c.GrantTypes) > 0 {
		return c.GrantTypes
	}
	if c.Public() {
		return []string{GrantAuthorizationCode, GrantPassword, GrantRefreshToken}
	}
	return []string{GrantAuthorizationCode, GrantClientCredentials, GrantPassword, GrantRefreshToken}
}

func (c Client) scopes() []string {
	if len(c.Scopes) > 0 {
		return c.Scopes
	}
	return DefaultScopes
}

// Validate reports every problem with the configuration at once; it changes
// nothing.
func (c Config) Validate() error {
	var errs []error
	if strings.ContainsAny(c.Realm, "/?#% ") {
		errs = append(errs, fmt.Errorf("realm %q: not a path segment", c.Realm))
	}
	if len(c.Clients) == 0 {
		errs = append(errs, errors.New("no clients"))
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		switch {
		case cl.ID == "":
			errs = append(errs, fmt.Errorf("client %d: empty ID", i))
		case seen[cl.ID]:
			errs = append(errs, fmt.Errorf("client %q: duplicate ID", cl.ID))
		}
		seen[cl.ID] = true
		for _, g := range cl.GrantTypes {
			if !slices.Contains(grantTypes, g) {
				errs = append(errs, fmt.Errorf("client %q: unsupported grant type %q", cl.ID, g))
			}
		}
		gs := cl.grantTypes()
		if cl.Public() && slices.Contains(gs, GrantClientCredentials) {
			errs = append(errs, fmt.Errorf("client %q: a public client cannot use client_credentials", cl.ID))
		}
		if slices.Contains(gs, GrantAuthorizationCode) && len(cl.RedirectURIs) == 0 {
			errs = append(errs, fmt.Errorf("client %q: authorization_code needs a redirect URI", cl.ID))
		}
	}
	for name, pw := range c.Users {
		if name == "" || pw == "" {
			errs = append(errs, fmt.Errorf("user %q: empty username or password", name))
		}
	}
	if c.AccessTokenLifespan < 0 || c.RefreshTokenLifespan < 0 {
		errs = append(errs, errors.New("negative token lifespan"))
	}
	if c.BcryptCost != 0 && (c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost) {
		errs = append(errs, fmt.Errorf("bcrypt cost %d outside [%d, %d]", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Realm == "" {
		c.Realm = DefaultRealm
	}
	if c.AccessTokenLifespan == 0 {
		c.AccessTokenLifespan = DefaultAccessTokenLifespan
	}
	if c.RefreshTokenLifespan == 0 {
		c.RefreshTokenLifespan = DefaultRefreshTokenLifespan
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = DefaultBcryptCost
	}
	return c
}
