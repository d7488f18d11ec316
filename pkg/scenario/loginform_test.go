package scenario

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestLoginFormPick reads saved pages of several providers' login chains
// (testdata/login; written for these tests after each provider's
// templates) and checks which form a browser login submits, what the page
// is, and what it posts for user alice with password pw: the user and
// password where they belong, every other input as served (hidden ones,
// CSRF tokens), the accepting button, never a disabled control.
func TestLoginFormPick(t *testing.T) {
	tests := []struct {
		page   string
		opts   LoginForm
		kind   PageKind
		action string // the picked form's action
		want   url.Values
	}{
		// Keycloak (keycloak.v2 theme): the form with the password input,
		// not the "try another way" form after it; the hidden
		// credentialId and the login button posted back.
		{"../keycloak-login.html", LoginForm{}, LoginPage,
			"https://sso.example.com/realms/load/login-actions/authenticate?session_code=Xg7tq2Jc0VhS1pQ8mZbR4wYdLkN3uFeA6oTiHsGjCvE&execution=1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b&client_id=barrage&tab_id=qW3eRt5yU7i&client_data=eyJydSI6Imh0dHBzOi8vYXBwLmV4YW1wbGUuY29tLyJ9",
			url.Values{"username": {"alice"}, "password": {"pw"}, "credentialId": {"c0ffee&1"}, "login": {"Sign In"}}},
		// Keycloak again, the form named by its id.
		{"../keycloak-login.html", LoginForm{Selector: "#kc-form-login"}, LoginPage, "",
			url.Values{"username": {"alice"}, "password": {"pw"}, "credentialId": {"c0ffee&1"}, "login": {"Sign In"}}},
		// zitadel/oidc's example OP: a user-name input without a type, the
		// auth request's id hidden, a button without a name.
		{"zitadel-example.html", LoginForm{}, LoginPage, "/login/username",
			url.Values{"id": {"c7f0a1e2-4b3d-4c5e-9f60-718293a4b5c6"}, "username": {"alice"}, "password": {"pw"}}},
		// hydra's reference login app: the user is an email input, a CSRF
		// token and the login challenge hidden, an unchecked remember box,
		// two submit buttons of one name ("Log in" is clicked, not "Deny").
		{"hydra-login.html", LoginForm{}, LoginPage, "/login",
			url.Values{"_csrf": {"mK3pQ9x2-Lz7vYt1wR8sNcE4bJ0aUdFhGi6o"}, "challenge": {"0d8b2c1f9e7a46b5a3c2d1e0f9a8b7c6"},
				"email": {"alice"}, "password": {"pw"}, "submit": {"Log in"}}},
		// hydra's consent page: nothing typed, so a consent; the scopes it
		// asks for are granted, "do not ask me again" is not, "Allow
		// access" is clicked.
		{"hydra-consent.html", LoginForm{}, ConsentPage, "/consent",
			url.Values{"challenge": {"5e1f0a9b8c7d4e3f2a1b0c9d8e7f6a5b"}, "_csrf": {"Zt8rW2qL-Pn4xYc7vB1mKj9sDf3gHa6e"},
				"grant_scope": {"openid", "offline_access"}, "submit": {"Allow access"}}},
		// Dex's password connector names the user input "login".
		{"dex-login.html", LoginForm{}, LoginPage, "/dex/auth/local/login?back=&state=r6xq3vdkzkx4lqhbdmoe3s2s5",
			url.Values{"login": {"alice"}, "password": {"pw"}}},
		// Dex's approval page: two forms; the one that grants is picked,
		// though the one that cancels comes first.
		{"dex-approval.html", LoginForm{}, ConsentPage, "",
			url.Values{"req": {"ewmoxh3frlvk5ymdbk3zmhjqf"}, "approval": {"approve"}}},
		// Auth0-like identifier-first login, page one: a user input and no
		// password (a nameless decoy password input and one inside a
		// script do not count); the state and the extra hidden inputs
		// posted back; the social login form after it left alone.
		{"auth0-identifier.html", LoginForm{}, IdentifierPage, "",
			url.Values{"state": {"hKFo2SBTbE9OVlJ3MnhmUHEtZ0NHYzJfVTl0Zk1sQU1sRmxIZKFur3VuaXZlcnNhbC1sb2dpbqN0aWTZIFZ0"},
				"username": {"alice"}, "js-available": {"false"}, "webauthn-available": {"false"}, "is-brave": {"false"},
				"webauthn-platform-available": {"false"}, "action": {"default"}}},
		// Page two: the password, with a CSRF token.
		{"auth0-password.html", LoginForm{}, LoginPage, "",
			url.Values{"state": {"hKFo2SBTbE9OVlJ3MnhmUHEtZ0NHYzJfVTl0Zk1sQU1sRmxIZKFur3VuaXZlcnNhbC1sb2dpbqN0aWTZIFZ0"},
				"_csrf": {"a1B2c3D4-e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"}, "username": {"alice"}, "password": {"pw"}, "action": {"default"}}},
		// A Django-style page (authentik-like): a search form and a
		// language form before the login form, a CSRF token, a user
		// input named uid_field, disabled controls left out.
		{"django-csrf.html", LoginForm{}, LoginPage, "/if/flow/default-authentication-flow/?next=%2Fapplication%2Fo%2Fauthorize%2F",
			url.Values{"csrfmiddlewaretoken": {"Nq7fYpLw2Xk9RtVb3Hs6DmCz1Ja8Ue4G"}, "component": {"ak-stage-identification"},
				"uid_field": {"alice"}, "password": {"pw"}, "submit": {"login"}}},
		// Keycloak's consent page: "accept" is clicked, not "cancel".
		{"keycloak-consent.html", LoginForm{}, ConsentPage,
			"http://127.0.0.1:8080/realms/bench/login-actions/consent?client_id=web&tab_id=aB3dE5fG7hI",
			url.Values{"code": {"Wq9eRt2yUi4oPa6sDf8gHj0kLz1xCv3bNm5"}, "accept": {"Yes"}}},
		// Two forms with a password input: the first (a registration form)
		// without options…
		{"two-password-forms.html", LoginForm{}, LoginPage, "/account/register",
			url.Values{"csrf_token": {"IjY3ZjBhMWUyNGIzZDRjNWU5ZjYwNzE4MjkzYTRiNWM2Ig"}, "email": {"alice"}, "new_password": {"pw"}}},
		// …the login form by its id, or by a part of its action; the user
		// input found by its name (j_username).
		{"two-password-forms.html", LoginForm{Selector: "#login-form"}, LoginPage, "/account/login?next=%2Foauth%2Fauthorize",
			url.Values{"csrf_token": {"IjY3ZjBhMWUyNGIzZDRjNWU5ZjYwNzE4MjkzYTRiNWM2Ig"}, "j_username": {"alice"}, "j_password": {"pw"}, "signin": {"Sign in"}}},
		{"two-password-forms.html", LoginForm{Selector: "/account/login"}, LoginPage, "/account/login?next=%2Foauth%2Fauthorize",
			url.Values{"csrf_token": {"IjY3ZjBhMWUyNGIzZDRjNWU5ZjYwNzE4MjkzYTRiNWM2Ig"}, "j_username": {"alice"}, "j_password": {"pw"}, "signin": {"Sign in"}}},
		// The fields named by the options.
		{"two-password-forms.html", LoginForm{Selector: "#login-form", Username: "csrf_token", Password: "j_password"}, LoginPage, "",
			url.Values{"csrf_token": {"alice"}, "j_username": {""}, "j_password": {"pw"}, "signin": {"Sign in"}}},
		// An error page: its only form asks for typing (a search): nothing
		// to submit.
		{"error-page.html", LoginForm{}, NoForm, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.page+" "+tt.opts.Selector, func(t *testing.T) {
			page, err := os.ReadFile(filepath.Join("testdata", "login", tt.page))
			if err != nil {
				t.Fatal(err)
			}
			f, kind := tt.opts.Pick(ParseForms(page))
			if kind != tt.kind {
				t.Fatalf("page is %v; want %v", kind, tt.kind)
			}
			if f == nil {
				return
			}
			if tt.action != "" && f.Action != tt.action {
				t.Errorf("form action %q; want %q", f.Action, tt.action)
			}
			if f.Method != "POST" {
				t.Errorf("method %q; want POST", f.Method)
			}
			if got := tt.opts.Submission(f, kind, "alice", "pw"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("posts\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
}

// TestParseForms: the parts of HTML forms the login reads.
func TestParseForms(t *testing.T) {
	page := `<form id=a action="/x?a=1&amp;b=2"><input name=t><input type=checkbox name=c>
<select name=s><option>first</option><option value=2 selected>two</option></select>
<textarea name=ta>some text</textarea><button name=b value=v>Click <b>me</b></button>
<form><input name=nested></form></form>
<input name=outside form=a value=o><input name=stray>
<form method=post><input type=radio name=r value=1><input type=radio name=r value=2 checked></form>`
	forms := ParseForms([]byte(page))
	if len(forms) != 2 {
		t.Fatalf("%d forms; want 2: %+v", len(forms), forms)
	}
	a := forms[0]
	if a.ID != "a" || a.Action != "/x?a=1&b=2" || a.Method != "GET" || forms[1].Method != "POST" {
		t.Errorf("forms %+v", forms)
	}
	want := []Field{
		{Tag: "input", Type: "text", Name: "t"},
		{Tag: "input", Type: "checkbox", Name: "c", Value: "on"},
		{Tag: "select", Name: "s", Value: "2"},
		{Tag: "textarea", Name: "ta", Value: "some text"},
		{Tag: "button", Type: "submit", Name: "b", Value: "v", Label: "Click me"},
		{Tag: "input", Type: "text", Name: "nested"},
		{Tag: "input", Type: "text", Name: "outside", Value: "o"},
	}
	if !reflect.DeepEqual(a.Fields, want) {
		t.Errorf("fields\n %+v\nwant\n %+v", a.Fields, want)
	}
	if got := (LoginForm{}).Submission(&forms[1], ConsentPage, "", ""); !reflect.DeepEqual(got, url.Values{"r": {"2"}}) {
		t.Errorf("radios post %v; want the checked one", got)
	}
}

// FuzzParseForms: any page parses, and whatever form a login picks on it
// submits without panicking, with the user and password where a login or
// identifier page puts them.
func FuzzParseForms(f *testing.F) {
	for _, name := range []string{"zitadel-example.html", "hydra-consent.html", "dex-approval.html", "auth0-identifier.html"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "login", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<form><select name=s><option selected>x</select><button>a<form form=q></button>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		for _, opts := range []LoginForm{{}, {Selector: "#a", Username: "u", Password: "p"}} {
			form, kind := opts.Pick(ParseForms(page))
			if (form == nil) != (kind == NoForm) {
				t.Fatalf("form %v with kind %v", form, kind)
			}
			if form == nil {
				continue
			}
			v := opts.Submission(form, kind, "USER", "PASS")
			if kind == LoginPage && opts.Password != "" && v.Get(opts.Password) != "PASS" {
				t.Fatalf("a login page's submission %v lacks the password in %s", v, opts.Password)
			}
		}
	})
}
