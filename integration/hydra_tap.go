//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// TokenGrant is one request to hydra's token endpoint and hydra's answer,
// as the tap saw them: the provider's side of each grant, and the tokens it
// issued, which a test can introspect (barrage keeps none of them).
type TokenGrant struct {
	// Type is the request's grant_type; ClientID its client_id, from the
	// form or HTTP Basic.
	Type, ClientID string
	// Presented is the refresh_token a refresh_token grant presented.
	Presented string
	// Status is hydra's answer; Error its OAuth error code, if any.
	Status int
	Error  string
	// AccessToken, RefreshToken and IDToken are what a successful answer
	// issued.
	AccessToken, RefreshToken, IDToken string
}

// tokenTap is a reverse proxy in front of hydra's public port that keeps
// every token endpoint exchange. Hydra's issuer is the tap's URL, so
// discovery sends clients through it.
type tokenTap struct {
	mu  sync.Mutex
	log []TokenGrant
}

// newTokenTap serves the tap on ln, forwarding to hydra's public URL, until
// the test ends.
func newTokenTap(t testing.TB, ln net.Listener, public string) *tokenTap {
	target, err := url.Parse(public)
	if err != nil {
		t.Fatal(err)
	}
	tap := &tokenTap{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // hydra builds its URLs from its configuration, not from Host
	}}
	serve(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth2/token" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		g := TokenGrant{Type: form.Get("grant_type"), ClientID: form.Get("client_id"), Presented: form.Get("refresh_token")}
		if id, _, ok := r.BasicAuth(); ok {
			g.ClientID, _ = url.QueryUnescape(id) // RFC 6749 2.3.1: form-encoded, then Basic
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		var answer struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			IDToken      string `json:"id_token"`
			Error        string `json:"error"`
		}
		json.Unmarshal(rec.body.Bytes(), &answer)
		g.Status, g.Error = rec.status, answer.Error
		g.AccessToken, g.RefreshToken, g.IDToken = answer.AccessToken, answer.RefreshToken, answer.IDToken
		tap.mu.Lock()
		tap.log = append(tap.log, g)
		tap.mu.Unlock()
	}))
	return tap
}

func (tap *tokenTap) grants() []TokenGrant {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return append([]TokenGrant(nil), tap.log...)
}

// recorder passes a response through and keeps its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
