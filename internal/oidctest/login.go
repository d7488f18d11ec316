package oidctest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/google/uuid"
	"github.com/ory/fosite"
)

// Cookies, named as Keycloak names them.
const (
	// CookieAuthSession ties a login form to its POST.
	CookieAuthSession = "AUTH_SESSION_ID"
	// CookieSession carries the user session (session_state) after a login;
	// an authorization request that brings it back is answered without a
	// form (SSO).
	CookieSession = "KEYCLOAK_SESSION"
)

// Messages of the login form, in Keycloak's words.
const (
	MsgInvalidCredentials = "Invalid username or password."
	MsgExpiredAction      = "Action expired. Please continue with login now."
	MsgCookieNotFound     = "Cookie not found. Please make sure cookies are enabled in your browser."
)

// authSession is a login form in progress: the authorization request fosite
// validated, and the parameters the form's action must bring back.
type authSession struct {
	id        string // the AUTH_SESSION_ID cookie
	ar        fosite.AuthorizeRequester
	code      string // session_code, new for each render, under Provider.mu
	execution string
	tabID     string
	created   time.Time
}

// authorize is the authorization endpoint. fosite validates the request
// (client, redirect URI, response type, scopes, state); the answer is a login
// form, or with a live KEYCLOAK_SESSION cookie the redirect with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.oauth2.NewAuthorizeRequest(ctx, r)
	if err == nil {
		err = checkPKCE(ar)
	}
	p.stats.authorize.Count(err == nil)
	if err != nil {
		p.oauth2.WriteAuthorizeError(ctx, found{w}, ar, err)
		return
	}
	prompt := strings.Fields(ar.GetRequestForm().Get("prompt"))
	if c, err := r.Cookie(CookieSession); err == nil && !slices.Contains(prompt, "login") {
		if us := p.userSession(c.Value); us != nil {
			p.stats.sso.Add(1)
			p.finish(w, r, ar, us)
			return
		}
	}
	if slices.Contains(prompt, "none") {
		p.oauth2.WriteAuthorizeError(ctx, found{w}, ar, fosite.ErrLoginRequired)
		return
	}
	now := time.Now()
	as := &authSession{
		id:        uuid.NewString(),
		ar:        ar,
		execution: uuid.NewString(),
		tabID:     rand.Text()[:11],
		created:   now,
	}
	p.mu.Lock()
	for id, old := range p.auths {
		if now.Sub(old.created) > DefaultLoginTimeout {
			delete(p.auths, id)
		}
	}
	p.auths[as.id] = as
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: CookieAuthSession, Value: as.id, Path: "/realms/" + p.Realm + "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	p.renderLogin(w, as, "", "")
}

// checkPKCE rejects up front what fosite's PKCE handler would reject only
// after the login: a public client without a code_challenge, or a method
// other than S256.
func checkPKCE(ar fosite.AuthorizeRequester) error {
	form := ar.GetRequestForm()
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && ar.GetClient().IsPublic():
		return fosite.ErrInvalidRequest.WithHint("Missing parameter: code_challenge_method")
	case challenge != "" && method != "S256":
		return fosite.ErrInvalidRequest.WithHint("Invalid parameter: code challenge method is not matching the configured one")
	}
	return nil
}

// authenticate takes the login form's POST. Good credentials end in a 302
// to the redirect URI with code, state, session_state and iss; bad ones
// render the form again with 200 and MsgInvalidCredentials.
func (p *Provider) authenticate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var as *authSession
	if c, err := r.Cookie(CookieAuthSession); err == nil {
		p.mu.Lock()
		as = p.auths[c.Value]
		p.mu.Unlock()
	}
	if as == nil || time.Since(as.created) > DefaultLoginTimeout {
		p.stats.logins.Count(false)
		p.renderError(w, http.StatusBadRequest, MsgCookieNotFound)
		return
	}
	q := r.URL.Query()
	if q.Get("tab_id") != as.tabID || q.Get("execution") != as.execution || q.Get("client_id") != as.ar.GetClient().GetID() {
		p.stats.logins.Count(false)
		p.renderError(w, http.StatusBadRequest, "Invalid Request")
		return
	}
	p.mu.Lock()
	stale := q.Get("session_code") != as.code
	p.mu.Unlock()
	username := r.PostFormValue("username")
	if stale {
		p.stats.logins.Count(false)
		p.renderLogin(w, as, username, MsgExpiredAction)
		return
	}
	u, ok := p.store.checkUser(ctx, username, r.PostFormValue("password"))
	if !ok {
		p.stats.logins.Count(false)
		p.renderLogin(w, as, username, MsgInvalidCredentials)
		return
	}
	// Claim the form: of two good posts racing, one gets the code.
	p.mu.Lock()
	_, live := p.auths[as.id]
	delete(p.auths, as.id)
	p.mu.Unlock()
	if !live {
		p.stats.logins.Count(false)
		p.renderError(w, http.StatusBadRequest, "You are already logged in.")
		return
	}
	p.stats.logins.Count(true)
	us := p.newUserSession(u.subject, u.name, time.Now())
	http.SetCookie(w, &http.Cookie{
		Name: CookieSession, Value: us.id, Path: "/realms/" + p.Realm + "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	p.finish(w, r, as.ar, us)
}

// finish hands the authorization request and the logged-in user to fosite,
// which issues the code, and redirects with 302 like Keycloak (fosite uses
// 303).
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, us *userSession) {
	ctx := r.Context()
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
	s := newSession(p.kid)
	s.identify(us.subject, us.username, ar.GetClient().GetID(), us.id)
	s.IDTokenClaims().AuthTime = us.authTime.UTC()
	s.IDTokenClaims().RequestedAt = ar.GetRequestedAt().UTC()
	resp, err := p.oauth2.NewAuthorizeResponse(ctx, ar, s)
	if err != nil {
		p.oauth2.WriteAuthorizeError(ctx, found{w}, ar, err)
		return
	}
	resp.AddParameter("session_state", us.id)
	resp.AddParameter("iss", p.Issuer())
	p.oauth2.WriteAuthorizeResponse(ctx, found{w}, ar, resp)
}

// browserLogout is the RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0), a GET or a form POST: it ends the user session of the
// id_token_hint (its sid; an ID token this realm did not sign is refused
// with 400, as Keycloak refuses it) and that of the KEYCLOAK_SESSION
// cookie, and redirects to post_logout_redirect_uri when client_id names a
// client that registered it. Keycloak would first ask "Do you want to log
// out?" without an id_token_hint; this one does not ask.
func (p *Provider) browserLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.stats.logouts.Count(false)
		p.renderError(w, http.StatusBadRequest, "Invalid Request")
		return
	}
	q := r.Form
	var target *url.URL
	if raw := q.Get("post_logout_redirect_uri"); raw != "" {
		client, err := p.store.GetClient(ctx, q.Get("client_id"))
		if err == nil {
			target, err = fosite.MatchRedirectURIWithClientRedirectURIs(raw, client)
		}
		if err != nil {
			p.stats.logouts.Count(false)
			p.renderError(w, http.StatusBadRequest, "Invalid redirect uri")
			return
		}
	}
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		sid, err := p.hintSession(hint, r.Form.Get("client_id"))
		if err != nil {
			p.stats.logouts.Count(false)
			p.renderError(w, http.StatusBadRequest, "Invalid IDToken")
			return
		}
		p.endUserSession(sid)
	}
	if c, err := r.Cookie(CookieSession); err == nil {
		p.endUserSession(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieSession, Path: "/realms/" + p.Realm + "/", MaxAge: -1})
	p.stats.logouts.Count(true)
	if target == nil {
		p.renderError(w, http.StatusOK, "You are logged out")
		return
	}
	if st := q.Get("state"); st != "" {
		v := target.Query()
		v.Set("state", st)
		target.RawQuery = v.Encode()
	}
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// hintSession returns the user session (sid) of an ID token this realm
// signed, issued to clientID when that is not empty.
func (p *Provider) hintSession(token, clientID string) (string, error) {
	jws, err := jose.ParseSigned(token)
	if err != nil {
		return "", err
	}
	key, err := signingKey()
	if err != nil {
		return "", err
	}
	payload, err := jws.Verify(&key.PublicKey)
	if err != nil {
		return "", err
	}
	var c struct {
		Iss, Sid, Azp string
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", err
	}
	if c.Iss != p.Issuer() || c.Sid == "" || clientID != "" && c.Azp != clientID {
		return "", errors.New("not an ID token of this realm's session for the client")
	}
	return c.Sid, nil
}

// found turns fosite's 303 redirects into Keycloak's 302.
type found struct{ http.ResponseWriter }

func (f found) WriteHeader(code int) {
	if code == http.StatusSeeOther {
		code = http.StatusFound
	}
	f.ResponseWriter.WriteHeader(code)
}

// renderLogin renders the login form with a new session_code.
func (p *Provider) renderLogin(w http.ResponseWriter, as *authSession, username, message string) {
	p.mu.Lock()
	as.code = rand.Text()[:22]
	code := as.code
	p.mu.Unlock()
	// Keycloak's parameter order, which url.Values.Encode would sort.
	action := p.Issuer() + "/login-actions/authenticate?session_code=" + url.QueryEscape(code) +
		"&execution=" + url.QueryEscape(as.execution) +
		"&client_id=" + url.QueryEscape(as.ar.GetClient().GetID()) +
		"&tab_id=" + url.QueryEscape(as.tabID)
	p.stats.loginPages.Add(1)
	p.render(w, http.StatusOK, loginPage{Realm: p.Realm, Action: template.URL(action), Username: username, Error: message})
}

func (p *Provider) renderError(w http.ResponseWriter, status int, message string) {
	p.render(w, status, loginPage{Realm: p.Realm, Error: message})
}

func (p *Provider) render(w http.ResponseWriter, status int, page loginPage) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, must-revalidate, max-age=0")
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, page)
}

// loginPage is what loginTemplate shows: the form when Action is set, an
// error page otherwise.
type loginPage struct {
	Realm    string
	Action   template.URL
	Username string
	Error    string
}

// loginTemplate follows the element ids and names of Keycloak's login.ftl
// (keycloak.v2 theme), which scenarios find with a regexp.
var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html class="login-pf">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, nofollow">
<title>Sign in to {{.Realm}}</title>
</head>
<body id="keycloak-bg" class="">
<div class="pf-v5-c-login">
<header id="kc-header" class="pf-v5-c-login__header"><div id="kc-header-wrapper" class="pf-v5-c-brand">{{.Realm}}</div></header>
<main class="pf-v5-c-login__main">
{{- if .Action}}
<h1 id="kc-page-title">Sign in to your account</h1>
{{- if .Error}}
<div class="pf-v5-c-alert pf-m-inline pf-m-danger login-pf-alert"><span class="kc-feedback-text">{{.Error}}</span></div>
{{- end}}
<div id="kc-form"><div id="kc-form-wrapper">
<form id="kc-form-login" class="pf-v5-c-form" onsubmit="login.disabled = true; return true;" action="{{.Action}}" method="post" novalidate="novalidate">
<label for="username" class="pf-v5-c-form__label">Username or email</label>
<input tabindex="1" id="username" name="username" value="{{.Username}}" type="text" autofocus autocomplete="username" aria-invalid="{{if .Error}}true{{else}}false{{end}}">
<label for="password" class="pf-v5-c-form__label">Password</label>
<input tabindex="2" id="password" name="password" value="" type="password" autocomplete="current-password" aria-invalid="{{if .Error}}true{{else}}false{{end}}">
{{- if .Error}}
<span id="input-error" class="pf-v5-c-form__helper-text pf-m-error kc-feedback-text" aria-live="polite">{{.Error}}</span>
{{- end}}
<input type="hidden" id="id-hidden-input" name="credentialId">
<button tabindex="4" class="pf-v5-c-button pf-m-primary pf-m-block" name="login" id="kc-login" type="submit">Sign In</button>
</form>
</div></div>
{{- else}}
<h1 id="kc-page-title">{{if eq .Error "You are logged out"}}You are logged out{{else}}We are sorry...{{end}}</h1>
<div id="kc-error-message"><p class="instruction">{{.Error}}</p></div>
{{- end}}
</main>
</div>
</body>
</html>
`))
