package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/scenario"
	"github.com/barrage-load/barrage/pkg/secret"
)

// This file runs the flows' steps that a browser makes of several
// requests: the login, from the authorization request to the redirect to
// the client with the code, and the standard logout.
//
// A browser login follows redirects (301, 302 and 303 as a GET; 307 and
// 308 with their method and body; a relative Location against the
// request's URL; the cookies in the iteration's jar), checking the host of
// every URL a response gives (a Location, a form's action) against the
// allow-list before it sends anything there. On a page (200) it submits the
// form scenario.LoginForm picks: the login form, filled in; the first page
// of a two-step login; or a consent page, approved (consent: approve) or
// not (consent: fail). It stops at the redirect to the redirect_uri, which
// it never requests, and reads code and state from the Location. Each part
// of the chain is one step of the report, its requests (redirects too) its
// requests, its latency from its due time to the end of its last request:
//
//	login/authorize  the authorization request, to the first page with a form
//	login/form       the login form's post (with a two-step login's pages), to the next page with another kind of form or to the redirect_uri
//	login/consent    a consent page's post, to the redirect_uri
//
// An iteration whose chain ends elsewhere fails with the step and what it
// got: "login/form: 200 (no redirect to the redirect_uri)" (the login form
// again: a wrong password), "login/authorize: 400", "login/authorize: 200
// (no login form)".

// MaxChainRequests bounds the requests of one login's or logout's chain.
const MaxChainRequests = 20

// noRedirects makes a client return a redirect rather than follow it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// chain is one recorded step made of requests that follow one another.
type chain struct {
	r    *iteration
	id   int // the step, in Steps
	name string
	rec  engine.Step
	n    int // requests sent
}

func (r *iteration) chain(id int, due time.Time) *chain {
	return &chain{r: r, id: id, name: r.j.stepIDs[id], rec: engine.Step{Due: due}}
}

// hop is a request of a chain.
type hop struct {
	method string
	url    *url.URL
	form   string // the body of a POST, form-encoded
	shown  string // the form as a debug dump shows it: the password hidden
	origin string // of the page whose form is posted
}

// answer is what a hop got; its body is the iteration's buffer.
type answer struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

// send sends h, recording it in the chain's step, and reads up to
// MaxBody of the answer's body.
func (c *chain) send(h hop) (*answer, error) {
	r := c.r
	if c.n > 0 {
		c.rec.Hops = append(c.rec.Hops, c.rec.Status)
	}
	c.n++
	var payload, shown []byte
	if h.method == http.MethodPost {
		payload = []byte(h.form)
		if h.shown != "" {
			shown = []byte(h.shown)
		}
	}
	if r.lean != nil {
		if c.n == 1 {
			c.rec.Sent = time.Now()
		}
		c.rec.Status = 0
		o := leanOut{method: h.method, url: h.url, payload: payload, form: payload != nil, origin: h.origin}
		a, err := r.leanExchange(&o, shown, c.name, true, &c.rec)
		if err != nil {
			return nil, err
		}
		return &answer{status: a.status, header: a.header, body: a.body, url: a.url}, nil
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.it.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, h.method, h.url.String(), bytesReader(payload))
	now := time.Now()
	if c.n == 1 {
		c.rec.Sent = now
	}
	c.rec.Status = 0
	if err != nil {
		c.rec.End, c.rec.Err = now, err
		return nil, err
	}
	req.Header.Set("User-Agent", engine.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if h.origin != "" {
		req.Header.Set("Origin", h.origin)
	}
	r.client.CheckRedirect = noRedirects
	res, err := r.j.exchange(r.client, req, payload, shown, c.name, true, &c.rec, &r.body)
	if err != nil {
		return nil, err
	}
	return &answer{status: res.StatusCode, header: res.Header, body: r.body, url: res.Request.URL}, nil
}

// record records the chain's step, ended by err if not nil (a transport
// error: an iteration error is the iteration's, not the request's).
func (c *chain) record(err error) time.Time {
	if err != nil && c.rec.Err == nil {
		if _, ok := err.(*engine.IterationError); !ok {
			c.rec.Err = err
		}
	}
	c.r.it.Record(c.id, c.rec)
	return c.rec.End
}

// unsent records the chain's step as a request that could not be made
// (its URL does not parse), ended by err.
func (c *chain) unsent(err error) time.Time {
	c.rec.Sent, c.rec.End, c.rec.Err = c.rec.Due, c.rec.Due, err
	return c.record(err)
}

// fail ends the iteration at the chain's step: what the step got (its
// status), and why that is not the way on.
func (c *chain) fail(why string) error {
	detail := strconv.Itoa(c.rec.Status)
	if why != "" {
		detail += " (" + why + ")"
	}
	return &engine.IterationError{Step: c.name, Class: errclass.Unexpected, Detail: detail}
}

// isRedirect reports whether status sends a browser elsewhere.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// follow returns the request a browser sends after answer a to h, a
// redirect: to its Location, resolved against h's URL, with h's method and
// body for 307 and 308, as a GET otherwise. walk checks its host.
func (r *iteration) follow(h hop, a *answer) (hop, error) {
	loc := a.header.Get("Location")
	u, err := a.url.Parse(loc)
	if loc == "" || err != nil {
		return hop{}, fmt.Errorf("no Location")
	}
	next := hop{method: http.MethodGet, url: u}
	if a.status == http.StatusTemporaryRedirect || a.status == http.StatusPermanentRedirect {
		next.method, next.form = h.method, h.form
	}
	return next, nil
}

// allowed checks the host of a URL a response gave before it is contacted.
func (r *iteration) allowed(u *url.URL) error {
	if err := r.j.opts.Guard.Host(u.Hostname()); err != nil {
		return fmt.Errorf("redirect: %w", err)
	}
	return nil
}

// submit returns the request that submits form f of page a, whose
// password, if any, is the value of the field password.
func (r *iteration) submit(a *answer, f *scenario.Form, values url.Values, password string) (hop, error) {
	u, err := a.url.Parse(f.Action)
	if err != nil {
		return hop{}, err
	}
	h := hop{method: f.Method, url: u, origin: a.url.Scheme + "://" + a.url.Host}
	if f.Method == http.MethodPost {
		h.form = values.Encode()
		if password != "" && values.Has(password) {
			values.Set(password, secret.Redacted)
			h.shown = strings.Replace(values.Encode(), url.QueryEscape(secret.Redacted), secret.Redacted, 1)
		}
	} else {
		q := *u
		q.RawQuery = values.Encode()
		h.url = &q
	}
	return h, nil
}

// sameEndpoint reports whether u is at the scheme, host, port and path of
// endpoint: a redirect to the client, whatever its query.
func sameEndpoint(u, endpoint *url.URL) bool {
	return u.Scheme == endpoint.Scheme && strings.EqualFold(u.Hostname(), endpoint.Hostname()) &&
		portOf(u) == portOf(endpoint) && strings.TrimSuffix(u.EscapedPath(), "/") == strings.TrimSuffix(endpoint.EscapedPath(), "/")
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return map[string]string{"http": "80", "https": "443"}[u.Scheme]
}

// get returns the value of variable name.
func (r *iteration) get(name string) string {
	i, ok := r.j.names.Index(name)
	if !ok {
		return ""
	}
	s, _ := r.v.Get(i)
	return s
}

// endpointURL is endpoint with the parameters q added to its query.
func endpointURL(endpoint string, q url.Values) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	all := u.Query()
	for k, vs := range q {
		all[k] = vs
	}
	u.RawQuery = all.Encode()
	return u, nil
}

// pageFunc decides what a chain does on a page (an answer that is not a
// redirect): submit a form (the request, and the step it is part of),
// stop there (done), or end the iteration (an error).
type pageFunc func(c *chain, a *answer) (next hop, part int, done bool, err error)

// walk runs a chain from request h, recorded from c on: it sends each
// request, follows redirects (each Location's host checked first) until
// one goes to stop, which it returns without requesting it, and hands
// every other answer to page. Each part of the chain is recorded as its
// step; walk returns the last, which has ended.
func (r *iteration) walk(c *chain, h hop, stop *url.URL, page pageFunc) (*chain, *url.URL, error) {
	for sent := 0; ; sent++ {
		if sent == MaxChainRequests {
			err := c.fail(fmt.Sprintf("more than %d requests", MaxChainRequests))
			c.record(err)
			return c, nil, err
		}
		a, err := c.send(h)
		if err != nil {
			c.record(err)
			return c, nil, err
		}
		var next hop
		switch {
		case isRedirect(a.status):
			if next, err = r.follow(h, a); err != nil {
				err = c.fail(err.Error())
			} else if stop != nil && sameEndpoint(next.url, stop) {
				c.record(nil)
				return c, next.url, nil
			}
		default:
			var part int
			var done bool
			next, part, done, err = page(c, a)
			if done || err != nil {
				c.record(err)
				return c, nil, err
			}
			if part != c.id {
				c.record(nil)
				c = r.chain(part, c.rec.End)
			}
		}
		if err == nil {
			err = r.allowed(next.url)
		}
		if err != nil {
			c.record(err)
			return c, nil, err
		}
		h = next
	}
}

// login runs a browser login (see the top of this file), its first
// request due at due, and sets the variable code.
func (r *iteration) login(s *step, due time.Time) (time.Time, error) {
	f := r.j.sc.Flow
	q := url.Values{"response_type": {"code"}, "client_id": {f.ClientID}, "redirect_uri": {f.RedirectURI},
		"scope": {r.get(VarScope)}, "state": {r.get(VarState)}, "nonce": {r.get(VarNonce)},
		"code_challenge": {r.get(VarPKCEChallenge)}, "code_challenge_method": {"S256"}}
	first, err := endpointURL(r.get(VarAuthorizationEndpoint), q)
	c := r.chain(s.id, due)
	if err != nil {
		return c.unsent(err), err
	}
	back, _ := url.Parse(f.RedirectURI)
	opts := scenario.LoginForm{Selector: f.FormSelector, Username: f.UsernameField, Password: f.PasswordField}
	user, password := r.get("username"), r.get("password")
	posted := map[scenario.PageKind]int{}
	c, at, err := r.walk(c, hop{method: http.MethodGet, url: first}, back, func(c *chain, a *answer) (hop, int, bool, error) {
		if a.status != http.StatusOK {
			return hop{}, 0, false, c.fail("")
		}
		form, kind := opts.Pick(scenario.ParseForms(a.body))
		part := s.ids[0] // login/form
		switch {
		case kind == scenario.NoForm && c.id == s.id:
			return hop{}, 0, false, c.fail("no login form")
		case kind == scenario.NoForm, posted[kind] > 0 && kind != scenario.ConsentPage, posted[kind] > 2:
			return hop{}, 0, false, c.fail("no redirect to the redirect_uri")
		case kind == scenario.ConsentPage && f.Consent == events.ConsentFail:
			return hop{}, 0, false, c.fail("a consent page; consent: fail")
		case kind == scenario.ConsentPage:
			part = s.ids[1] // login/consent
		}
		posted[kind]++
		next, err := r.submit(a, form, opts.Submission(form, kind, user, password), opts.PasswordName(form, kind))
		return next, part, false, err
	})
	if err == nil {
		err = r.code(c, at)
	}
	return c.rec.End, err
}

// code reads the authorization response at the redirect to the client:
// the code, unless it says error; its state must be the request's, and
// its issuer (RFC 9207) the provider's when it names one.
func (r *iteration) code(c *chain, u *url.URL) error {
	q := u.Query()
	switch {
	case q.Get("error") != "":
		return c.fail("error=" + clip40(q.Get("error")))
	case q.Get("state") != r.get(VarState):
		return c.fail("the state is not the request's")
	case q.Has("iss") && r.j.issuer != "" && q.Get("iss") != r.j.issuer:
		return c.fail("the iss is not the provider's")
	case q.Get("code") == "":
		return &engine.IterationError{Step: c.name, Class: errclass.Extract, Detail: VarCode}
	}
	r.v.Set(r.j.code, q.Get("code"))
	return nil
}

// clip40 keeps a detail from a response short, for a bounded set of
// details.
func clip40(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// logout runs the standard logout (OpenID Connect RP-Initiated Logout
// 1.0), due at due: a GET of the end_session_endpoint with id_token_hint,
// post_logout_redirect_uri, client_id and state (or a form POST of them,
// logout: {method: POST}); it follows redirects and submits confirmation
// pages (a form that asks for nothing typed, twice at most), and stops at
// the redirect to the post_logout_redirect_uri (never requested) or at a
// 200 or 204 that asks for nothing. Its requests are one step, logout.
func (r *iteration) logout(s *step, due time.Time) (time.Time, error) {
	f := r.j.sc.Flow
	q := url.Values{"client_id": {f.ClientID}, "state": {r.get(VarState)}}
	if t := r.get(VarIDToken); t != "" {
		q.Set("id_token_hint", t)
	}
	post := r.get(VarPostLogoutRedirectURI)
	if post != "" {
		q.Set("post_logout_redirect_uri", post)
	}
	c := r.chain(s.id, due)
	h := hop{method: http.MethodGet}
	var err error
	if strings.EqualFold(f.Logout.Method, http.MethodPost) {
		h.method, h.form = http.MethodPost, q.Encode()
		h.url, err = url.Parse(r.get(VarEndSessionEndpoint))
	} else {
		h.url, err = endpointURL(r.get(VarEndSessionEndpoint), q)
	}
	if err != nil {
		return c.unsent(err), err
	}
	var back *url.URL
	if post != "" {
		back, _ = url.Parse(post)
	}
	confirmed := 0
	c, _, err = r.walk(c, h, back, func(c *chain, a *answer) (hop, int, bool, error) {
		switch {
		case a.status == http.StatusNoContent:
			return hop{}, 0, true, nil
		case a.status != http.StatusOK:
			return hop{}, 0, false, c.fail("")
		}
		form, kind := (scenario.LoginForm{}).Pick(scenario.ParseForms(a.body))
		if kind != scenario.ConsentPage || confirmed == 2 {
			return hop{}, 0, true, nil // logged out, as far as a page can say
		}
		confirmed++
		next, err := r.submit(a, form, (scenario.LoginForm{}).Submission(form, kind, "", ""), "")
		return next, c.id, false, err
	})
	return c.rec.End, err
}
