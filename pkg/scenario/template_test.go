package scenario

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// testNames declares a, b, username, password, client.id and token, in that
// order.
func testNames(t testing.TB) *Names {
	t.Helper()
	n, err := NewNames("a", "b", "username", "password", "client.id", "token")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testVars sets the variables of m, by name.
func testVars(t testing.TB, names *Names, m map[string]string) *Vars {
	t.Helper()
	v := NewVars(names)
	for k, s := range m {
		i, ok := names.Index(k)
		if !ok {
			t.Fatalf("variable %q not declared", k)
		}
		v.Set(i, s)
	}
	return v
}

func TestTemplateAppend(t *testing.T) {
	names := testNames(t)
	vars := map[string]string{
		"a": "A", "b": "", "username": "jo hn+1@x.com", "password": "p&ss=w\"d",
		"client.id": "barrage", "token": "ab?~",
	}
	tests := []struct {
		name, src, want string
	}{
		// No placeholder: the source, as is.
		{"plain", "https://a.example/x?y=1", "https://a.example/x?y=1"},
		// The empty template renders nothing.
		{"empty", "", ""},
		// A variable alone, and spaces inside the braces.
		{"variable", "{{a}}-{{ a }}-{{\ta\n}}", "A-A-A"},
		// A set but empty variable renders as nothing.
		{"empty value", "[{{b}}]", "[]"},
		// Names may hold dots and dashes.
		{"dotted name", "client_id={{client.id}}", "client_id=barrage"},
		// A Keycloak password grant, form-encoded.
		{"form body", "grant_type=password&client_id={{client.id|urlencode}}&username={{ username | urlencode }}&password={{password|urlencode}}",
			"grant_type=password&client_id=barrage&username=jo+hn%2B1%40x.com&password=p%26ss%3Dw%22d"},
		// JSON string content, inside quotes the template writes.
		{"json filter", `{"u":"{{username|json}}","p":"{{password | json}}"}`, `{"u":"jo hn+1@x.com","p":"p&ss=w\"d"}`},
		// JSON braces around a placeholder need no escape: {"n":{{a}}}.
		{"json braces", `{"n":{{a}}}`, `{"n":A}`},
		// base64 of user:password, for a Basic header.
		{"base64", "Basic {{token|base64}}", "Basic YWI/fg=="},
		// base64url is unpadded and URL-safe.
		{"base64url", "{{token|base64url}}", "YWI_fg"},
		// Filters chain left to right.
		{"chain", "{{token | base64 | urlencode}}", "YWI%2Ffg%3D%3D"},
		// Three filters: the intermediate results move within dst.
		{"chain of three", "x{{a|base64|base64|json}}y", "xUVE9PQ==y"},
		// The escape for a literal "{{".
		{"literal braces", `{{"{{"}}a}} {{"x"}}`, "{{a}} x"},
		// A literal may take filters, applied when compiling.
		{"literal with filter", `{{"a b" | urlencode}}`, "a+b"},
		// Lone braces are text.
		{"lone braces", "{a} }} {", "{a} }} {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(tt.src, names)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.src, err)
			}
			v := testVars(t, names, vars)
			got := string(tpl.Append([]byte("prefix:"), v))
			if want := "prefix:" + tt.want; got != want {
				t.Errorf("Append = %q, want %q", got, want)
			}
			if tpl.String() != tt.src {
				t.Errorf("String = %q, want %q", tpl.String(), tt.src)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	names := testNames(t)
	tests := []struct {
		name, src string
		offset    int
		want      string // a part of the message
	}{
		// A typo in a variable names the close match.
		{"unknown variable", "user={{usrname}}", 7, `unknown variable "usrname" (did you mean "username"?)`},
		// No close match in a small set: the declared names are listed.
		{"unknown, listed", "{{zzzzzzzz}}", 2, "declared: a, b, username, password, client.id, token"},
		// A typo in a filter.
		{"unknown filter", "{{a | urlencod}}", 6, `unknown filter "urlencod" (did you mean "urlencode"?); the filters are urlencode, json, base64, base64url`},
		// No closing braces.
		{"unterminated", "x {{a", 2, "unterminated placeholder"},
		// No closing braces after a filter.
		{"unterminated after filter", "{{a | json ", 0, "unterminated placeholder"},
		// "{{" at the very end.
		{"open at end", "abc{{", 3, "unterminated placeholder"},
		// Nothing between the braces.
		{"empty placeholder", "a{{ }}", 1, "empty placeholder"},
		// A pipe with no filter.
		{"missing filter", "{{a|}}", 4, "missing filter name"},
		// Two names.
		{"two names", "{{a b}}", 4, `unexpected 'b'`},
		// Three braces: the hint shows the escape.
		{"triple brace", "{{{a}}}", 2, `write a literal "{{" as {{"{{"}}`},
		// A quoted literal without its closing quote.
		{"unterminated literal", `{{"abc}}`, 2, "unterminated string literal"},
		// A character that cannot start a name.
		{"bad name", "{{ $a }}", 3, `unexpected '$'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(tt.src, names)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tt.src, tpl)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not a *TemplateError", err)
			}
			if te.Offset != tt.offset {
				t.Errorf("Offset = %d, want %d (%v)", te.Offset, tt.offset, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestTemplateErrorMessageTrimsLongSource(t *testing.T) {
	src := strings.Repeat("x", 200) + "{{nope}}" + strings.Repeat("y", 200)
	_, err := Compile(src, testNames(t))
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); len(msg) > 200 || !strings.Contains(msg, "{{nope}}") || !strings.Contains(msg, "byte 202") {
		t.Errorf("message %q: want a short excerpt around the placeholder and its offset", msg)
	}
}

func TestTemplateStaticUsesMissing(t *testing.T) {
	names := testNames(t)
	tests := []struct {
		name, src  string
		static     bool
		text       string
		uses       []string
		setMissing string // the first unused variable when only a is set
	}{
		// Plain text is static.
		{"plain", "GET /x", true, "GET /x", nil, ""},
		// Literals fold into static text.
		{"literal", `a{{"{{"}}b`, true, "a{{b", nil, ""},
		// A variable is not static; b is unset.
		{"variables", "{{a}}{{b}}{{a}}", false, "", []string{"a", "b"}, "b"},
		// Every variable set.
		{"set", "/{{a}}", false, "", []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(tt.src, names)
			if err != nil {
				t.Fatal(err)
			}
			text, static := tpl.Static()
			if static != tt.static || text != tt.text {
				t.Errorf("Static = %q, %v; want %q, %v", text, static, tt.text, tt.static)
			}
			var uses []string
			for _, i := range tpl.Uses() {
				uses = append(uses, names.Name(i))
			}
			if strings.Join(uses, ",") != strings.Join(tt.uses, ",") {
				t.Errorf("Uses = %v, want %v", uses, tt.uses)
			}
			v := testVars(t, names, map[string]string{"a": "1"})
			i, missing := tpl.Missing(v)
			if got := names.Name(i); missing != (tt.setMissing != "") || got != tt.setMissing {
				t.Errorf("Missing = %q, %v; want %q", got, missing, tt.setMissing)
			}
		})
	}
}

// TestFiltersMatchStandardLibrary compares each filter with the standard
// library function it stands for.
func TestFiltersMatchStandardLibrary(t *testing.T) {
	inputs := []string{
		"", "plain", "a b+c&d=e/f?g#h%i", "ünïcödé ✓", "\x00\x01\x1f\x7f", "\"quoted\" \\ back",
		"<tag> & 'apos'", "\u2028\u2029", "\xff\xfe invalid", "tab\tnew\nline\rcr\b\f", "~-._",
	}
	for _, in := range inputs {
		if got, want := string(filterURL.append(nil, []byte(in))), url.QueryEscape(in); got != want {
			t.Errorf("urlencode(%q) = %q, want %q", in, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := `"` + string(filterJSON.append(nil, []byte(in))) + `"`; got != want {
			t.Errorf("json(%q) = %s, want %s", in, got, want)
		}
		if got, want := string(filterBase64.append(nil, []byte(in))), base64.StdEncoding.EncodeToString([]byte(in)); got != want {
			t.Errorf("base64(%q) = %q, want %q", in, got, want)
		}
		if got, want := string(filterBase64URL.append(nil, []byte(in))), base64.RawURLEncoding.EncodeToString([]byte(in)); got != want {
			t.Errorf("base64url(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTemplateAppendDoesNotAllocate(t *testing.T) {
	names := testNames(t)
	tpl, err := Compile("grant_type=password&client_id={{client.id}}&username={{username|urlencode}}&password={{password|json|base64}}", names)
	if err != nil {
		t.Fatal(err)
	}
	v := testVars(t, names, map[string]string{"client.id": "barrage", "username": "user 1", "password": "p@ss"})
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = tpl.Append(buf[:0], v) }); n != 0 {
		t.Errorf("Append allocates %v times per run, want 0", n)
	}
}
