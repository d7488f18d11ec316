package journey

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"time"

	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/scenario"
)

// This file is the iterations' HTTP/1.1 client on the engine's lean path
// (engine.H1Conn): a request serialized into a reused buffer and written
// once, its response parsed in place, the fields the steps read (Location,
// Set-Cookie for the jar, the headers extractors name) and the body when
// something reads it kept, the rest discarded. It does what the net/http
// client with a cookie jar did for the journeys before it (run.go keeps
// that client for HTTP/2, Options.HTTP2):
//
//   - one connection per endpoint (scheme, host and port), dialed through
//     the engine (Iteration.Dial), TLS over it for https with the
//     journey's verification, no ALPN; closed when the iteration ends, or
//     kept by the in-flight slot with ConnectionShared;
//   - a request that fails on a reused connection before any byte of an
//     answer goes again once on a new one (the server closed it idle);
//   - the iteration's cookies (jar.go) sent and stored on every request,
//     redirects included;
//   - a step with follow_redirects follows up to 10 redirects as net/http
//     does: 301, 302 and 303 as a GET without the body (HEAD stays HEAD),
//     307 and 308 with the method and body; Authorization and Cookie
//     dropped for another domain; a Referer; each Location's host checked
//     against the allow-list first. The step records the last answer.
//
// A request's deadline is its send plus the iteration's timeout (a
// followed chain shares it); aborting the run cuts every connection off at
// once (its class is then canceled, as with net/http's context).

// keptFields is how many kept header values (Location, Set-Cookie, named
// headers) a response may carry before the rest are dropped.
const keptFields = 64

// lean is the lean client of an in-flight slot: its open connections and
// buffers, reused by each iteration the slot runs.
type lean struct {
	j      *Journey
	it     *engine.Iteration
	ctx    context.Context
	conns  []*leanConn
	spare  []*leanConn // closed connections, their buffers kept
	tls    map[string]*tls.Config
	jar    jar
	iter   iteration   // the slot's iteration, reused
	out    leanOut     // a step's request
	ans    leanAnswer  // the last answer
	res    response    // a step's answer, for its extractors
	req    []byte      // the request being written
	pay    []byte      // a step's rendered body
	val    []byte      // a rendered header value
	ck     []byte      // the Cookie header's value
	cookie []byte      // a step's own Cookie header's value
	hdr    http.Header // the kept fields of the last answer
	all    bool        // keep every field (a debug dump)
}

// leanConn is an open connection to one endpoint.
type leanConn struct {
	scheme, host string // of the URL it was dialed for
	h            *engine.H1Conn
	stop         func() bool // ends the watch that cuts the connection off on abort
}

// leanFor returns the lean client of it's slot, ready for the iteration.
func (j *Journey) leanFor(ctx context.Context, it *engine.Iteration) *lean {
	j.mu.Lock()
	l := j.lean[it.Slot]
	if l == nil {
		l = &lean{j: j, tls: map[string]*tls.Config{}, hdr: http.Header{}}
		j.lean[it.Slot] = l
	}
	j.mu.Unlock()
	l.it, l.ctx = it, ctx
	l.jar.reset()
	return l
}

// done ends an iteration: its connections are closed unless the slot keeps
// them (ConnectionShared).
func (l *lean) done() {
	if !l.j.shared {
		l.closeAll()
	}
	l.it, l.iter.it = nil, nil // the engine reuses it
}

func (l *lean) closeAll() {
	for _, c := range l.conns {
		l.release(c)
	}
	l.conns = l.conns[:0]
}

// release closes c, keeping its buffers.
func (l *lean) release(c *leanConn) {
	c.stop()
	c.h.Conn().Close()
	c.h.Reset(nil)
	l.spare = append(l.spare, c)
}

// drop closes connection i.
func (l *lean) drop(i int) {
	l.release(l.conns[i])
	l.conns = append(l.conns[:i], l.conns[i+1:]...)
}

// conn returns the open connection to u's endpoint, dialing one by
// deadline if there is none.
func (l *lean) conn(u *url.URL, deadline time.Time) (int, error) {
	for i, c := range l.conns {
		if c.host == u.Host && c.scheme == u.Scheme {
			return i, nil
		}
	}
	ctx, cancel := context.WithDeadline(l.ctx, deadline)
	defer cancel()
	addr := hostPort(u)
	nc, err := l.it.Dial(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	if u.Scheme == "https" {
		name := u.Hostname()
		cfg := l.tls[name]
		if cfg == nil {
			cfg = &tls.Config{ServerName: name, InsecureSkipVerify: l.j.opts.Insecure}
			l.tls[name] = cfg
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return 0, err
		}
		nc = tc
	}
	var c *leanConn
	if n := len(l.spare); n > 0 {
		c = l.spare[n-1]
		l.spare = l.spare[:n-1]
		c.h.Reset(nc)
	} else {
		c = &leanConn{h: engine.NewH1Conn(nc)}
	}
	c.scheme, c.host = u.Scheme, u.Host
	c.stop = context.AfterFunc(l.ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	l.conns = append(l.conns, c)
	return len(l.conns) - 1, nil
}

// leanOut is a request for the lean client: a step's (its headers rendered
// from s with v) or a hop of a login's chain (s nil).
type leanOut struct {
	method  string
	url     *url.URL
	s       *step
	v       *scenario.Vars
	payload []byte
	form    bool   // the payload is a form: Content-Type application/x-www-form-urlencoded
	origin  string // an Origin header
	follow  bool   // follow redirects, as a step with follow_redirects
}

// leanAnswer is what the lean client got: the last answer's status, kept
// fields and body (the client's buffers, valid until its next request), its
// URL, and the body's length.
type leanAnswer struct {
	status    int
	header    http.Header
	body      []byte
	url       *url.URL
	bodyBytes int64
}

// errTooManyRedirects is net/http's limit of 10 redirects.
var errTooManyRedirects = errors.New("stopped after 10 redirects")

// do sends o, by deadline, keeping up to MaxBody of the answer's body when
// read is set, and follows redirects if o says so. debug dumps the
// exchange (the first request of a chain), showing shown for the payload
// if not nil.
func (l *lean) do(o *leanOut, deadline time.Time, read, debug bool, shown []byte, name string) (*leanAnswer, error) {
	l.all = debug
	defer func() { l.all = false }()
	first, u, method, body := o.url, o.url, o.method, o.payload
	strip, withBody := false, true
	var referer string
	for sent := 1; ; sent++ {
		res, err := l.roundTrip(o, method, u, body, strip, !withBody, referer, deadline, read || debug)
		if debug {
			l.dump(name, o, method, u, body, shown, res, err)
			debug, l.all = false, false
		}
		if err != nil || !o.follow {
			return res, err
		}
		next := method
		switch res.status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
			if method != http.MethodGet && method != http.MethodHead {
				next = http.MethodGet
			}
			withBody = false
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return res, nil
		}
		loc := res.header.Get("Location")
		if loc == "" {
			return res, nil
		}
		nu, err := u.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("failed to parse Location header %q: %v", loc, err)
		}
		if !strip && first.Host != nu.Host && !domainOrSubdomain(nu.Hostname(), first.Hostname()) {
			strip = true
		}
		referer = ""
		if u.Scheme != "https" || nu.Scheme != "http" {
			ru := *u
			ru.User = nil
			referer = ru.String()
		}
		if err := l.j.opts.Guard.Host(nu.Hostname()); err != nil {
			return nil, fmt.Errorf("redirect: %w", err)
		}
		if sent >= 10 {
			return nil, errTooManyRedirects
		}
		method, u = next, nu
		if !withBody {
			body = nil
		}
	}
}

// roundTrip sends one request of o: method to u with body, the step's
// headers (without Authorization and Cookie when strip is set, without
// Content-Type when noBodyHeaders), a Referer if not empty, and the jar's
// cookies. A request that fails on a reused connection before any byte of
// its answer goes again once, on a new connection.
func (l *lean) roundTrip(o *leanOut, method string, u *url.URL, body []byte, strip, noBodyHeaders bool,
	referer string, deadline time.Time, read bool) (*leanAnswer, error) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("http: no Host in request URL")
	}
	if err := l.serialize(o, method, u, body, strip, noBodyHeaders, referer); err != nil {
		return nil, err
	}
	limit := 0
	if read {
		limit = MaxBody
	}
	for retried := false; ; retried = true {
		i, err := l.conn(u, deadline)
		if err != nil {
			return nil, l.cause(err)
		}
		c := l.conns[i]
		if err := c.h.Conn().SetDeadline(deadline); err != nil {
			l.drop(i)
			return nil, l.cause(err)
		}
		res, err := c.h.RoundTrip(l.req, method == http.MethodHead, limit)
		if err != nil {
			stale := !retried && c.h.Stale(err, res)
			l.drop(i)
			if stale {
				continue
			}
			if res.Status == 0 {
				return nil, l.cause(err)
			}
			// The body failed: net/http had the status.
			l.ans = leanAnswer{status: res.Status, url: u, bodyBytes: res.BodyBytes}
			return &l.ans, l.cause(err)
		}
		l.ans = leanAnswer{status: res.Status, body: res.Body, url: u, bodyBytes: res.BodyBytes}
		a := &l.ans
		a.header = l.fields(&res, u)
		if !res.KeepAlive {
			l.drop(i)
		}
		return a, nil
	}
}

// cause is err, or the run's end when the run was aborted (the connection
// was cut off): net/http's request context said canceled.
func (l *lean) cause(err error) error {
	if cerr := l.ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// fields stores the answer's cookies in the jar and returns the fields the
// journey reads (all of them for a debug dump).
func (l *lean) fields(res *engine.H1Response, u *url.URL) http.Header {
	h := l.hdr
	if l.all {
		h = http.Header{}
	}
	for k, vs := range h {
		h[k] = vs[:0]
	}
	now, n := time.Now(), 0
	for name, value := range res.Fields {
		cookie := equalFold(name, "Set-Cookie")
		if cookie {
			l.jar.set(u, string(value), now)
		}
		key := ""
		switch {
		case l.all:
			key = textproto.CanonicalMIMEHeaderKey(string(name))
		case cookie && l.j.keepCookies:
			key = "Set-Cookie"
		case equalFold(name, "Location"):
			key = "Location"
		default:
			for _, k := range l.j.keepHeaders {
				if equalFold(name, k) {
					key = k
					break
				}
			}
		}
		if key != "" && n < keptFields {
			h[key] = append(h[key], string(value))
			n++
		}
	}
	return h
}

// leanSend sends step s, method to u, on the lean client; err is why the
// request cannot be made.
func (r *iteration) leanSend(s *step, method string, u *url.URL, err error) (engine.Step, *response, error) {
	l := r.lean
	rec := engine.Step{}
	var payload []byte
	switch {
	case s.body != nil:
		l.pay = s.body.Append(l.pay[:0], r.v)
		payload = l.pay
	case len(s.form) > 0:
		l.pay = appendForm(l.pay[:0], s, r.v, &r.buf)
		payload = l.pay
	}
	rec.Sent = time.Now()
	if err != nil {
		rec.End, rec.Err = rec.Sent, err
		return rec, nil, err
	}
	l.out = leanOut{method: method, url: u, s: s, v: r.v, payload: payload, form: len(s.form) > 0, follow: s.follow}
	a, err := r.leanExchange(&l.out, nil, s.name, len(s.extract) > 0, &rec)
	if err != nil {
		return rec, nil, err
	}
	l.res = response{Response: scenario.Response{Status: a.status, Header: a.header, Body: a.body}, url: a.url}
	return rec, &l.res, nil
}

// leanExchange sends o on the lean client for the step named name and
// reads its answer into rec as exchange does.
func (r *iteration) leanExchange(o *leanOut, shown []byte, name string, read bool, rec *engine.Step) (*leanAnswer, error) {
	rec.BytesOut += int64(len(o.payload))
	a, err := r.lean.do(o, time.Now().Add(r.it.Timeout), read, r.j.opts.Debug.take(), shown, name)
	rec.End = time.Now()
	if a != nil {
		rec.Status = a.status
		rec.BytesIn += a.bodyBytes
	}
	if err != nil {
		rec.Err = err
		return nil, err
	}
	return a, nil
}
