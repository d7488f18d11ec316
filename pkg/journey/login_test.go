package journey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/internal/journeytest"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// browserIdP is a provider whose login is what a browser copes with and a
// form-filler does not: the authorization endpoint answers 303 with a
// relative Location and a cookie the later pages require; the login is in
// two steps (a user-name page whose post is redirected with 307, body and
// all, to the password page; the password page's post 302 to a consent
// page); every form carries a CSRF token bound to the cookie; the consent
// page has a refusing form before the accepting one. Its refresh tokens
// never die, and its logout is a 200 that ends nothing.
type browserIdP struct {
	*httptest.Server
	redirect string // where /authorize sends the browser, if not to the login
	mu       sync.Mutex
	reqs     map[string]url.Values // authorization requests by id
	codes    map[string]url.Values // issued codes → their requests
	logins   atomic.Int64          // passwords accepted
	consents atomic.Int64          // consents given
	refused  atomic.Int64          // consents refused
	tokens   atomic.Int64          // codes exchanged
	logouts  atomic.Int64
}

func newBrowserIdP(t *testing.T) *browserIdP {
	p := &browserIdP{reqs: map[string]url.Values{}, codes: map[string]url.Values{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *browserIdP) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	sid, _ := r.Cookie("sid")
	req := func() (string, url.Values) { // the authorization request of the page, checked
		id := r.Form.Get("req")
		p.mu.Lock()
		defer p.mu.Unlock()
		ar := p.reqs[id]
		if ar == nil || sid == nil || ar.Get("sid") != sid.Value ||
			r.Method == http.MethodPost && r.PostForm.Get("csrf") != "c-"+sid.Value {
			return "", nil
		}
		return id, ar
	}
	page := func(body string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!DOCTYPE html><html><body>%s</body></html>", body)
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize",
			"token_endpoint": p.URL + "/token", "end_session_endpoint": p.URL + "/logout",
			"scopes_supported": []string{"openid", "offline_access"}})
	case "/authorize":
		if p.redirect != "" {
			http.Redirect(w, r, p.redirect, http.StatusFound)
			return
		}
		id, s := rand.Text(), rand.Text()
		ar := r.URL.Query()
		ar.Set("sid", s)
		p.mu.Lock()
		p.reqs[id] = ar
		p.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: s, Path: "/"})
		w.Header().Set("Location", "u/identifier?req="+id) // relative to /authorize
		w.WriteHeader(http.StatusSeeOther)
	case "/u/identifier":
		id, ar := req()
		switch {
		case ar == nil:
			http.Error(w, "no such request", http.StatusBadRequest)
		case r.Method == http.MethodGet:
			page(`<form method="post"><input type="hidden" name="req" value="` + id + `"><input type="hidden" name="csrf" value="c-` +
				sid.Value + `"><input name="identifier" autocomplete="username"><button type="submit">Continue</button></form>`)
		default: // the user name goes on to the password page, posted again
			http.Redirect(w, r, "/u/password?req="+id, http.StatusTemporaryRedirect)
		}
	case "/u/password":
		id, ar := req()
		if ar == nil || r.Method != http.MethodPost || r.PostForm.Get("identifier") == "" {
			http.Error(w, "no user", http.StatusBadRequest)
			return
		}
		user := html.EscapeString(r.PostForm.Get("identifier"))
		page(`<form method="post" action="/u/password/check"><input type="hidden" name="req" value="` + id +
			`"><input type="hidden" name="csrf" value="c-` + sid.Value + `"><input type="hidden" name="identifier" value="` + user +
			`"><input type="password" name="secret"><input type="submit" value="Sign in"></form>`)
	case "/u/password/check":
		id, ar := req()
		if ar == nil || r.PostForm.Get("secret") != strings.Replace(r.PostForm.Get("identifier"), "user-", "pass-", 1) {
			http.Redirect(w, r, "/u/identifier?req="+id, http.StatusFound) // start again: a browser would loop here
			return
		}
		p.logins.Add(1)
		http.Redirect(w, r, "/consent?req="+id, http.StatusFound)
	case "/consent":
		id, ar := req()
		switch {
		case ar == nil:
			http.Error(w, "no such request", http.StatusBadRequest)
		case r.Method == http.MethodGet:
			form := `<form method="post"><input type="hidden" name="req" value="` + id + `"><input type="hidden" name="csrf" value="c-` +
				sid.Value + `"><input type="hidden" name="decision" value="%s"><button type="submit">%s</button></form>`
			page(fmt.Sprintf(form, "reject", "Cancel") + fmt.Sprintf(form, "approve", "Allow"))
		case r.PostForm.Get("decision") != "approve":
			p.refused.Add(1)
			http.Redirect(w, r, ar.Get("redirect_uri")+"?error=access_denied&state="+url.QueryEscape(ar.Get("state")), http.StatusFound)
		default:
			p.consents.Add(1)
			code := rand.Text()
			p.mu.Lock()
			p.codes[code] = ar
			p.mu.Unlock()
			http.Redirect(w, r, ar.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(ar.Get("state"))+
				"&iss="+url.QueryEscape(p.URL), http.StatusFound)
		}
	case "/token":
		switch r.PostForm.Get("grant_type") {
		case "authorization_code":
			p.mu.Lock()
			ar := p.codes[r.PostForm.Get("code")]
			delete(p.codes, r.PostForm.Get("code"))
			p.mu.Unlock()
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if ar == nil || base64.RawURLEncoding.EncodeToString(sum[:]) != ar.Get("code_challenge") {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			p.tokens.Add(1)
		case "refresh_token":
		default:
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"access_token":"at-%s","refresh_token":"rt-%s","id_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"}`, rand.Text(), rand.Text())
	case "/logout":
		p.logouts.Add(1)
		fmt.Fprint(w, "You are logged out.") // and nothing ended
	default:
		http.NotFound(w, r)
	}
}

// TestBrowserLogin runs the browser login against browserIdP: each row
// one way the chain goes, with the requests of each step per iteration,
// and how the iterations end.
func TestBrowserLogin(t *testing.T) {
	evil := guardtest.Listen(t, "127.0.0.2")
	flow := func(change func(*events.Flow)) events.Flow {
		f := events.Flow{Grant: events.GrantAuthorizationCode, ClientID: "app", Scope: "openid",
			RedirectURI: "http://127.0.0.1:9/callback"}
		if change != nil {
			change(&f)
		}
		return f
	}
	tests := []struct {
		name     string
		flow     events.Flow
		redirect string // where the provider's /authorize sends the browser instead
		guard    hostguard.Guard
		steps    map[string]int64 // requests per iteration
		detail   string           // how every iteration ends ("" passes)
		check    func(t *testing.T, p *browserIdP, n int64)
	}{
		// 303 and a relative Location to the user-name page (2 requests);
		// its post, redirected with 307 to the password page, the
		// password's post, 302 to the consent page (4); the consent's post,
		// 302 to the client (1); the code exchange; a refresh; the logout.
		{name: "two-step login and consent", flow: flow(func(f *events.Flow) {
			f.Refreshes, f.Logout = 1, events.Logout{Enabled: true}
		}), steps: map[string]int64{"login/authorize": 2, "login/form": 4, "login/consent": 1, "login/token": 1, "refresh": 1, "logout": 1},
			check: func(t *testing.T, p *browserIdP, n int64) {
				if p.logins.Load() != n || p.consents.Load() != n || p.refused.Load() != 0 || p.tokens.Load() != n || p.logouts.Load() != n {
					t.Errorf("logins %d, consents %d (%d refused), codes exchanged %d, logouts %d; want %d each",
						p.logins.Load(), p.consents.Load(), p.refused.Load(), p.tokens.Load(), p.logouts.Load(), n)
				}
			}},
		// consent: fail ends the iteration at the consent page.
		{name: "consent: fail", flow: flow(func(f *events.Flow) { f.Consent = events.ConsentFail }),
			steps:  map[string]int64{"login/authorize": 2, "login/form": 4, "login/consent": 0, "login/token": 0},
			detail: "unexpected_status login/form: 200 (a consent page; consent: fail)"},
		// A wrong password: the chain comes back to the user-name page.
		{name: "wrong password", flow: flow(nil), steps: map[string]int64{"login/authorize": 2, "login/form": 4},
			detail: "unexpected_status login/form: 200 (no redirect to the redirect_uri)"},
		// A provider whose logout ends nothing, found out by verify.
		{name: "logout not effective", flow: flow(func(f *events.Flow) { f.Logout = events.Logout{Enabled: true, Verify: true} }),
			steps:  map[string]int64{"login/token": 1, "logout": 1, "logout/verify": 1},
			detail: "unexpected_status logout/verify: logout_not_effective"},
		// A redirect to a host off the allow-list is refused before it is
		// followed.
		{name: "redirect off the allow-list", flow: flow(nil), redirect: evil.URL + "/login",
			guard: hostguard.Guard{Allow: [][]string{{"127.0.0.1"}}}, steps: map[string]int64{"login/authorize": 1},
			detail: "forbidden_host not_allowed"},
		// A redirect loop ends after MaxChainRequests.
		{name: "redirect loop", flow: flow(nil), redirect: "/authorize", steps: map[string]int64{"login/authorize": MaxChainRequests},
			detail: fmt.Sprintf("unexpected_status login/authorize: 302 (more than %d requests)", MaxChainRequests)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBrowserIdP(t)
			p.redirect = tt.redirect
			tt.flow.Issuer = p.URL
			users := &events.UsersData{Count: 100, Start: 1}
			if tt.name == "wrong password" {
				users.PasswordPattern = "wrong-{n}"
			}
			sc := events.Scenario{Name: "b", Flow: &tt.flow, Users: users}
			if err := (&events.RunSpec{Scenarios: []events.Scenario{sc}}).Validate(); err != nil {
				t.Fatal(err)
			}
			j, err := Compile(sc, Options{Guard: tt.guard})
			if err != nil {
				t.Fatal(err)
			}
			tg := journeytest.Targets(journeytest.Run(t, j, 10, 500*time.Millisecond))
			n := journeytest.Sent(t, tg, "b", 5)
			c := tg["b"].Counts
			switch {
			case tt.detail == "" && c.Success != n:
				t.Errorf("iterations %+v; want all successful", c)
			case tt.detail != "" && c.ErrorDetails[tt.detail] != n:
				t.Errorf("iterations %+v; want each to end with %q", c, tt.detail)
			}
			for step, per := range tt.steps {
				if got := tg["b/"+step].Counts.Requests; got != per*n {
					t.Errorf("%s: %d requests; want %d per iteration (%d)", step, got, per, per*n)
				}
			}
			if tt.check != nil {
				tt.check(t, p, n)
			}
		})
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host off the allow-list accepted %d connections; want 0", n)
	}
}

// TestDebugRedactsLogin: --debug shows a browser login's and a logout's
// requests, one dump each, without the ID token (as id_token_hint), the
// code, the state, the nonce, the password or the PKCE verifier.
func TestDebugRedactsLogin(t *testing.T) {
	p := newBrowserIdP(t)
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
	dbg := NewDebug(w, 100, nil)
	sc := events.Scenario{Name: "b", Users: &events.UsersData{Count: 100, Start: 1}, Flow: &events.Flow{
		Grant: events.GrantAuthorizationCode, Issuer: p.URL, ClientID: "app", RedirectURI: "http://127.0.0.1:9/callback",
		Logout: events.Logout{Enabled: true}}}
	j, err := Compile(sc, Options{Debug: dbg})
	if err != nil {
		t.Fatal(err)
	}
	tg := journeytest.Targets(journeytest.Run(t, j, 4, 500*time.Millisecond))
	if n := journeytest.Sent(t, tg, "b", 2); tg["b"].Counts.Success != n {
		t.Fatalf("iterations %+v", tg["b"].Counts)
	}
	mu.Lock()
	dump := out.String()
	mu.Unlock()
	for _, want := range []string{"--- b/login/authorize\n> GET " + p.URL + "/authorize?", "--- b/login/form\n> POST ",
		"--- b/login/consent\n> POST ", "--- b/logout\n> GET " + p.URL + "/logout?", "id_token_hint=[REDACTED]", "state=[REDACTED]",
		"nonce=[REDACTED]", "code=[REDACTED]", "code_verifier=[REDACTED]", "secret=[REDACTED]"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	// The ID token; the password in a field not named password.
	for _, leak := range []string{"eyJhbGciOiJub25lIn0", "pass-"} {
		if strings.Contains(dump, leak) {
			t.Errorf("dump shows %q:\n%s", leak, dump)
		}
	}
}
