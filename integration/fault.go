//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FaultProxy sits in front of an S3 server and answers the first N requests
// that match a rule with an S3 error, passing everything else through. The
// client's Host header is kept, so signatures still verify at the server.
type FaultProxy struct {
	URL string

	mu    sync.Mutex
	rules []*faultRule
}

type faultRule struct {
	method, suffix string
	left           int
	status         int
	code           string
	hits           int
}

// NewFaultProxy starts a proxy to target.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		host := r.Host
		director(r)
		r.Host = host
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule := p.match(r); rule != nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(rule.status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by FaultProxy</Message><RequestId>fault</RequestId></Error>`, rule.code)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Fail makes the next n requests with method whose path ends in suffix
// fail with status and the S3 error code.
func (p *FaultProxy) Fail(method, suffix string, n, status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &faultRule{method: method, suffix: suffix, left: n, status: status, code: code})
}

// Injected returns how many faults were injected.
func (p *FaultProxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.rules {
		n += r.hits
	}
	return n
}

func (p *FaultProxy) match(r *http.Request) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.left > 0 && r.Method == rule.method && strings.HasSuffix(r.URL.Path, rule.suffix) {
			rule.left--
			rule.hits++
			return rule
		}
	}
	return nil
}
