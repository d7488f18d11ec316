package journey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/scenario"
)

// This file runs iterations: the HTTP client of an iteration, its steps,
// and the built-in variables. journey.go compiles them.

// Built-in variables, fresh in every iteration (computed only when a
// template uses them).
const (
	VarIteration     = "iteration"      // the run-wide arrival index
	VarUUID          = "uuid"           // a random UUID (version 4)
	VarState         = "state"          // a random OAuth state
	VarNonce         = "nonce"          // a random OpenID nonce
	VarPKCEVerifier  = "pkce_verifier"  // a random PKCE code verifier (43 characters)
	VarPKCEChallenge = "pkce_challenge" // its S256 challenge
)

var builtins = []string{VarIteration, VarUUID, VarState, VarNonce, VarPKCEVerifier, VarPKCEChallenge}

// MaxBody is how much of a response body is kept for extraction; the rest
// is read and discarded.
const MaxBody = 1 << 20

// transport makes an HTTP transport dialing through it (the engine's
// dialer, which the engine's guard checks), or without an iteration
// (discovery) through a dialer of the journey's guard.
func (j *Journey) transport(it *engine.Iteration) *http.Transport {
	if it == nil {
		return guardedTransport(&hostguard.Dialer{Guard: j.opts.Guard}, j.opts.Insecure, j.opts.HTTP2)
	}
	t := newTransport(j.opts.Insecure, j.opts.HTTP2)
	t.DialContext = it.Dial
	return t
}

// newTransport makes an HTTP transport without a dialer: TLS verified
// unless insecure, HTTP/2 offered by ALPN only with h2, no proxy.
func newTransport(insecure, h2 bool) *http.Transport {
	t := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure},
		ForceAttemptHTTP2: h2, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, TLSHandshakeTimeout: 30 * time.Second}
	if !h2 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return t
}

// client returns the iteration's HTTP client: a new transport (new
// connections) per iteration, or the slot's with ConnectionShared; a new
// cookie jar either way.
func (j *Journey) client(it *engine.Iteration) (*http.Client, func()) {
	var tr *http.Transport
	done := func() {}
	if j.shared {
		j.mu.Lock()
		tr = j.perSlot[it.Slot]
		if tr == nil {
			tr = j.transport(it)
			j.perSlot[it.Slot] = tr
		}
		j.mu.Unlock()
	} else {
		tr = j.transport(it)
		done = tr.CloseIdleConnections
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: tr, Jar: jar}, done
}

// Close closes the connections kept for ConnectionShared.
func (j *Journey) Close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, tr := range j.perSlot {
		tr.CloseIdleConnections()
	}
	for _, l := range j.lean {
		l.closeAll()
	}
}

// errStopped ends an iteration whose run ended (a request timeout past the
// end of scheduling) before its next step.
var errStopped = fmt.Errorf("journey: the run ended before the next step: %w", context.Canceled)

// iteration is what the steps of one iteration share.
type iteration struct {
	j      *Journey
	ctx    context.Context
	it     *engine.Iteration
	client *http.Client // with HTTP2; else lean
	lean   *lean
	v      *scenario.Vars
	buf    []byte
	body   []byte
	base   *url.URL // the last response's URL, for relative URLs such as a form's action
}

// Iterate implements engine.Journey.
func (j *Journey) Iterate(ctx context.Context, it *engine.Iteration) error {
	v := j.vars.Get().(*scenario.Vars)
	defer j.vars.Put(v)
	v.Reset()
	for i, c := range j.consts {
		v.Set(i, c)
	}
	if j.data != nil {
		j.data.Load(v, it.Index)
	}
	j.setBuiltins(v, it.Index)
	var r *iteration
	if j.opts.HTTP2 {
		client, done := j.client(it)
		defer done()
		r = &iteration{j: j, ctx: ctx, it: it, v: v, client: client, buf: make([]byte, 0, 512)}
	} else {
		l := j.leanFor(ctx, it)
		defer l.done()
		l.iter = iteration{j: j, ctx: ctx, it: it, v: v, lean: l, buf: l.iter.buf[:0], body: l.iter.body}
		r = &l.iter
	}
	due := it.Due
	for k := range j.steps {
		s := &j.steps[k]
		if k > 0 {
			if it.Expired() {
				return errStopped
			}
			if err := sleepUntil(ctx, due); err != nil {
				return err
			}
		}
		var end time.Time
		var err error
		switch s.kind {
		case browserLogin:
			end, err = r.login(s, due)
		case endSession:
			end, err = r.logout(s, due)
		default:
			end, err = r.step(s, due)
		}
		if err != nil {
			return err
		}
		due = end.Add(s.think)
	}
	return nil
}

// step sends step s, due at due, and reads what it extracts; it returns
// when the step ended.
func (r *iteration) step(s *step, due time.Time) (time.Time, error) {
	rec, resp, err := r.send(s)
	rec.Due = due
	refused := resp != nil && (resp.Status == http.StatusBadRequest || resp.Status == http.StatusUnauthorized)
	rec.Expected = s.refusal && refused
	r.it.Record(s.id, rec)
	switch {
	case err != nil:
		return rec.End, err
	case s.refusal && resp.Status >= 200 && resp.Status < 300:
		// The refresh token outlived the logout.
		return rec.End, &engine.IterationError{Step: s.name, Class: errclass.Unexpected, Detail: "logout_not_effective"}
	case s.refusal && !refused, !s.refusal && !s.passes(resp.Status):
		return rec.End, &engine.IterationError{Step: s.name, Class: errclass.Unexpected, Detail: strconv.Itoa(resp.Status)}
	}
	r.base = resp.url
	for _, x := range s.extract {
		if err := x.apply(resp, r.v); err != nil {
			return rec.End, &engine.IterationError{Step: s.name, Class: errclass.Extract, Detail: x.detail()}
		}
	}
	return rec.End, nil
}

// send renders and sends step s, reading up to MaxBody of the answer.
func (r *iteration) send(s *step) (engine.Step, *response, error) {
	j, v, buf := r.j, r.v, &r.buf
	if r.lean != nil && s.staticURL != nil {
		return r.leanSend(s, s.static, s.staticURL, nil)
	}
	rec := engine.Step{}
	method := string(s.method.Append((*buf)[:0], v))
	u := string(s.url.Append((*buf)[:0], v))
	if r.base != nil && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		if ref, err := url.Parse(u); err == nil {
			u = r.base.ResolveReference(ref).String()
		}
	}
	if r.lean != nil {
		pu, err := url.Parse(u)
		if err == nil && !validMethod(method) {
			err = fmt.Errorf("net/http: invalid method %q", method)
		}
		return r.leanSend(s, method, pu, err)
	}
	var payload []byte
	switch {
	case s.body != nil:
		payload = s.body.Append(nil, v)
	case len(s.form) > 0:
		payload = appendForm(nil, s, v, buf)
	}
	ctx, c, timeout, body := r.ctx, r.client, r.it.Timeout, &r.body
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, u, bytesReader(payload))
	rec.Sent = time.Now()
	if err != nil {
		rec.End, rec.Err = rec.Sent, err
		return rec, nil, err
	}
	req.Header.Set("User-Agent", engine.UserAgent)
	if len(s.form) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range s.header {
		req.Header.Set(h.name, string(h.val.Append((*buf)[:0], v)))
	}
	if !s.follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	} else {
		c.CheckRedirect = redirectCheck(j.opts.Guard) // each Location's host, before it is followed
	}
	res, err := j.exchange(c, req, payload, nil, s.name, len(s.extract) > 0, &rec, body)
	if err != nil {
		return rec, nil, err
	}
	return rec, &response{Response: scenario.Response{Status: res.StatusCode, Header: res.Header, Body: *body},
		url: res.Request.URL}, nil
}

// exchange sends req (whose body is payload) for the step named name and
// reads its answer into rec: its end, status and bytes (added to those of
// the step's earlier requests), and a transport error, which it returns.
// It keeps up to MaxBody of the answer's body in *body when read is set,
// and discards the rest; with Debug, it dumps the exchange, showing shown
// for the payload unless it is nil.
func (j *Journey) exchange(c *http.Client, req *http.Request, payload, shown []byte, name string, read bool,
	rec *engine.Step, body *[]byte) (*http.Response, error) {
	if shown == nil {
		shown = payload
	}
	rec.BytesOut += int64(len(payload))
	res, err := c.Do(req)
	debug := j.opts.Debug.take()
	if err != nil {
		rec.End, rec.Err = time.Now(), unwrapURL(err)
		if debug {
			j.opts.Debug.dump(j.sc.Name, name, req, shown, nil, nil, rec.Err)
		}
		return nil, rec.Err
	}
	*body = (*body)[:0]
	if read || debug {
		*body, err = readAtMost(*body, res.Body, MaxBody)
	}
	if debug {
		j.opts.Debug.dump(j.sc.Name, name, req, shown, res, *body, err)
	}
	n, err2 := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil {
		err = err2
	}
	rec.End, rec.Status = time.Now(), res.StatusCode
	rec.BytesIn += int64(len(*body)) + n
	if err != nil {
		rec.Err = err
		return nil, err
	}
	return res, nil
}

func (s *step) passes(status int) bool {
	if len(s.expect) == 0 {
		return status >= 200 && status < 400
	}
	return slices.Contains(s.expect, status)
}

// setBuiltins sets the built-in variables the templates use.
func (j *Journey) setBuiltins(v *scenario.Vars, index int64) {
	var verifier string
	for name, i := range j.built {
		switch name {
		case VarIteration:
			v.Set(i, strconv.FormatInt(index, 10))
		case VarUUID:
			v.Set(i, uuid4())
		case VarState, VarNonce:
			v.Set(i, random(16))
		case VarPKCEVerifier, VarPKCEChallenge:
			if verifier == "" {
				verifier = random(32)
			}
			if name == VarPKCEVerifier {
				v.Set(i, verifier)
			} else {
				sum := sha256.Sum256([]byte(verifier))
				v.Set(i, base64.RawURLEncoding.EncodeToString(sum[:]))
			}
		}
	}
	if _, ok := j.built[VarPKCEChallenge]; ok {
		if i, ok := j.names.Index(VarPKCEVerifier); ok && !v.IsSet(i) {
			// The challenge alone is used in one step and the verifier in
			// another: both come from the one verifier of the iteration.
			v.Set(i, verifier)
		}
	}
}

// random returns n random bytes, base64url without padding.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func uuid4() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// sleepUntil waits for t, or returns ctx's error.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
