package journey

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/scenario"
	"github.com/barrage-load/barrage/pkg/secret"
)

// Options are what a journey needs besides its scenario.
type Options struct {
	// Insecure skips TLS verification; HTTP2 offers h2 by ALPN on TLS.
	Insecure, HTTP2 bool
	// Secrets resolves the scenario's secret references; nil uses a
	// resolver of its own, which reads env: and file: references only.
	Secrets *secret.Resolver
	// Debug, if set, dumps the first steps (redacted).
	Debug *Debug
	// Guard decides which hosts the journey may contact: discovery, the
	// endpoints it returns, redirects, and every connection it dials.
	Guard hostguard.Guard
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
	// basic and code are the variables client_basic and code of a flow
	// that uses them, else -1.
	basic, code int
	issuer      string // the flow's issuer, as its discovery names it
	hosts       []string
	shared      bool

	// keepHeaders are the canonical names of the response headers the
	// extractors read, besides Location; keepCookies: Set-Cookie too.
	keepHeaders []string
	keepCookies bool

	vars    sync.Pool // *scenario.Vars
	mu      sync.Mutex
	perSlot map[int]*http.Transport // ConnectionShared, with HTTP2
	lean    map[int]*lean           // the slots' lean clients (lean.go)
}

var _ engine.Journey = (*Journey)(nil)

type step struct {
	name    string
	id      int // index in stepIDs
	kind    stepKind
	ids     []int // a browser login's: login/authorize, login/form, login/consent
	method  *scenario.Template
	url     *scenario.Template
	header  []headerTmpl
	body    *scenario.Template
	form    []formField
	expect  []int
	extract []*extractor
	uses    []int // variables read besides the templates'
	think   time.Duration
	follow  bool
	refusal bool // see stepSpec
	// static and staticURL are the method and the absolute URL of a step
	// whose templates use no variable, parsed once (lean.go).
	static    string
	staticURL *url.URL
}

type headerTmpl struct {
	name string
	val  *scenario.Template
}

type formField struct {
	key string
	val *scenario.Template
}

// stepID returns the index of the step named name in Steps, adding it.
func (j *Journey) stepID(name string) int {
	id := slices.Index(j.stepIDs, name)
	if id < 0 {
		id = len(j.stepIDs)
		j.stepIDs = append(j.stepIDs, name)
	}
	return id
}

// usedBuiltins keeps only the built-in variables some step uses.
func (j *Journey) usedBuiltins() {
	used := map[int]bool{}
	for _, s := range j.steps {
		for _, t := range s.templates() {
			for _, i := range t.Uses() {
				used[i] = true
			}
		}
		for _, i := range s.uses {
			used[i] = true
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
		client := &http.Client{Transport: j.transport(nil), CheckRedirect: redirectCheck(j.opts.Guard)}
		d, err := discover(ctx, client, f.Issuer)
		client.CloseIdleConnections()
		if err != nil {
			return fmt.Errorf("scenario %s: %w", j.sc.Name, err)
		}
		// Every endpoint the document lists must be allowed before the
		// flow's first request (the dialer would refuse each request too,
		// one by one).
		if errs := d.check(j.opts.Guard); len(errs) > 0 {
			return fmt.Errorf("scenario %s: discovery of %s: %w", j.sc.Name, f.Issuer, errors.Join(errs...))
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
		if errs := d.missing(f, "flow", f.Issuer); len(errs) > 0 {
			return fmt.Errorf("scenario %s: %w", j.sc.Name, errors.Join(errs...))
		}
		scope, _ := flowScope(f, d.ScopesSupported)
		if i, ok := j.names.Index(VarScope); ok {
			j.consts[i] = scope
		}
		if j.basic >= 0 {
			// RFC 6749 2.3.1: each form-encoded, then joined by a colon.
			si, _ := j.names.Index(VarClientSecret)
			j.consts[j.basic] = base64.StdEncoding.EncodeToString([]byte(
				url.QueryEscape(f.ClientID) + ":" + url.QueryEscape(j.consts[si])))
		}
		j.issuer = d.Issuer
	}
	return nil
}

// Name, Weight, Steps and Hosts implement engine.Journey.
func (j *Journey) Name() string    { return j.sc.Name }
func (j *Journey) Weight() int     { return j.sc.Weight }
func (j *Journey) Steps() []string { return slices.Clone(j.stepIDs) }
func (j *Journey) Hosts() []string { return slices.Clone(j.hosts) }

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

// prefix puts field in front of the field of each problem in err.
func prefix(field string, err error) error { return errors.Join(fieldErrors(field, err)...) }

// fieldErrors flattens err (joined errors, nested) into *events.FieldError
// under field.
func fieldErrors(field string, err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(field, e)...)
		}
		return out
	}
	var fe *events.FieldError
	if errors.As(err, &fe) {
		return []error{&events.FieldError{Field: join(field, fe.Field), Msg: fe.Msg}}
	}
	return []error{&events.FieldError{Field: field, Msg: err.Error()}}
}
