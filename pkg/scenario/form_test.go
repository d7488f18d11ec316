package scenario

import (
	"errors"
	"strings"
	"testing"
)

const loginAction = "https://sso.example.com/realms/load/login-actions/authenticate?session_code=Xg7tq2Jc0VhS1pQ8mZbR4wYdLkN3uFeA6oTiHsGjCvE&execution=1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b&client_id=barrage&tab_id=qW3eRt5yU7i&client_data=eyJydSI6Imh0dHBzOi8vYXBwLmV4YW1wbGUuY29tLyJ9"

func TestFormExtract(t *testing.T) {
	page := &Response{Status: 200, Body: readTestdata(t, "keycloak-login.html")}
	tests := []struct {
		name  string
		expr  string
		index int
		want  string
		err   string // a part of the error, if any
	}{
		// The first form's action, entity-decoded; the forms in the script and
		// the comment do not count.
		{"action", "form.action", 0, loginAction, ""},
		// Another attribute.
		{"method", "form.method", 0, "post", ""},
		// Attribute names are case-insensitive, as in HTML.
		{"upper case attribute", "form.ACTION", 0, loginAction, ""},
		// A form by id; a numeric entity in its action.
		{"by id", "#kc-select-try-another-way-form.action", 0, "https://sso.example.com/realms/load/login-actions/authenticate?execution=99&tab_id=qW3eRt5yU7i", ""},
		// The second form by Index.
		{"second form", "form.id", 1, "kc-select-try-another-way-form", ""},
		// The last form.
		{"last form", "form.id", -1, "kc-select-try-another-way-form", ""},
		// No such form.
		{"no such id", "#nope.action", 0, "", "0 matching form with id nope"},
		// A form without the attribute.
		{"no attribute", "form.target", 0, "", "form has no target attribute"},
		// An input by name, value entity-decoded.
		{"input", "credentialId", 0, "c0ffee&1", ""},
		// The selector spelling, with and without quotes.
		{"selector", "input[name=credentialId]", 0, "c0ffee&1", ""},
		{"quoted selector", `input[name="tryAnotherWay"]`, 0, "on", ""},
		// An input without a value attribute has the empty value.
		{"no value", "password", 0, "", ""},
		// The second input of the name, anywhere in the page.
		{"input index", "credentialId", 1, "second", ""},
		// An input in a chosen form.
		{"scoped", "#kc-select-try-another-way-form credentialId", 0, "second", ""},
		{"scoped selector", "#kc-form-login input[name='login']", 0, "Sign In", ""},
		// An input that is not in the chosen form.
		{"scoped missing", "#kc-form-login tryAnotherWay", 0, "", "0 matching input named tryAnotherWay in the form with id kc-form-login"},
		// Inputs in the script and the comment do not count.
		{"decoy", "username", 1, "", "1 matching input named username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := CompileExtractor(ExtractorSpec{Var: "x", From: FromForm, Expr: tt.expr, Index: tt.index}, new(Names))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Extract(page)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("Extract = %q, %v; want ErrNotFound containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Extract = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseFormExpr(t *testing.T) {
	tests := []struct {
		in   string
		want formFinder
		err  string // a part of the error, if any
	}{
		// A bare input name, kept as written (names are case-sensitive).
		{"csrfToken", formFinder{field: "csrfToken"}, ""},
		// Bracketed names are fine.
		{"user[email]", formFinder{field: "user[email]"}, ""},
		// The selector spelling.
		{"input[name=a b]", formFinder{field: "a b"}, ""},
		{"input[name='a b']", formFinder{field: "a b"}, ""},
		// A form attribute.
		{"form.action", formFinder{attr: "action"}, ""},
		// A form by id, whose id has dots: the attribute follows the last.
		{"#a.b.action", formFinder{formID: "a.b", attr: "action"}, ""},
		// An input in a form by id.
		{"#login  code", formFinder{formID: "login", field: "code"}, ""},
		// Errors.
		{"", formFinder{}, "empty input name"},
		{"form.", formFinder{}, "missing form attribute name"},
		{"form.a b", formFinder{}, "has ' ' at byte 1"},
		{"#", formFinder{}, "want #ID.ATTR"},
		{"#.action", formFinder{}, "empty form id"},
		{"# x", formFinder{}, "empty form id"},
		{"#f ", formFinder{}, "empty input name"},
		{"input[name=x", formFinder{}, "missing ]"},
		{"input[id=x]", formFinder{}, "want input[name=NAME]"},
		{"input[name=]", formFinder{}, "empty input name"},
		{`input[name="x]`, formFinder{}, "unbalanced quotes"},
		{"a b", formFinder{}, "has a space at byte 1"},
	}
	for _, tt := range tests {
		got, err := parseFormExpr(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseFormExpr(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || *got != tt.want {
			t.Errorf("parseFormExpr(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
