package journey

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/scenario"
)

// This file checks, before anything is sent, every host a run may contact
// (DESIGN.md, "Deny by default"). The workers check again when they dial.

// CheckHosts reports every host of s that g refuses, each problem an
// *events.FieldError naming the field and the host: s's allow_hosts
// patterns, each target's URL, each monitor endpoint's URL, each flow's
// issuer, and each scenario step's URL with its vars filled in. Where g
// has an allow-list, a step whose scheme or host is decided by a value only known at run time (a
// secret, a dataset column, an extracted value, a built-in variable) is
// refused: its host could be anything. What the issuers' discovery returns is checked by
// CheckDiscovery, and again by Prepare in the worker; a login form's
// action and redirects are checked before they are contacted, and dialed.
// CheckHosts sends nothing; g is the deployment's guard, already narrowed
// by s.AllowHosts.
func CheckHosts(s *events.RunSpec, g hostguard.Guard) error {
	var errs []error
	refuse := func(field string, err error) {
		errs = append(errs, &events.FieldError{Field: field, Msg: err.Error()})
	}
	for i, p := range s.AllowHosts {
		if err := hostguard.CheckPattern(p); err != nil {
			refuse(fmt.Sprintf("allow_hosts[%d]", i), err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // the hosts' refusals would follow from the bad pattern
	}
	for _, h := range hostsOf(s) {
		switch {
		case h.err != nil && len(g.Allow) > 0: // without a list any host will do: the dialer refuses the forbidden addresses
			refuse(h.field, h.err)
		case h.err == nil:
			if err := g.Host(h.host); err != nil {
				refuse(h.field, err)
			}
		}
	}
	return errors.Join(errs...)
}

// specHost is a host a spec names, in field.
type specHost struct {
	field, host string
	issuer      string       // a flow's issuer URL
	flow        *events.Flow // the flow of that issuer
	err         error        // the host cannot be known before the run
}

// hostsOf lists the hosts of s's targets, monitor endpoints, flow issuers
// and scenario steps. URLs Validate refuses are left out.
func hostsOf(s *events.RunSpec) []specHost {
	var out []specHost
	for i, t := range s.Targets {
		if u, err := url.Parse(t.URL); err == nil && u.Host != "" {
			out = append(out, specHost{field: fmt.Sprintf("targets[%d].url", i), host: u.Hostname()})
		}
	}
	for i, m := range s.Monitor {
		if u, err := url.Parse(m.URL); err == nil && u.Host != "" {
			out = append(out, specHost{field: fmt.Sprintf("monitor[%d].url", i), host: u.Hostname()})
		}
	}
	for i, sc := range s.Scenarios {
		field := fmt.Sprintf("scenarios[%d]", i)
		if f := sc.Flow; f != nil {
			if u, err := url.Parse(f.Issuer); err == nil && u.Host != "" {
				out = append(out, specHost{field: field + ".flow.issuer", host: u.Hostname(), issuer: f.Issuer, flow: f})
			}
			continue
		}
		j, err := Compile(sc, Options{})
		if err != nil {
			continue // Validate says why
		}
		for k, st := range sc.Steps {
			h := specHost{field: fmt.Sprintf("%s.steps[%d].url", field, k)}
			h.host, h.err = j.upfrontHost(st.URL)
			out = append(out, h)
		}
	}
	return out
}

// runtimeMark stands, in a URL rendered before the run, for a value only
// known at run time. No URL holds a NUL byte.
const runtimeMark = "\x00"

// upfrontHost renders the URL template src with the values known before
// the run and returns its host, or why it cannot be known.
func (j *Journey) upfrontHost(src string) (string, error) {
	t, err := scenario.Compile(src, j.names)
	if err != nil {
		return "", err
	}
	known := j.upfront()
	v := scenario.NewVars(j.names)
	for _, i := range t.Uses() {
		val, ok := known[i]
		if !ok {
			val = runtimeMark
		}
		v.Set(i, val)
	}
	s := string(t.Append(nil, v))
	// The authority ends at the first '/', '?' or '#' after "://": a
	// run-time value before that point can move the host (even one in the
	// scheme or the user info: "{{x}}@api.example.com").
	end := len(s)
	if sep := strings.Index(s, "://"); sep >= 0 {
		if k := strings.IndexAny(s[sep+3:], "/?#"); k >= 0 {
			end = sep + 3 + k
		}
	}
	if m := strings.Index(s, runtimeMark); m >= 0 && m < end {
		return "", fmt.Errorf("the host of %q is only known at run time (write the scheme and host literally, or take them from vars)", src)
	}
	u, err := url.Parse(strings.ReplaceAll(s, runtimeMark, "x"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q with its vars is not an absolute http(s) URL", src)
	}
	return u.Hostname(), nil
}

// upfront returns the variables whose values are known before the run:
// the vars (and a flow's settings) that no secret, dataset column or
// extractor overwrites.
func (j *Journey) upfront() map[int]string {
	known := maps.Clone(j.consts)
	for i := range j.secrets {
		delete(known, i)
	}
	if j.data != nil {
		for _, c := range j.data.Dataset().Columns() {
			if i, ok := j.names.Index(c); ok {
				delete(known, i)
			}
		}
	}
	for _, s := range j.steps {
		for _, x := range s.extract {
			delete(known, x.slot)
		}
	}
	return known
}

// PreflightTimeout bounds CheckDiscovery and CheckAddresses: they ask
// the network, and what does not answer in time is left to the workers.
const PreflightTimeout = 10 * time.Second

// CheckDiscovery fetches the discovery document of each of s's flows
// through d (its guard checks the issuer, its redirects and every address
// dialed) and reports, each an *events.FieldError, every endpoint it
// returns that d's guard refuses (under the flow's issuer) and every
// endpoint the flow needs that it does not list (under the setting that
// needs it: scenarios[i].flow.logout for the end_session_endpoint). A
// document that cannot be fetched is no refusal: the issuer may be
// reachable from the workers only (a private network); their Prepare
// checks it again before the flow's first request. It returns notes, one
// line each, on what the documents change in the flows: the scope
// offline_access added for the refresh tokens a flow needs. Call it once
// CheckHosts passed.
func CheckDiscovery(ctx context.Context, s *events.RunSpec, d *hostguard.Dialer) ([]string, error) {
	var issuers []specHost
	for _, h := range hostsOf(s) {
		if h.issuer != "" {
			issuers = append(issuers, h)
		}
	}
	client := &http.Client{Transport: guardedTransport(d, s.Insecure, false), CheckRedirect: redirectCheck(d.Guard)}
	defer client.CloseIdleConnections()
	notes := make([]string, len(issuers))
	err := preflight(ctx, issuers, func(ctx context.Context, i int, h specHost) error {
		doc, err := discover(ctx, client, h.issuer)
		if err != nil {
			if hostguard.IsRefusal(err) {
				return &events.FieldError{Field: h.field, Msg: err.Error()}
			}
			return nil
		}
		var errs []error
		for _, err := range doc.check(d.Guard) {
			errs = append(errs, &events.FieldError{Field: h.field, Msg: "discovery lists " + err.Error()})
		}
		flow := strings.TrimSuffix(h.field, ".issuer")
		errs = append(errs, doc.missing(h.flow, flow, h.issuer)...)
		notes[i] = doc.scopeNote(h.flow, flow)
		return errors.Join(errs...)
	})
	return slices.DeleteFunc(notes, func(n string) bool { return n == "" }), err
}

// CheckAddresses resolves each host name of s through d and reports every
// one that resolves to an address d's guard refuses (the metadata
// service, or loopback on AWS), as an *events.FieldError. A name that
// does not resolve is no refusal. Resolving up front is only as good as
// the workers' resolver agrees with this one: the local backend's workers
// share it, so the command line asks; the workers refuse at dial time in
// any case. Call it once CheckHosts passed.
func CheckAddresses(ctx context.Context, s *events.RunSpec, d *hostguard.Dialer) error {
	var names []specHost
	seen := map[string]bool{}
	for _, h := range hostsOf(s) {
		if h.err == nil && !seen[h.host] {
			seen[h.host] = true
			names = append(names, h)
		}
	}
	return preflight(ctx, names, func(ctx context.Context, _ int, h specHost) error {
		if _, err := d.Lookup(ctx, h.host); hostguard.IsRefusal(err) {
			return &events.FieldError{Field: h.field, Msg: err.Error()}
		}
		return nil
	})
}

// preflight runs check on each host, a few at a time, within
// PreflightTimeout, and joins the problems in the hosts' order.
func preflight(ctx context.Context, hosts []specHost, check func(context.Context, int, specHost) error) error {
	ctx, cancel := context.WithTimeout(ctx, PreflightTimeout)
	defer cancel()
	errs := make([]error, len(hosts))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = check(ctx, i, h)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// guardedTransport is an HTTP transport that dials through d.
func guardedTransport(d *hostguard.Dialer, insecure, h2 bool) *http.Transport {
	t := newTransport(insecure, h2)
	t.DialContext = d.DialContext
	return t
}

// redirectCheck refuses a redirect to a host g does not allow, before it
// is followed, and more than 10 redirects, as net/http does.
func redirectCheck(g hostguard.Guard) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if err := g.Host(req.URL.Hostname()); err != nil {
			return fmt.Errorf("redirect: %w", err)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// check reports each endpoint of the document whose host g refuses, as
// "KEY URL: why".
func (d *Discovery) check(g hostguard.Guard) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(d.Endpoints)) {
		u, err := url.Parse(d.Endpoints[k])
		if err != nil || u.Host == "" {
			continue // not a URL barrage could contact
		}
		if err := g.Host(u.Hostname()); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", k, d.Endpoints[k], err))
		}
	}
	return errs
}
