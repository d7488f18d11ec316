package journey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/scenario"
	"github.com/barrage-load/barrage/pkg/secret"
)

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

// Options are what a journey needs besides its scenario.
type Options struct {
	// Insecure skips TLS verification; HTTP2 offers h2 by ALPN on TLS.
	Insecure, HTTP2 bool
	// Secrets resolves the scenario's secret references; nil uses a
	// resolver of its own (env:, file:, and AWS with the default config).
	Secrets *secret.Resolver
	// Debug, if set, dumps the first steps (redacted).
	Debug *Debug
}

// Journey is a compiled scenario: an engine.Journey.
type Journey struct {
	sc      events.Scenario
	opts    Options
	names   *scenario.Names
	steps   []step   // after repeats
	stepIDs []string // the distinct step names, in order
	consts  map[int]string
	secrets map[int]string // variable → reference, resolved by Prepare
	data    *scenario.Binding
	built   map[string]int // built-in variable → index, when used
	hosts   []string
	shared  bool

	vars    sync.Pool // *scenario.Vars
	mu      sync.Mutex
	perSlot map[int]*http.Transport // ConnectionShared
}

var _ engine.Journey = (*Journey)(nil)

type step struct {
	name    string
	id      int // index in stepIDs
	method  *scenario.Template
	url     *scenario.Template
	header  []headerTmpl
	body    *scenario.Template
	form    []formField
	expect  []int
	extract []*extractor
	think   time.Duration
	follow  bool
}

type headerTmpl struct {
	name string
	val  *scenario.Template
}

type formField struct {
	key string
	val *scenario.Template
}

// Compile checks and compiles scenario sc. It reads no secret and makes no
// request: Prepare does.
func Compile(sc events.Scenario, opts Options) (*Journey, error) {
	j := &Journey{sc: sc, opts: opts, names: new(scenario.Names), consts: map[int]string{},
		secrets: map[int]string{}, built: map[string]int{}, perSlot: map[int]*http.Transport{},
		shared: sc.Connection == events.ConnectionShared}
	var errs []error
	fail := func(field string, err error) { errs = append(errs, prefix(field, err)) }
	declare := func(field, name string) int {
		i, err := j.names.Declare(name)
		if err != nil {
			fail(field, err)
		}
		return i
	}
	specSteps := sc.Steps
	vars := maps.Clone(sc.Vars)
	if sc.Flow != nil {
		specSteps = expand(sc.Flow)
		if vars == nil {
			vars = map[string]string{}
		}
		for k, v := range flowVars(sc.Flow) {
			if _, ok := vars[k]; !ok {
				vars[k] = v
			}
		}
		if sc.Flow.ClientSecret != "" {
			if err := secret.Check(sc.Flow.ClientSecret); err != nil {
				fail("flow.client_secret", err)
			}
			j.secrets[declare("flow.client_secret", VarClientSecret)] = sc.Flow.ClientSecret
		}
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		j.consts[declare("vars."+k, k)] = vars[k]
	}
	for _, k := range slices.Sorted(maps.Keys(sc.Secrets)) {
		if err := secret.Check(sc.Secrets[k]); err != nil {
			fail("secrets."+k, err)
		}
		j.secrets[declare("secrets."+k, k)] = sc.Secrets[k]
	}
	if err := j.bindData(); err != nil {
		fail("", err)
	}
	for _, b := range builtins {
		if _, taken := j.names.Index(b); !taken {
			j.built[b] = declare("", b)
		}
	}
	// Every extracted variable is declared before any template compiles,
	// so a step may use what an earlier one extracts.
	extractors := make([][]*extractor, len(specSteps))
	for i, st := range specSteps {
		for k, x := range st.Extract {
			ex, err := compileExtract(x, j.names)
			if err != nil {
				fail(fmt.Sprintf("steps[%d].extract[%d]", i, k), err)
				continue
			}
			extractors[i] = append(extractors[i], ex)
		}
	}
	hosts := map[string]bool{}
	for i, st := range specSteps {
		field := fmt.Sprintf("steps[%d]", i)
		if sc.Flow != nil {
			field = "flow (" + st.Name + ")"
		}
		s := step{name: st.Name, expect: st.Expect, extract: extractors[i], think: st.Think.D(), follow: st.FollowRedirects}
		tmpl := func(f, src string) *scenario.Template {
			t, err := scenario.Compile(src, j.names)
			if err != nil {
				fail(field+"."+f, err)
			}
			return t
		}
		method := st.Method
		if method == "" {
			method = http.MethodGet
			if st.Body != "" || len(st.Form) > 0 {
				method = http.MethodPost
			}
		}
		s.method, s.url = tmpl("method", method), tmpl("url", st.URL)
		if s.url != nil {
			if u, ok := s.url.Static(); ok {
				if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
					fail(field+".url", fmt.Errorf("%q is not an absolute http(s) URL", u))
				} else {
					hosts[hostPort(p)] = true
				}
			}
		}
		if s.name == "" {
			s.name = method + " " + pathOf(st.URL)
		}
		for _, k := range slices.Sorted(maps.Keys(st.Header)) {
			s.header = append(s.header, headerTmpl{http.CanonicalHeaderKey(k), tmpl("headers."+k, st.Header[k])})
		}
		if st.Body != "" {
			s.body = tmpl("body", st.Body)
		}
		for _, k := range slices.Sorted(maps.Keys(st.Form)) {
			s.form = append(s.form, formField{k, tmpl("form."+k, st.Form[k])})
		}
		id := slices.Index(j.stepIDs, s.name)
		if id < 0 {
			id = len(j.stepIDs)
			j.stepIDs = append(j.stepIDs, s.name)
		}
		s.id = id
		for range max(st.Repeat, 1) {
			j.steps = append(j.steps, s)
		}
	}
	if sc.Flow != nil {
		if u, err := url.Parse(sc.Flow.Issuer); err == nil && u.Host != "" {
			hosts[hostPort(u)] = true
		}
	}
	j.hosts = slices.Sorted(maps.Keys(hosts))
	j.usedBuiltins()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	j.vars.New = func() any { return scenario.NewVars(j.names) }
	return j, nil
}

// usedBuiltins keeps only the built-in variables some template uses.
func (j *Journey) usedBuiltins() {
	used := map[int]bool{}
	for _, s := range j.steps {
		for _, t := range s.templates() {
			for _, i := range t.Uses() {
				used[i] = true
			}
		}
	}
	for b, i := range j.built {
		if !used[i] {
			delete(j.built, b)
		}
	}
}

func (s *step) templates() []*scenario.Template {
	ts := []*scenario.Template{s.method, s.url, s.body}
	for _, h := range s.header {
		ts = append(ts, h.val)
	}
	for _, f := range s.form {
		ts = append(ts, f.val)
	}
	return slices.DeleteFunc(ts, func(t *scenario.Template) bool { return t == nil })
}

func (j *Journey) bindData() error {
	var d scenario.Dataset
	switch {
	case j.sc.Users != nil:
		u := scenario.Users{Pattern: j.sc.Users.Pattern, PasswordPattern: j.sc.Users.PasswordPattern,
			Count: j.sc.Users.Count, Start: j.sc.Users.Start}
		if err := u.Validate(); err != nil {
			return prefix("users", err)
		}
		d = u
	case j.sc.CSV != nil:
		c, err := scenario.ParseCSV([]byte(j.sc.CSV.Text), scenario.CSVOptions{Shuffle: j.sc.CSV.Shuffle, Seed: j.sc.CSV.Seed})
		if err != nil {
			return prefix("csv", err)
		}
		d = c
	default:
		return nil
	}
	b, err := scenario.Bind(d, j.names)
	j.data = b
	return err
}

// Prepare resolves the secrets and, for a flow, fetches the issuer's
// discovery document. A worker calls it once before the run.
func (j *Journey) Prepare(ctx context.Context) error {
	res := j.opts.Secrets
	if res == nil {
		res = secret.NewResolver()
	}
	for i, ref := range j.secrets {
		v, err := res.Resolve(ctx, ref)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", j.sc.Name, err)
		}
		j.consts[i] = v
	}
	if f := j.sc.Flow; f != nil {
		d, err := discover(ctx, &http.Client{Transport: j.transport(nil)}, f.Issuer)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", j.sc.Name, err)
		}
		for name, v := range map[string]string{VarTokenEndpoint: d.TokenEndpoint,
			VarAuthorizationEndpoint: d.AuthorizationEndpoint, VarEndSessionEndpoint: d.EndSessionEndpoint} {
			if i, ok := j.names.Index(name); ok {
				j.consts[i] = v
			}
			if u, err := url.Parse(v); err == nil && u.Host != "" && !slices.Contains(j.hosts, hostPort(u)) {
				j.hosts = append(j.hosts, hostPort(u))
			}
		}
		if f.Grant == events.GrantAuthorizationCode && d.AuthorizationEndpoint == "" {
			return fmt.Errorf("scenario %s: discovery of %s lists no authorization_endpoint", j.sc.Name, f.Issuer)
		}
		if f.Logout && d.EndSessionEndpoint == "" {
			return fmt.Errorf("scenario %s: discovery of %s lists no end_session_endpoint for logout", j.sc.Name, f.Issuer)
		}
	}
	return nil
}

// Name, Weight, Steps and Hosts implement engine.Journey.
func (j *Journey) Name() string    { return j.sc.Name }
func (j *Journey) Weight() int     { return j.sc.Weight }
func (j *Journey) Steps() []string { return slices.Clone(j.stepIDs) }
func (j *Journey) Hosts() []string { return slices.Clone(j.hosts) }

// transport makes an HTTP transport dialing through it (or directly).
func (j *Journey) transport(it *engine.Iteration) *http.Transport {
	t := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: j.opts.Insecure},
		ForceAttemptHTTP2: j.opts.HTTP2, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, TLSHandshakeTimeout: 30 * time.Second}
	if !j.opts.HTTP2 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if it != nil {
		t.DialContext = it.Dial
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
}

// errStopped ends an iteration whose run ended (a request timeout past the
// end of scheduling) before its next step.
var errStopped = fmt.Errorf("journey: the run ended before the next step: %w", context.Canceled)

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
	client, done := j.client(it)
	defer done()
	buf := make([]byte, 0, 512)
	var body []byte
	var base *url.URL // the last response's URL, for relative URLs such as a form's action
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
		rec, resp, err := j.send(ctx, client, s, v, base, it.Timeout, &buf, &body)
		rec.Due = due
		it.Record(s.id, rec)
		if err != nil {
			return err
		}
		if !s.passes(resp.Status) {
			return &engine.IterationError{Step: s.name, Class: errclass.Unexpected, Detail: strconv.Itoa(resp.Status)}
		}
		base = resp.url
		for _, x := range s.extract {
			if err := x.apply(resp, v); err != nil {
				return &engine.IterationError{Step: s.name, Class: errclass.Extract, Detail: x.varName()}
			}
		}
		due = rec.End.Add(s.think)
	}
	return nil
}

// send renders and sends step s, reading up to MaxBody of the answer.
func (j *Journey) send(ctx context.Context, c *http.Client, s *step, v *scenario.Vars, base *url.URL,
	timeout time.Duration, buf, body *[]byte) (engine.Step, *response, error) {
	rec := engine.Step{}
	method := string(s.method.Append((*buf)[:0], v))
	u := string(s.url.Append((*buf)[:0], v))
	if base != nil && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		if ref, err := url.Parse(u); err == nil {
			u = base.ResolveReference(ref).String()
		}
	}
	var payload []byte
	switch {
	case s.body != nil:
		payload = s.body.Append(nil, v)
	case len(s.form) > 0:
		for i, f := range s.form {
			if i > 0 {
				payload = append(payload, '&')
			}
			payload = append(payload, url.QueryEscape(f.key)...)
			payload = append(payload, '=')
			*buf = f.val.Append((*buf)[:0], v)
			payload = append(payload, url.QueryEscape(string(*buf))...)
		}
	}
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
		c.CheckRedirect = nil
	}
	rec.BytesOut = int64(len(payload))
	res, err := c.Do(req)
	debug := j.opts.Debug.take()
	if err != nil {
		rec.End, rec.Err = time.Now(), unwrapURL(err)
		if debug {
			j.opts.Debug.dump(j.sc.Name, s.name, req, payload, nil, nil, rec.Err)
		}
		return rec, nil, rec.Err
	}
	*body = (*body)[:0]
	if len(s.extract) > 0 || debug {
		*body, err = readAtMost(*body, res.Body, MaxBody)
	}
	if debug {
		j.opts.Debug.dump(j.sc.Name, s.name, req, payload, res, *body, err)
	}
	n, err2 := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil {
		err = err2
	}
	rec.End, rec.Status = time.Now(), res.StatusCode
	rec.BytesIn = int64(len(*body)) + n
	if err != nil {
		rec.Err = err
		return rec, nil, err
	}
	return rec, &response{Response: scenario.Response{Status: res.StatusCode, Header: res.Header, Body: *body},
		url: res.Request.URL}, nil
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

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// pathOf is the path of a URL template for a default step name.
func pathOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" && !strings.Contains(u, "{{") {
		if p.Path == "" {
			return "/"
		}
		return p.Path
	}
	return u
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

func prefix(field string, err error) error {
	var out []error
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var fe *events.FieldError
		if errors.As(e, &fe) {
			out = append(out, &events.FieldError{Field: join(field, fe.Field), Msg: fe.Msg})
		} else {
			out = append(out, &events.FieldError{Field: field, Msg: e.Error()})
		}
	}
	return errors.Join(out...)
}
