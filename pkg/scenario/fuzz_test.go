package scenario

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// refPlaceholder is an independent description of a placeholder, for
// FuzzCompile: the text after "{{" up to and including "}}".
var refPlaceholder = regexp.MustCompile(`^[ \t\r\n]*(?:"([^"]*)"|([A-Za-z0-9_.-]+))((?:[ \t\r\n]*\|[ \t\r\n]*[A-Za-z0-9_.-]+)*)[ \t\r\n]*\}\}`)

// refRender renders src the slow way, with regular expressions and the
// standard library, or reports that it does not compile.
func refRender(src string, vals map[string]string) (string, bool) {
	var out strings.Builder
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			out.WriteString(src)
			return out.String(), true
		}
		out.WriteString(src[:i])
		src = src[i+2:]
		m := refPlaceholder.FindStringSubmatchIndex(src)
		if m == nil {
			return "", false
		}
		var val string
		if m[2] >= 0 {
			val = src[m[2]:m[3]]
		} else {
			v, ok := vals[src[m[4]:m[5]]]
			if !ok {
				return "", false
			}
			val = v
		}
		for _, f := range strings.Split(src[m[6]:m[7]], "|")[1:] {
			fl, ok := filterByName(strings.TrimSpace(f))
			if !ok {
				return "", false
			}
			val = string(fl.append(nil, []byte(val)))
		}
		out.WriteString(val)
		src = src[m[1]:]
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{{a}}", "{{ a | urlencode }}", `{{"{{"}}`, `{"n":{{b}}}`, "{{a|base64|json}}",
		"{{", "{{a", "{{a|}}", "{{}}", "{{{a}}}", `{{"x"|base64url}}`, "x{{ user.name }}y", "{{a|nope}}",
		"grant_type=password&username={{a|urlencode}}&password={{b|urlencode}}",
	} {
		f.Add(s)
	}
	names, err := NewNames("a", "b", "user.name")
	if err != nil {
		f.Fatal(err)
	}
	vals := map[string]string{"a": "A &+/é", "b": "\"b\"\n", "user.name": ""}
	v := NewVars(names)
	for k, s := range vals {
		i, _ := names.Index(k)
		v.Set(i, s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(src, names)
		want, ok := refRender(src, vals)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.Offset < 0 || te.Offset > len(src) {
				t.Fatalf("error %v (%T) has no offset in the source", err, err)
			}
			if ok {
				t.Fatalf("Compile(%q): %v; the reference renders %q", src, err, want)
			}
			return
		}
		if !ok {
			t.Fatalf("Compile(%q) succeeds; the reference rejects it", src)
		}
		got := string(tpl.Append([]byte("p"), v))
		if got != "p"+want {
			t.Fatalf("Append(%q) = %q, the reference %q", src, got, "p"+want)
		}
		if text, static := tpl.Static(); static && text != want {
			t.Fatalf("Static = %q, but renders %q", text, want)
		}
		if !strings.Contains(src, "{{") && got != "p"+src {
			t.Fatalf("a template without placeholders renders %q", got)
		}
	})
}

func FuzzJSONPath(f *testing.F) {
	// Seeds stay small: minimizing an interesting input built from a 1.6 KB
	// token response takes the fuzzer longer than the run.
	token := `{"access_token":"eyJhbGciOi.eyJleHAiOjE3.Uv5VlDPk4C","expires_in":300,"not-before-policy":0,"scope":"openid email"}`
	for _, s := range [][2]string{
		{"$.access_token", token}, {"$", token}, {"not-before-policy", token},
		{"$.a[0].b", `{"a":[{"b":1}]}`}, {"$['key with space']", `{"key with space":"v"}`},
		{`$["a\"b"]`, `{"a\"b":[]}`}, {"a.b", `{"a":{"b":"\u00e9\ud800"}}`},
		{"$[1]", `[1,"x",{"y":null}]`}, {"$.a", `{"a":1,"a":2}`}, {"$.a", "{\"a\":\"\xff\"}"},
		{"$.obj", `{"obj": { "k" : [ 1 , "a b" , {} , [] ] }}`}, {"$[0]", "[ 1e5 , -0.5]"},
		{"$.esc", `{"esc": "tab\there \"q\" \u00e9 \ud83d\ude00 \ud800 \/"}`},
		{"$['']", `{"":true}`}, {"$.x", `{"x":"a\/b"}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := parseJSONPath(path)
		if err != nil {
			if !strings.Contains(err.Error(), "JSON path") {
				t.Fatalf("error %q does not say what it is about", err)
			}
			return
		}
		again, err := parseJSONPath(p.String())
		if err != nil || len(again) != len(p) {
			t.Fatalf("%q → %q does not parse back: %v", path, p.String(), err)
		}
		for i := range p {
			if again[i] != p[i] {
				t.Fatalf("%q → %q parses back to %v, not %v", path, p.String(), again, p)
			}
		}
		got, err := p.appendValue(nil, []byte(doc))
		if !json.Valid([]byte(doc)) {
			return
		}
		want, ok := oracleJSON(p, []byte(doc))
		if ok != (err == nil) || ok && string(got) != want {
			t.Fatalf("%s in %q = %q, %v; encoding/json says %q, %v", p, doc, got, err, want, ok)
		}
	})
}

func FuzzFormExtract(f *testing.F) {
	page := `<form id="kc-form-login" action="/auth?a=1&amp;b=2" method="post"><input name="username" value="">` +
		`<input type="hidden" name="credentialId" value="c&amp;1"/></form>`
	f.Add(page, "form.action", "n", "v", 0)
	f.Add(page, "#kc-form-login credentialId", "a b", "x&amp;y", 0)
	f.Add("<form><input name=a value=1><input name=a value=2>", "a", "a", "1", 1)
	f.Add("<script><input name=a value=x></script>", "input[name=a]", "a", "<", -1)
	f.Add("<!-- <form action=x> -->", "#f.action", "q\"", "'", 0)
	f.Add("<form id=f action='&#38;&amp;&lt'>", "#f.action", "", "", 0)
	f.Add("<FORM ACTION=A><INPUT NAME=N VALUE=V></FORM>", "form.action", "N", "V", 0)
	f.Fuzz(func(t *testing.T, body, expr, name, value string, index int) {
		// Any page and expression: no panic, and errors that wrap ErrNotFound.
		e, err := CompileExtractor(ExtractorSpec{Var: "x", From: FromForm, Expr: expr, Index: index % 4}, new(Names))
		if err == nil {
			if _, err := e.Extract(&Response{Body: []byte(body)}); err != nil && !errors.Is(err, ErrNotFound) {
				t.Fatalf("error %v does not wrap ErrNotFound", err)
			}
		}
		// A page with a known form: the input and the action come back as
		// written, whatever the fuzzed page holds after the form.
		if name == "" || !utf8.ValidString(name+value) || strings.ContainsAny(name+value, "\x00\r") {
			return // the tokenizer normalizes these, as browsers do
		}
		known := `<!DOCTYPE html><html><body><form id="f" action="` + html.EscapeString(value) + `?a=1&amp;b=2">` +
			`<input type="hidden" name="` + html.EscapeString(name) + `" value="` + html.EscapeString(value) + `"></form>` + body
		sel := `input[name="` + name + `"]`
		if strings.Contains(name, `"`) {
			sel = `input[name='` + name + `']`
		}
		if strings.Contains(name, `"`) && strings.Contains(name, `'`) {
			return
		}
		r := &Response{Body: []byte(known)}
		for _, c := range []struct{ expr, want string }{
			{"#f " + sel, value},
			{"form.action", value + "?a=1&b=2"},
			{"#f.action", value + "?a=1&b=2"},
		} {
			e, err := CompileExtractor(ExtractorSpec{Var: "x", From: FromForm, Expr: c.expr}, new(Names))
			if err != nil {
				t.Fatalf("CompileExtractor(%q): %v", c.expr, err)
			}
			if got, err := e.Extract(r); err != nil || got != c.want {
				t.Fatalf("%s in %q = %q, %v; want %q", c.expr, known, got, err, c.want)
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(testCSV), false)
	f.Add([]byte("a,b\n1,2\n3,4\n"), true)
	f.Add([]byte("a\n\"x\ny\"\n"), false)
	f.Add([]byte("a,b\n1\n"), false)
	f.Fuzz(func(t *testing.T, text []byte, shuffle bool) {
		d, err := ParseCSV(text, CSVOptions{Shuffle: shuffle, Seed: 7})
		if err != nil {
			return
		}
		// Compare with encoding/csv, record by record.
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))))
		header, _ := r.Read()
		var recs [][]string
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("ParseCSV accepted what encoding/csv rejects: %v", err)
			}
			recs = append(recs, rec)
		}
		if cols := d.Columns(); strings.Join(cols, "\x00") != strings.Join(header, "\x00") || d.Len() != int64(len(recs)) {
			t.Fatalf("columns %q × %d, encoding/csv %q × %d", cols, d.Len(), header, len(recs))
		}
		seen := make([]bool, len(recs))
		for n := range d.Len() {
			rec := d.Record(n)
			if seen[rec] {
				t.Fatalf("record %d handed out twice", rec)
			}
			seen[rec] = true
			for c := range header {
				if got := string(d.AppendField(nil, n, c)); got != recs[rec][c] {
					t.Fatalf("arrival %d column %d = %q, want %q", n, c, got, recs[rec][c])
				}
			}
		}
	})
}
