package oidctest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestZitadelClientCredentials(t *testing.T) {
	z := NewZitadel(t, "http://127.0.0.1/callback")
	c := newClient(t)

	resp, err := c.Get(z.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer        string   `json:"issuer"`
		TokenEndpoint string   `json:"token_endpoint"`
		Grants        []string `json:"grant_types_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %d %v", resp.StatusCode, err)
	}
	if doc.Issuer != z.Issuer() || !strings.HasPrefix(doc.TokenEndpoint, z.URL+"/") || !slices.Contains(doc.Grants, GrantClientCredentials) {
		t.Fatalf("discovery: got %+v, want issuer %s and client_credentials", doc, z.Issuer())
	}

	form := url.Values{"grant_type": {GrantClientCredentials}, "scope": {"openid"}}
	req, _ := http.NewRequest(http.MethodPost, doc.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ZitadelServiceClientID, ZitadelServiceClientSecret)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr tokenResponse
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("client_credentials: got %d %+v (%v), want a token", resp.StatusCode, tr, err)
	}

	form.Set("client_id", ZitadelServiceClientID)
	form.Set("client_secret", "wrong")
	if code, tr := post(t, c, doc.TokenEndpoint, form); code < 400 || tr.Error == "" {
		t.Errorf("wrong secret: got %d %+v, want an error", code, tr)
	}
}
