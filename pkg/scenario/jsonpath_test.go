package scenario

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func key(k string) jsonStep { return jsonStep{key: k, index: -1} }
func idx(i int) jsonStep    { return jsonStep{index: i} }

func TestParseJSONPath(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want jsonPath
		err  string // a part of the error, if any
	}{
		// The root.
		{"root", "$", nil, ""},
		// Dotted names.
		{"dotted", "$.a.b", jsonPath{key("a"), key("b")}, ""},
		// "$." is optional.
		{"no dollar", "a.b", jsonPath{key("a"), key("b")}, ""},
		// An index between names.
		{"index", "$.a[0].b", jsonPath{key("a"), idx(0), key("b")}, ""},
		// Indexes in a row, and at the root.
		{"indexes", "$[2][10]", jsonPath{idx(2), idx(10)}, ""},
		// Without "$", a path starts with a name.
		{"name then index", "items[3]", jsonPath{key("items"), idx(3)}, ""},
		// Quoted names hold anything; both quotes work.
		{"quoted", `$['key with space']["a.b"]`, jsonPath{key("key with space"), key("a.b")}, ""},
		// Escapes in quoted names.
		{"escapes", `$['it\'s \\ "x"']`, jsonPath{key(`it's \ "x"`)}, ""},
		// Dashes and other bytes in plain names, as Keycloak's not-before-policy.
		{"dash", "$.not-before-policy", jsonPath{key("not-before-policy")}, ""},
		// Non-ASCII plain names.
		{"unicode", "$.ключ", jsonPath{key("ключ")}, ""},
		// The empty path.
		{"empty", "", nil, "empty path"},
		// A name is needed after a dot.
		{"trailing dot", "$.a.", nil, "missing member name"},
		// Two dots.
		{"two dots", "$..a", nil, "unexpected '.'"},
		// "$" must be followed by . or [.
		{"dollar name", "$a", nil, "unexpected 'a' (want . or [)"},
		// A negative index.
		{"negative", "$[-1]", nil, "unexpected '-' after ["},
		// A wildcard.
		{"wildcard", "$.a[*]", nil, "unexpected '*' after ["},
		// No closing bracket.
		{"unclosed", "$.a[0", nil, "missing ]"},
		// No closing quote.
		{"unclosed quote", "$['a", nil, "unterminated quoted name"},
		// An unknown escape.
		{"bad escape", `$['\n']`, nil, `unknown escape \n`},
		// A huge index.
		{"huge index", "$[99999999999999999999]", nil, "out of range"},
		// Spaces are not allowed in plain names.
		{"space", "$.a b", nil, "unexpected ' '"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJSONPath(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseJSONPath(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJSONPath(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseJSONPath(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			again, err := parseJSONPath(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("String %q parses to %#v, %v", got.String(), again, err)
			}
		})
	}
}

const testDoc = `{
  "a": {"b": "x", "n": 12.50, "e": 1E+3, "t": true, "f": false, "z": null},
  "list": [ {"id": 1}, {"id": 2, "tags": [ "p", "q" ]} ],
  "key with space": "spaced",
  "esc": "tab\there \"q\" \u00e9 \ud83d\ude00 \ud800 \/",
  "acc\u0065ss": "escaped key",
  "dup": 1, "dup": 2,
  "obj": { "k" : [ 1 , "a b" , {} , [] ] },
  "bad\u00ffutf": "raw \u0000 nul",
  "empty": ""
}`

func TestJSONValue(t *testing.T) {
	tests := []struct {
		name, doc, path, want string
		err                   string // a part of the error, if any
	}{
		// Strings come out unquoted.
		{"string", testDoc, "$.a.b", "x", ""},
		// Numbers come out as written.
		{"number", testDoc, "a.n", "12.50", ""},
		// Exponents too.
		{"exponent", testDoc, "$.a.e", "1E+3", ""},
		// Booleans as their JSON text.
		{"true", testDoc, "$.a.t", "true", ""},
		{"false", testDoc, "$.a.f", "false", ""},
		// null is not a value.
		{"null", testDoc, "$.a.z", "", "value is null"},
		// Array elements.
		{"index", testDoc, "$.list[1].id", "2", ""},
		{"nested index", testDoc, "$.list[1].tags[1]", "q", ""},
		// Objects and arrays as compact JSON, escapes kept.
		{"object", testDoc, "$.obj", `{"k":[1,"a b",{},[]]}`, ""},
		{"array", testDoc, "$.list[1].tags", `["p","q"]`, ""},
		// The root.
		{"root", ` [1, 2] `, "$", `[1,2]`, ""},
		// Quoted names.
		{"quoted", testDoc, "$['key with space']", "spaced", ""},
		// Escapes, surrogate pairs, and a lone surrogate (U+FFFD).
		{"escapes", testDoc, "$.esc", "tab\there \"q\" é 😀 \uFFFD /", ""},
		// A member whose name is escaped in the document.
		{"escaped key", testDoc, "$.access", "escaped key", ""},
		// The first of two members with the same name.
		{"duplicate", testDoc, "$.dup", "1", ""},
		// The empty string is a value.
		{"empty string", testDoc, "$.empty", "", ""},
		// Missing member.
		{"missing", testDoc, "$.a.nope", "", `no member "nope"`},
		// Index past the end.
		{"past end", testDoc, "$.list[2]", "", "no element [2] in an array of 2"},
		// Index into an empty array.
		{"empty array", `{"a":[]}`, "$.a[0]", "", "empty array"},
		// A member of a string.
		{"member of string", testDoc, "$.a.b.c", "", `cannot take member "c" of a string`},
		// An element of an object.
		{"index of object", testDoc, "$.a[0]", "", "cannot take element [0] of an object"},
		// Not JSON at all: an HTML error page.
		{"html", "<html>502 Bad Gateway</html>", "$.a", "", "invalid JSON at byte 0: want a JSON value, got '<'"},
		// Truncated before the value.
		{"truncated", `{"a": {"b": `, "$.a.b", "", "unexpected end"},
		// Truncated inside the value.
		{"truncated value", `{"a": "abc`, "$.a", "", "unterminated string"},
		// A bad token after the value.
		{"after value", `{"a": truex}`, "$.a", "", "want , } or ]"},
		// A bad token before the value, in a skipped member.
		{"bad skipped", `{"x": [1 2], "a": 1}`, "$.a", "", "want , or ]"},
		// Garbage after the root.
		{"after root", `{} x`, "$", "", "data after the document"},
		// Bad numbers.
		{"leading zero", `{"x": 01, "a": 1}`, "$.a", "", "want , or }"},
		{"bare minus", `{"x": -, "a": 1}`, "$.a", "", "invalid number"},
		// The rest of the document is not read.
		{"early stop", `{"a": 1, garbage`, "$.a", "1", ""},
		// A control character in a string.
		{"control", "{\"x\": \"a\tb\", \"a\": 1}", "$.a", "", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseJSONPath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.appendValue([]byte("pre:"), []byte(tt.doc))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("%s = %q, %v; want error containing %q", tt.path, got, err, tt.err)
				}
				if string(got) != "pre:" {
					t.Errorf("dst changed to %q on error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.path, err)
			}
			if string(got) != "pre:"+tt.want {
				t.Errorf("%s = %q, want %q", tt.path, got, "pre:"+tt.want)
			}
			if o, ok := oracleJSON(p, []byte(tt.doc)); json.Valid([]byte(tt.doc)) && (!ok || o != tt.want) {
				t.Errorf("encoding/json says %q, %v", o, ok)
			}
		})
	}
}

func TestJSONInvalidUTF8(t *testing.T) {
	doc := []byte("{\"\xffk\": \"v\xffw\xc3\", \"k\": 1}")
	for path, want := range map[string]string{"$['\uFFFDk']": "v\uFFFDw\uFFFD", "$.k": "1"} {
		p, err := parseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.appendValue(nil, doc)
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
		if o, ok := oracleJSON(p, doc); !ok || o != want {
			t.Errorf("%s: encoding/json says %q, %v", path, o, ok)
		}
	}
}

func TestJSONDepth(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	_, err := jsonPath(nil).appendValue(nil, []byte(deep))
	if err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("error %v, want the depth limit", err)
	}
	ok := `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"a":7}`
	if got, err := (jsonPath{key("a")}).appendValue(nil, []byte(ok)); err != nil || string(got) != "7" {
		t.Errorf("past 100 levels: %q, %v", got, err)
	}
}

func TestJSONKeycloakToken(t *testing.T) {
	doc := readTestdata(t, "keycloak-token.json")
	var want map[string]any
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "refresh_token", "token_type", "session_state", "scope"} {
		got, err := (jsonPath{key(k)}).appendValue(nil, doc)
		if err != nil || string(got) != want[k] {
			t.Errorf("%s = %.20q…, %v; want %.20q…", k, got, err, want[k])
		}
	}
	if got, _ := (jsonPath{key("expires_in")}).appendValue(nil, doc); string(got) != "300" {
		t.Errorf("expires_in = %q", got)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oracleJSON resolves p in doc with encoding/json, token by token, taking the
// first member of a name as appendValue does. It is meant for valid
// documents.
func oracleJSON(p jsonPath, doc []byte) (string, bool) {
	raw := json.RawMessage(doc)
	for _, st := range p {
		dec := json.NewDecoder(bytes.NewReader(raw))
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		found := false
		if st.index >= 0 {
			if tok != json.Delim('[') {
				return "", false
			}
			for k := 0; dec.More() && !found; k++ {
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return "", false
				}
				raw, found = v, k == st.index
			}
		} else {
			if tok != json.Delim('{') {
				return "", false
			}
			for dec.More() && !found {
				kt, err := dec.Token()
				if err != nil {
					return "", false
				}
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return "", false
				}
				raw, found = v, kt.(string) == st.key
			}
		}
		if !found {
			return "", false
		}
	}
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 'n':
		return "", false
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", false
		}
		return b.String(), true
	}
	return string(raw), true
}

func TestOracleSelfCheck(t *testing.T) {
	// The oracle itself must agree with a plain Unmarshal where names are unique.
	doc := []byte(`{"a":{"b":[1,{"c":"d"}]}}`)
	if got, ok := oracleJSON(jsonPath{key("a"), key("b"), idx(1), key("c")}, doc); !ok || got != "d" {
		t.Errorf("oracle = %q, %v", got, ok)
	}
	if _, ok := oracleJSON(jsonPath{key("x")}, doc); ok {
		t.Error("oracle found a missing member")
	}
}

// TestSWARSafe checks the 8-byte test against the byte table: every byte
// value at every position of otherwise safe words, and pairs of unsafe bytes.
func TestSWARSafe(t *testing.T) {
	base := []byte("abcdefgh")
	check := func(w []byte) {
		want := true
		for _, c := range w {
			want = want && strSafe[c]
		}
		if got := swarSafe(binary.LittleEndian.Uint64(w)); got != want {
			t.Fatalf("swarSafe(%q) = %v, want %v", w, got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			w := slices.Clone(base)
			w[pos] = byte(c)
			check(w)
			for pos2 := pos + 1; pos2 < 8; pos2++ {
				for _, c2 := range []byte{0, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff, '!', '#', '[', ']'} {
					w2 := slices.Clone(w)
					w2[pos2] = c2
					check(w2)
				}
			}
		}
	}
}
