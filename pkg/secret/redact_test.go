package secret

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestRedactorString(t *testing.T) {
	r := NewRedactor()
	r.Add("s3cr3t-Pa55", "abc", "", "a+b c/d&e<f>", "Pa55-tail", "X1X1")
	for _, tc := range []struct{ in, want string }{
		// A value anywhere, any number of times.
		{"password is s3cr3t-Pa55.", "password is [REDACTED]."},
		{"s3cr3t-Pa55s3cr3t-Pa55 s3cr3t-Pa55", "[REDACTED] [REDACTED]"},
		// Values under MinRedactLen are not hidden.
		{"abc and abcd", "abc and abcd"},
		// Overlapping values become one [REDACTED], hiding both wholly.
		{"xs3cr3t-Pa55-tail!", "x[REDACTED]!"},
		// A value overlapping itself.
		{"X1X1X1", "[REDACTED]"},
		// The value escaped for a query or form body, and for JSON.
		{"client_secret=a%2Bb+c%2Fd%26e%3Cf%3E&x=1", "client_secret=[REDACTED]&x=1"},
		{`{"s":"a+b c/d\u0026e\u003cf\u003e"}`, `{"s":"[REDACTED]"}`},
		// Nothing to hide.
		{"", ""},
		{"nothing here", "nothing here"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got := string(r.Bytes([]byte(tc.in))); got != tc.want {
			t.Errorf("Bytes(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	var nilR *Redactor
	if got := nilR.String("s3cr3t-Pa55"); got != "s3cr3t-Pa55" || nilR.Len() != 0 {
		t.Errorf("a nil Redactor changed %q to %q", "s3cr3t-Pa55", got)
	}
}

// TestRedactorTokenShaped: a value shaped like a JSON Web Token (three
// base64url parts, its header JSON) is hidden wherever it is, known or not,
// named or not; dotted names and versions are not tokens.
func TestRedactorTokenShaped(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyLTEiLCJzaWQiOiJhYmMifQ.c2lnbmF0dXJlLWJ5dGVz"
	var nobody *Redactor
	for _, tc := range []struct{ in, want string }{
		{"invalid id_token_hint " + jwt + ": expired", "invalid id_token_hint [REDACTED]: expired"},
		{"https://idp/logout?hint=" + jwt + "&x=1", "https://idp/logout?hint=[REDACTED]&x=1"},
		{`{"assertion":"` + jwt + `"}`, `{"assertion":"[REDACTED]"}`},
		// A JWE's five parts, and an unsigned token's empty signature.
		{"t=eyJhbGciOiJSU0EifQ.a2V5.aXY.Y2lwaGVy.dGFn end", "t=[REDACTED] end"},
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. ok", "[REDACTED] ok"},
		// Not tokens.
		{"GET https://api.example.com/v1.2.3 eyJ", "GET https://api.example.com/v1.2.3 eyJ"},
	} {
		if got := nobody.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got := string(NewRedactor().Bytes([]byte(tc.in))); got != tc.want {
			t.Errorf("Bytes(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactorHeader(t *testing.T) {
	r := NewRedactor()
	r.Add("known-Pa55word")
	h := http.Header{
		"Authorization":        {"Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"},
		"Proxy-Authorization":  {"Basic dXNlcjpwYXNz"},
		"Cookie":               {"KEYCLOAK_SESSION=abc123; AUTH_SESSION_ID=def456"},
		"Set-Cookie":           {"KEYCLOAK_IDENTITY=eyJ.x.y; Path=/realms/x/; HttpOnly", "KC_RESTART="},
		"X-Api-Key":            {"k-123"},
		"Location":             {"https://app.example/cb?state=s1&code=c0de-123&session_state=x#id_token=eyJ.a.b&token_type=Bearer"},
		"Content-Type":         {"application/json"},
		"X-Debug":              {"sent known-Pa55word upstream"},
		"authorization":        {"token"}, // not canonical: still hidden
		"X-Forwarded-Password": {"x"},
	}
	before := h.Clone()
	got := r.Header(h)
	want := http.Header{
		"Authorization":        {"Bearer [REDACTED]"},
		"Proxy-Authorization":  {"Basic [REDACTED]"},
		"Cookie":               {"KEYCLOAK_SESSION=[REDACTED]; AUTH_SESSION_ID=[REDACTED]"},
		"Set-Cookie":           {"KEYCLOAK_IDENTITY=[REDACTED]; Path=/realms/x/; HttpOnly", "KC_RESTART=[REDACTED]"},
		"X-Api-Key":            {"[REDACTED]"},
		"Location":             {"https://app.example/cb?state=[REDACTED]&code=[REDACTED]&session_state=x#id_token=[REDACTED]&token_type=Bearer"},
		"Content-Type":         {"application/json"},
		"X-Debug":              {"sent [REDACTED] upstream"},
		"authorization":        {"[REDACTED]"},
		"X-Forwarded-Password": {"x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Header:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(h, before) {
		t.Errorf("Header changed its argument: %q", h)
	}
}

func TestRedactorBody(t *testing.T) {
	r := NewRedactor()
	r.Add("known-Pa55word")
	for _, tc := range []struct{ contentType, in, want string }{
		// A Keycloak token answer: tokens hidden, the rest and its layout kept.
		{"application/json", `{"access_token":"eyJ.a.b","expires_in":300,"refresh_token" : "eyJ.c.d","token_type":"Bearer","id_token":"eyJ.e.f"}`,
			`{"access_token":"[REDACTED]","expires_in":300,"refresh_token" : "[REDACTED]","token_type":"Bearer","id_token":"[REDACTED]"}`},
		// Nested fields, any case, escaped quotes inside a value, numbers.
		{"application/json; charset=utf-8", `{"user":{"Password":"p\"w\\d"},"code":123456,"ok":true}`,
			`{"user":{"Password":"[REDACTED]"},"code":"[REDACTED]","ok":true}`},
		// A truncated body still hides the value it cuts off.
		{"application/json", `{"client_secret":"abcdefgh`, `{"client_secret":"[REDACTED]"`},
		// A +json type, and a known value in an unnamed field.
		{"application/problem+json", `{"detail":"bad known-Pa55word"}`, `{"detail":"bad [REDACTED]"}`},
		// A client-credentials grant and a PKCE code exchange as forms.
		{"application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=barrage&client_secret=s%2Bcr3t",
			"grant_type=client_credentials&client_id=barrage&client_secret=[REDACTED]"},
		{"application/x-www-form-urlencoded", "grant_type=authorization_code&code=c0de&code_verifier=v3r&redirect_uri=https%3A%2F%2Fapp",
			"grant_type=authorization_code&code=[REDACTED]&code_verifier=[REDACTED]&redirect_uri=https%3A%2F%2Fapp"},
		// The standard logout as a form post, and a client assertion.
		{"application/x-www-form-urlencoded", "id_token_hint=abc&client_id=app&state=s1&client_assertion=x.y.z",
			"id_token_hint=[REDACTED]&client_id=app&state=[REDACTED]&client_assertion=[REDACTED]"},
		// A form without a Content-Type is recognised; a password login too.
		{"", "username=load&password=hunter2", "username=load&password=[REDACTED]"},
		// Text that is not a form is left alone, known values excepted.
		{"text/plain", "password=hunter2 is a form field", "password=hunter2 is a form field"},
		{"text/html", "<p>known-Pa55word</p>", "<p>[REDACTED]</p>"},
		// Field names that merely contain a sensitive one are not hidden.
		{"application/json", `{"password_policy":"length(8)","codes":["a"]}`, `{"password_policy":"length(8)","codes":["a"]}`},
	} {
		if got := string(r.Body(tc.contentType, []byte(tc.in))); got != tc.want {
			t.Errorf("Body(%q, %s)\n got %s\nwant %s", tc.contentType, tc.in, got, tc.want)
		}
	}
	same := []byte(`{"a":1}`)
	if got := r.Body("application/json", same); &got[0] != &same[0] {
		t.Errorf("Body copied a body it did not change")
	}
}

func TestRedactorURL(t *testing.T) {
	var r *Redactor // by name only
	for _, tc := range []struct{ in, want string }{
		// Query and fragment fields.
		{"https://kc/realms/x/cb?code=abc&state=1&session_state=2", "https://kc/realms/x/cb?code=[REDACTED]&state=[REDACTED]&session_state=2"},
		// The standard logout and the authorization request: the ID token,
		// state and nonce hidden; the client and the redirect URIs kept.
		{"https://idp/logout?client_id=app&id_token_hint=abc.def.ghi&post_logout_redirect_uri=http%3A%2F%2Fapp%2F&state=s",
			"https://idp/logout?client_id=app&id_token_hint=[REDACTED]&post_logout_redirect_uri=http%3A%2F%2Fapp%2F&state=[REDACTED]"},
		{"https://idp/auth?response_type=code&client_id=app&nonce=n0&code_challenge=c&state=s",
			"https://idp/auth?response_type=code&client_id=app&nonce=[REDACTED]&code_challenge=c&state=[REDACTED]"},
		{"https://app/#access_token=eyJ&expires_in=300", "https://app/#access_token=[REDACTED]&expires_in=300"},
		// A password in the user information.
		{"https://load:hunter2@kc/realms/x", "https://load:xxxxx@kc/realms/x"},
		// Nothing to hide.
		{"https://kc/realms/x?client_id=barrage", "https://kc/realms/x?client_id=barrage"},
	} {
		if got := r.URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactorMessage: an error message keeps its words and hides, in
// every URL it quotes, what URL hides, and known values anywhere.
func TestRedactorMessage(t *testing.T) {
	r := NewRedactor()
	r.Add("s3cr3t-Pa55", "t\tab\x7f")
	for _, tc := range []struct{ in, want string }{
		// net/http's *url.Error quotes the URL: its query token is hidden.
		{`Get "https://kc/cb?code=abc&state=1": dial tcp 10.0.0.1:443: connect: connection refused`,
			`Get "https://kc/cb?code=[REDACTED]&state=[REDACTED]": dial tcp 10.0.0.1:443: connect: connection refused`},
		// A password in the user information, and a URL not quoted.
		{"post http://load:hunter2@kc/token failed", "post http://load:xxxxx@kc/token failed"},
		// Two URLs, and a known value outside them.
		{"from https://a/?token=t1 to https://b/#id_token=t2: s3cr3t-Pa55",
			"from https://a/?token=[REDACTED] to https://b/#id_token=[REDACTED]: [REDACTED]"},
		// Nothing to hide.
		{"read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout", "read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout"},
		// A value as %q writes it, escapes and all.
		{`parse "http://h/u/t\tab\x7f": invalid control character in URL`,
			`parse "http://h/u/[REDACTED]": invalid control character in URL`},
	} {
		if got := r.Message(tc.in); got != tc.want {
			t.Errorf("Message(%q) =\n %q; want\n %q", tc.in, got, tc.want)
		}
	}
	var nilR *Redactor // by name only
	if got := nilR.Message("GET http://u:p@h/"); got != "GET http://u:xxxxx@h/" {
		t.Errorf("a nil Redactor's Message = %q", got)
	}
}

// FuzzRedactorString checks that no known value survives String, whatever
// surrounds it.
func FuzzRedactorString(f *testing.F) {
	f.Add("s3cr3t-Pa55", "before s3cr3t-Pa55 after")
	f.Add("aaaa", "aaaaaaa")
	f.Add("abab", "ababab")
	f.Fuzz(func(t *testing.T, value, text string) {
		r := NewRedactor()
		r.Add(value)
		got := r.String(text)
		// A value made of the letters of [REDACTED] may be rebuilt by it.
		if len(value) >= MinRedactLen && !strings.ContainsAny(value, "[]REDACT") && strings.Contains(got, value) {
			t.Fatalf("String(%q) = %q still holds %q", text, got, value)
		}
		if !strings.Contains(text, value) && len(value) >= MinRedactLen && got != (*Redactor)(nil).String(text) && r.Len() == 1 {
			t.Fatalf("String(%q) = %q; changed text without the value %q", text, got, value)
		}
	})
}
