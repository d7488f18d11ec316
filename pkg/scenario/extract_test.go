package scenario

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

func ptr(s string) *string { return &s }

// testResponse is a token response with cookies and a repeated header.
func testResponse(t testing.TB) *Response {
	return &Response{
		Status: 200,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"X-Trace":      {"t1", "t2", "t3"},
			"Location":     {"https://app.example.com/cb?state=s1&session_state=5b1c&code=c0de.1-2"},
			"Set-Cookie": {
				`AUTH_SESSION_ID=abc.node1; Version=1; Path=/realms/load/; SameSite=None; Secure; HttpOnly`,
				`KC_RESTART=; Version=1; Expires=Thu, 01-Jan-1970 00:00:10 GMT; Max-Age=0; Path=/realms/load/`,
				` KC_AUTH_STATE = "quoted" ; Path=/`,
				`AUTH_SESSION_ID=second; Path=/`,
			},
		},
		Body: readTestdata(t, "keycloak-token.json"),
	}
}

func TestExtract(t *testing.T) {
	r := testResponse(t)
	tests := []struct {
		name string
		spec ExtractorSpec
		want string
		err  string // a part of the error, if any
	}{
		// A JSON path.
		{"json", ExtractorSpec{Var: "t", From: FromJSON, Expr: "$.token_type"}, "Bearer", ""},
		// A JSON number.
		{"json number", ExtractorSpec{Var: "t", From: FromJSON, Expr: "expires_in"}, "300", ""},
		// A missing member, and its default.
		{"json missing", ExtractorSpec{Var: "t", From: FromJSON, Expr: "$.id_token"}, "", `extract t from json "$.id_token": not found: no member "id_token"`},
		{"json default", ExtractorSpec{Var: "t", From: FromJSON, Expr: "$.id_token", Default: ptr("none")}, "none", ""},
		// A regex's first capture group.
		{"regex group", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"session_state":"([0-9a-f]{8})`}, "5b1c3c4e", ""},
		// Without a group, the whole match.
		{"regex match", ExtractorSpec{Var: "t", From: FromRegex, Expr: `Bear\w+`}, "Bearer", ""},
		// Index picks a later match; -1 is the last.
		{"regex index", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"(\w+)_in"`, Index: 1}, "refresh_expires", ""},
		{"regex last", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"(\w+)_in"`, Index: -1}, "refresh_expires", ""},
		{"regex -2", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"(\w+)_in"`, Index: -2}, "expires", ""},
		{"regex -3", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"(\w+)_in"`, Index: -3}, "", "2 matches: not found"},
		{"regex past end", ExtractorSpec{Var: "t", From: FromRegex, Expr: `"(\w+)_in"`, Index: 2}, "", "2 matches: not found"},
		// A group that did not take part in the match.
		{"regex no capture", ExtractorSpec{Var: "t", From: FromRegex, Expr: `(nomatch)?Bearer`}, "", "no capture"},
		// A regex over a header: the code of an authorization-code redirect.
		{"regex header", ExtractorSpec{Var: "t", From: FromRegex, Header: "location", Expr: `[?&]code=([^&]+)`}, "c0de.1-2", ""},
		// Index counts matches across the header's values.
		{"regex header index", ExtractorSpec{Var: "t", From: FromRegex, Header: "X-Trace", Expr: `t\d`, Index: 2}, "t3", ""},
		{"regex header last", ExtractorSpec{Var: "t", From: FromRegex, Header: "X-Trace", Expr: `t(\d)`, Index: -1}, "3", ""},
		{"regex header missing", ExtractorSpec{Var: "t", From: FromRegex, Header: "X-None", Expr: `.`}, "", "0 matches in header X-None"},
		// Headers are case-insensitive; the first value, or the one at Index.
		{"header", ExtractorSpec{Var: "t", From: FromHeader, Expr: "content-type"}, "application/json", ""},
		{"header index", ExtractorSpec{Var: "t", From: FromHeader, Expr: "X-TRACE", Index: 2}, "t3", ""},
		{"header last", ExtractorSpec{Var: "t", From: FromHeader, Expr: "x-trace", Index: -1}, "t3", ""},
		{"header missing", ExtractorSpec{Var: "t", From: FromHeader, Expr: "Retry-After"}, "", "0 values: not found"},
		// Cookies by name, first or at Index; an expired cookie's empty value
		// is a value; spaces and quotes are trimmed.
		{"cookie", ExtractorSpec{Var: "t", From: FromCookie, Expr: "AUTH_SESSION_ID"}, "abc.node1", ""},
		{"cookie index", ExtractorSpec{Var: "t", From: FromCookie, Expr: "AUTH_SESSION_ID", Index: 1}, "second", ""},
		{"cookie empty", ExtractorSpec{Var: "t", From: FromCookie, Expr: "KC_RESTART"}, "", ""},
		{"cookie quoted", ExtractorSpec{Var: "t", From: FromCookie, Expr: "KC_AUTH_STATE"}, "quoted", ""},
		// Cookie names are case-sensitive.
		{"cookie case", ExtractorSpec{Var: "t", From: FromCookie, Expr: "auth_session_id"}, "", "0 cookies of that name"},
		// A form extractor on a JSON body finds nothing.
		{"form on json", ExtractorSpec{Var: "t", From: FromForm, Expr: "form.action"}, "", "0 matching form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := new(Names)
			e, err := CompileExtractor(tt.spec, names)
			if err != nil {
				t.Fatalf("CompileExtractor(%v): %v", tt.spec, err)
			}
			got, err := e.Extract(r)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("Extract = %q, %v; want ErrNotFound containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Extract = %q, %v; want %q", got, err, tt.want)
			}
			v := NewVars(names)
			if err := e.Apply(r, v); err != nil {
				t.Fatal(err)
			}
			if s, ok := v.Get(e.Var()); !ok || s != tt.want {
				t.Errorf("after Apply, %s = %q, %v", names.Name(e.Var()), s, ok)
			}
		})
	}
}

func TestExtractorSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec ExtractorSpec
		want []string // the fields named, in order; nil for a valid spec
		msg  string   // a part of the message
	}{
		// A valid spec.
		{"valid", ExtractorSpec{Var: "token", From: FromJSON, Expr: "$.access_token"}, nil, ""},
		// Every field wrong at once.
		{"all wrong", ExtractorSpec{Var: "a b", From: "jsn"}, []string{"var", "expr", "from"}, `unknown source "jsn" (did you mean "json"?)`},
		// No source.
		{"no from", ExtractorSpec{Var: "x", Expr: "a"}, []string{"from"}, "is empty (want one of json, regex, header, cookie, form)"},
		// A bad JSON path.
		{"bad path", ExtractorSpec{Var: "x", From: FromJSON, Expr: "$.a["}, []string{"expr"}, `JSON path "$.a["`},
		// Index with json.
		{"json index", ExtractorSpec{Var: "x", From: FromJSON, Expr: "$.a", Index: 1}, []string{"index"}, "$.a[1]"},
		// A bad regular expression.
		{"bad regex", ExtractorSpec{Var: "x", From: FromRegex, Expr: "a(b"}, []string{"expr"}, "missing closing )"},
		// A header name with a space.
		{"bad header", ExtractorSpec{Var: "x", From: FromHeader, Expr: "Content Type"}, []string{"expr"}, "not a valid name"},
		// A cookie name with '='.
		{"bad cookie", ExtractorSpec{Var: "x", From: FromCookie, Expr: "a=b"}, []string{"expr"}, "not a valid name"},
		// Header is for regex only, and must be a header name.
		{"header not regex", ExtractorSpec{Var: "x", From: FromJSON, Expr: "$.a", Header: "Location"}, []string{"header"}, "only for regex, not json"},
		{"bad regex header", ExtractorSpec{Var: "x", From: FromRegex, Expr: "a", Header: "a:b"}, []string{"header"}, "not a valid name"},
		// A bad form expression.
		{"bad form", ExtractorSpec{Var: "x", From: FromForm, Expr: "#kc-form"}, []string{"expr"}, "want #ID.ATTR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			var fields []string
			for _, e := range joined(err) {
				var fe *events.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("error %T is not a *events.FieldError", e)
				}
				fields = append(fields, fe.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tt.want, ",") {
				t.Errorf("fields %v, want %v (%v)", fields, tt.want, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if _, cerr := CompileExtractor(tt.spec, new(Names)); (cerr == nil) != (err == nil) {
				t.Errorf("CompileExtractor: %v, Validate: %v", cerr, err)
			}
		})
	}
}

// joined splits an errors.Join error into its parts.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestApplyFailureUnsets(t *testing.T) {
	names := new(Names)
	e, err := CompileExtractor(ExtractorSpec{Var: "code", From: FromRegex, Expr: `code=(\w+)`}, names)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVars(names)
	if err := e.Apply(&Response{Body: []byte("x?code=abc&y")}, v); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(&Response{Body: []byte("no code here")}, v); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Apply = %v, want ErrNotFound", err)
	}
	if v.IsSet(e.Var()) {
		t.Error("a failed Apply left the old value set")
	}
}

func TestExtractorSpecString(t *testing.T) {
	s := ExtractorSpec{Var: "t", From: FromRegex, Expr: "a(b)", Header: "Location", Index: -1, Default: ptr("")}
	if got, want := s.String(), `t = regex a(b) in Location [-1] (default "")`; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestExtractJSONDoesNotAllocate(t *testing.T) {
	names := new(Names)
	e, err := CompileExtractor(ExtractorSpec{Var: "token", From: FromJSON, Expr: "$.access_token"}, names)
	if err != nil {
		t.Fatal(err)
	}
	r := testResponse(t)
	v := NewVars(names)
	if err := e.Apply(r, v); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = e.Apply(r, v) }); n != 0 {
		t.Errorf("Apply allocates %v times per run, want 0", n)
	}
}
