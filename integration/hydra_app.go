//go:build integration

package integration

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// HydraStats is what the login-and-consent app has done: the provider's own
// count of logins, consents and logouts, to hold against a client's.
type HydraStats struct {
	// LoginPages counts login forms rendered, again after a failed attempt
	// too.
	LoginPages int64
	// Logins counts login form posts: OK those hydra accepted, Failed the
	// others (a bad CSRF token, an unknown user, a wrong password, hydra
	// refusing).
	Logins Outcome
	// LoginsSkipped counts login requests hydra said to skip (it knew the
	// browser's session), accepted without a form.
	LoginsSkipped int64
	// ConsentPages counts consent forms rendered.
	ConsentPages int64
	// Consents counts consent form posts: OK approved and accepted by
	// hydra, Failed denied, or refused.
	Consents Outcome
	// ConsentsSkipped counts consent requests accepted without a form: a
	// client with skip_consent, or a consent hydra remembered.
	ConsentsSkipped int64
	// Logouts counts logout requests accepted (and, unless
	// HydraOptions.KeepTokensOnLogout, the tokens revoked): OK, or Failed.
	Logouts Outcome
}

// Outcome counts the requests of one kind that the app accepted and those
// it did not. (internal/oidctest has a type like it for its providers; that
// package is a module of its own, which the root module does not require.)
type Outcome struct {
	// OK counts the requests accepted; Failed the others.
	OK, Failed int64
}

// counter is the live form of an Outcome, safe for concurrent use.
type counter struct{ ok, failed atomic.Int64 }

// Count counts one request: accepted if ok, else failed.
func (c *counter) Count(ok bool) {
	if ok {
		c.ok.Add(1)
		return
	}
	c.failed.Add(1)
}

// Load returns the counts so far.
func (c *counter) Load() Outcome { return Outcome{OK: c.ok.Load(), Failed: c.failed.Load()} }

// consentApp is hydra's login, consent and logout UI, following hydra's
// documented flow: each page reads its request from the admin API by its
// challenge and accepts (or rejects) it there, then sends the browser to
// the redirect_to hydra answers.
//
// The login page holds two forms, a search form first and the login form
// (id login-form): hidden inputs challenge and csrf, a text input named
// login (not username) and a password input. The csrf input must match the
// cookie barrage_csrf (double submit). The consent form (id consent-form)
// has the same hidden inputs and two buttons named action: approve (first,
// the default button) and deny; a post without action approves, as
// Keycloak's consent form does. Logout is accepted at once.
type consentApp struct {
	admin  *hydraAdmin
	revoke bool

	loginPages, loginsSkipped, consentPages, consentsSkipped atomic.Int64
	logins, consents, logouts                                counter
}

func newConsentApp(t testing.TB, ln net.Listener, admin *hydraAdmin, revoke bool) *consentApp {
	a := &consentApp{admin: admin, revoke: revoke}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /consent", a.consentPage)
	mux.HandleFunc("POST /consent", a.consent)
	mux.HandleFunc("GET /logout", a.logout)
	mux.HandleFunc("GET /error", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "hydra error: "+r.URL.Query().Get("error")+": "+r.URL.Query().Get("error_description"), http.StatusBadRequest)
	})
	serve(t, ln, mux)
	return a
}

func (a *consentApp) stats() HydraStats {
	return HydraStats{LoginPages: a.loginPages.Load(), Logins: a.logins.Load(), LoginsSkipped: a.loginsSkipped.Load(),
		ConsentPages: a.consentPages.Load(), Consents: a.consents.Load(), ConsentsSkipped: a.consentsSkipped.Load(),
		Logouts: a.logouts.Load()}
}

// hydraRequest is the part of a login, consent or logout request the app
// reads.
type hydraRequest struct {
	Skip           bool     `json:"skip"`
	Subject        string   `json:"subject"`
	RequestedScope []string `json:"requested_scope"`
	Audience       []string `json:"requested_access_token_audience"`
	Client         struct {
		ID          string `json:"client_id"`
		SkipConsent bool   `json:"skip_consent"`
	} `json:"client"`
}

// request reads a login, consent or logout request (kind) by its challenge.
func (a *consentApp) request(kind, challenge string) (*hydraRequest, error) {
	var req hydraRequest
	err := a.admin.do(http.MethodGet, "/admin/oauth2/auth/requests/"+kind, url.Values{kind + "_challenge": {challenge}}, nil, &req)
	return &req, err
}

// pending reads the request (kind) whose challenge the URL carries, as
// hydra sends the browser to a page; if hydra does not give it, it answers
// 400 and returns nil.
func (a *consentApp) pending(w http.ResponseWriter, r *http.Request, kind string) (string, *hydraRequest) {
	challenge := r.URL.Query().Get(kind + "_challenge")
	req, err := a.request(kind, challenge)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return challenge, nil
	}
	return challenge, req
}

// decide accepts or rejects a request (kind, challenge) with body and sends
// the browser where hydra says; it reports whether hydra took the decision.
func (a *consentApp) decide(w http.ResponseWriter, r *http.Request, kind, verb, challenge string, body any) bool {
	var to struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := a.admin.do(http.MethodPut, "/admin/oauth2/auth/requests/"+kind+"/"+verb,
		url.Values{kind + "_challenge": {challenge}}, body, &to); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return false
	}
	http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	return true
}

func (a *consentApp) loginPage(w http.ResponseWriter, r *http.Request) {
	challenge, req := a.pending(w, r, "login")
	if req == nil {
		return
	}
	if req.Skip {
		if a.acceptLogin(w, r, challenge, req.Subject) {
			a.loginsSkipped.Add(1)
		}
		return
	}
	a.loginPages.Add(1)
	render(w, http.StatusOK, loginHTML, page{Challenge: challenge, CSRF: newCSRF(w)})
}

func (a *consentApp) login(w http.ResponseWriter, r *http.Request) {
	challenge, user := r.PostFormValue("challenge"), r.PostFormValue("login")
	switch {
	case !csrfOK(r):
		a.logins.Count(false)
		http.Error(w, "the csrf input does not match the cookie "+csrfCookie, http.StatusForbidden)
	case !userOK(user, r.PostFormValue("password")):
		a.logins.Count(false)
		a.loginPages.Add(1)
		render(w, http.StatusUnauthorized, loginHTML, page{Challenge: challenge, CSRF: newCSRF(w), Error: "Invalid login or password."})
	default:
		a.logins.Count(a.acceptLogin(w, r, challenge, user))
	}
}

// acceptLogin accepts a login for subject, remembered: hydra keeps the
// session, which RP-initiated logout needs (it ends remembered sessions
// only).
func (a *consentApp) acceptLogin(w http.ResponseWriter, r *http.Request, challenge, subject string) bool {
	return a.decide(w, r, "login", "accept", challenge, map[string]any{"subject": subject, "remember": true, "remember_for": 3600})
}

// userOK checks user and password against the table user-N / pass-N, N in
// 1 … HydraUsers.
func userOK(user, password string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(user, "user-"))
	return err == nil && strings.HasPrefix(user, "user-") && n >= 1 && n <= HydraUsers && password == "pass-"+strconv.Itoa(n)
}

func (a *consentApp) consentPage(w http.ResponseWriter, r *http.Request) {
	challenge, req := a.pending(w, r, "consent")
	if req == nil {
		return
	}
	if req.Skip || req.Client.SkipConsent {
		if a.acceptConsent(w, r, challenge, req) {
			a.consentsSkipped.Add(1)
		}
		return
	}
	a.consentPages.Add(1)
	render(w, http.StatusOK, consentHTML, page{Challenge: challenge, CSRF: newCSRF(w), Client: req.Client.ID,
		Scopes: req.RequestedScope})
}

func (a *consentApp) consent(w http.ResponseWriter, r *http.Request) {
	challenge := r.PostFormValue("challenge")
	if !csrfOK(r) {
		a.consents.Count(false)
		http.Error(w, "the csrf input does not match the cookie "+csrfCookie, http.StatusForbidden)
		return
	}
	if r.PostFormValue("action") == "deny" {
		a.consents.Count(false)
		a.decide(w, r, "consent", "reject", challenge, map[string]any{"error": "access_denied",
			"error_description": "The user denied the request."})
		return
	}
	req, err := a.request("consent", challenge)
	if err != nil {
		a.consents.Count(false)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.consents.Count(a.acceptConsent(w, r, challenge, req))
}

// acceptConsent grants what was asked, not remembered: every login shows
// the consent form again.
func (a *consentApp) acceptConsent(w http.ResponseWriter, r *http.Request, challenge string, req *hydraRequest) bool {
	return a.decide(w, r, "consent", "accept", challenge, map[string]any{"grant_scope": req.RequestedScope,
		"grant_access_token_audience": req.Audience, "remember": false})
}

// logout accepts a logout request and, with revoke, revokes the subject's
// consent to the client, and with it the tokens hydra issued them.
func (a *consentApp) logout(w http.ResponseWriter, r *http.Request) {
	challenge, req := a.pending(w, r, "logout")
	if req == nil {
		a.logouts.Count(false)
		return
	}
	if a.revoke {
		q := url.Values{"subject": {req.Subject}, "client": {req.Client.ID}}
		if req.Client.ID == "" { // logout without id_token_hint: every client
			q = url.Values{"subject": {req.Subject}, "all": {"true"}}
		}
		if err := a.admin.do(http.MethodDelete, "/admin/oauth2/auth/sessions/consent", q, nil, nil); err != nil {
			a.logouts.Count(false)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	a.logouts.Count(a.decide(w, r, "logout", "accept", challenge, nil))
}

// csrfCookie holds the login and consent forms' csrf token.
const csrfCookie = "barrage_csrf"

// newCSRF sets a fresh token in the cookie and returns it for the form.
func newCSRF(w http.ResponseWriter) string {
	b := make([]byte, 18)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return tok
}

// csrfOK reports whether the form's csrf input matches the cookie.
func csrfOK(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	form := r.PostFormValue("csrf")
	return err == nil && form != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) == 1
}

// page is what the templates show.
type page struct {
	Challenge, CSRF, Error, Client string
	Scopes                         []string
}

func render(w http.ResponseWriter, status int, t *template.Template, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, p); err != nil {
		fmt.Fprintf(w, "<!-- %s -->", template.HTMLEscapeString(err.Error()))
	}
}

var loginHTML = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<header><form id="search" action="/search" method="get"><input type="search" name="q" value=""><button type="submit">Search</button></form></header>
<main>
<h1>Sign in</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form id="login-form" action="/login" method="post">
<input type="hidden" name="challenge" value="{{.Challenge}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="login">Login</label> <input id="login" type="text" name="login" autocomplete="username" value="">
<label for="password">Password</label> <input id="password" type="password" name="password" autocomplete="current-password">
<button type="submit" name="action" value="sign-in">Sign in</button>
</form>
</main>
</body></html>
`))

var consentHTML = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Allow access</title></head>
<body>
<h1>{{.Client}} asks for access</h1>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form id="consent-form" action="/consent" method="post">
<input type="hidden" name="challenge" value="{{.Challenge}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" name="action" value="approve">Allow access</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
</body></html>
`))
