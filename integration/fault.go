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

// FaultProxy sits in front of an S3 server and answers the first N
// requests that match a rule with an S3 error, passing everything else
// through. The client's Host header is kept, so signatures still verify at
// the server.
type FaultProxy struct {
	URL string // http://127.0.0.1:PORT, for S3Client

	mu    sync.Mutex
	rules []*faultRule
	seen  []string // "METHOD /path" of every request, in order
}

type faultRule struct {
	method, suffix string
	left, hits     int
	status         int
	code           string
	after          bool // forward the request first, then lose the answer
}

// NewFaultProxy starts a proxy to the S3 server at target; it stops when
// the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host // the host the client signed (SigV4)
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule := p.match(r)
		if rule == nil {
			rp.ServeHTTP(w, r)
			return
		}
		if rule.after {
			rp.ServeHTTP(httptest.NewRecorder(), r) // the server acts; its answer is lost
		}
		writeS3Error(w, r, rule.status, rule.code)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// writeS3Error answers as S3 does when it fails a request.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "FAULTPROXY")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return // HEAD answers carry no body, in S3 as in HTTP
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s (injected by FaultProxy)</Message><Resource>%s</Resource><RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>`,
		code, http.StatusText(status), r.URL.Path)
}

// Fail makes the next n requests with method whose path ends in suffix
// fail with status and the S3 error code, before they reach the server:
// for example 503 SlowDown, or 409 ConditionalRequestConflict on a PUT.
// Rules are tried in the order they were added.
func (p *FaultProxy) Fail(method, suffix string, n, status int, code string) {
	p.add(&faultRule{method: method, suffix: suffix, left: n, status: status, code: code})
}

// FailAfter is Fail, except that each request reaches the server first and
// only its answer is replaced: a write that happened but whose answer was
// lost, as on a timeout.
func (p *FaultProxy) FailAfter(method, suffix string, n, status int, code string) {
	p.add(&faultRule{method: method, suffix: suffix, left: n, status: status, code: code, after: true})
}

func (p *FaultProxy) add(r *faultRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, r)
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

// Seen returns how many requests with method whose path ends in suffix
// came through, failed or not.
func (p *FaultProxy) Seen(method, suffix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		m, path, _ := strings.Cut(s, " ")
		if m == method && strings.HasSuffix(path, suffix) {
			n++
		}
	}
	return n
}

func (p *FaultProxy) match(r *http.Request) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, r.Method+" "+r.URL.Path)
	for _, rule := range p.rules {
		if rule.left > 0 && r.Method == rule.method && strings.HasSuffix(r.URL.Path, rule.suffix) {
			rule.left--
			rule.hits++
			return rule
		}
	}
	return nil
}
