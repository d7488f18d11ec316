package scenario

import (
	"testing"
	"unsafe"

	"github.com/tidwall/gjson"
)

// jsonBenchCases are the extractions scenarios make from Keycloak's
// answers, each written as our path and as gjson's: from a token response
// (testdata/keycloak-token-oidc.json, 3.2 KB: a 1.3 KB access token, a
// refresh token, a 1 KB ID token, expires_in, token_type, session_state,
// scope, not-before-policy) top-level strings and numbers, first to last;
// from an introspection response (testdata/keycloak-introspect.json) nested
// members and array elements.
var jsonBenchCases = []struct {
	name, file, path, gpath string
}{
	{"token/access_token", "keycloak-token-oidc.json", "$.access_token", "access_token"},
	{"token/expires_in", "keycloak-token-oidc.json", "$.expires_in", "expires_in"},
	{"token/refresh_token", "keycloak-token-oidc.json", "$.refresh_token", "refresh_token"},
	{"token/id_token", "keycloak-token-oidc.json", "$.id_token", "id_token"},
	{"token/not-before-policy", "keycloak-token-oidc.json", "$['not-before-policy']", "not-before-policy"},
	{"token/scope", "keycloak-token-oidc.json", "$.scope", "scope"},
	{"introspect/realm_access.roles[2]", "keycloak-introspect.json", "$.realm_access.roles[2]", "realm_access.roles.2"},
	{"introspect/resource_access.account.roles[1]", "keycloak-introspect.json", "$.resource_access.account.roles[1]",
		"resource_access.account.roles.1"},
	{"introspect/active", "keycloak-introspect.json", "$.active", "active"},
}

// gjsonAppend is what an extractor built on gjson would do, the way gjson
// is meant to be used on a []byte: GetBytes copies the value it returns.
func gjsonAppend(dst, doc []byte, gpath string) []byte {
	return appendResult(dst, gjson.GetBytes(doc, gpath))
}

// gjsonAppendNoCopy is the allocation-free use of gjson: Get over a string
// that shares the body's memory, valid while the body is not changed.
func gjsonAppendNoCopy(dst, doc []byte, gpath string) []byte {
	return appendResult(dst, gjson.Get(unsafe.String(unsafe.SliceData(doc), len(doc)), gpath))
}

func appendResult(dst []byte, r gjson.Result) []byte {
	if r.Type == gjson.String {
		return append(dst, r.Str...)
	}
	return append(dst, r.Raw...)
}

// TestJSONBenchCases checks that the benchmark compares like with like:
// for each case, appendValue, encoding/json and both uses of gjson find the
// same value.
func TestJSONBenchCases(t *testing.T) {
	for _, c := range jsonBenchCases {
		doc := readTestdata(t, c.file)
		p, err := parseJSONPath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.appendValue(nil, doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if o, ok := oracleJSON(p, doc); !ok || o != string(got) || o == "" {
			t.Errorf("%s: appendValue %.20q…, encoding/json %.20q…, %v", c.name, got, o, ok)
		}
		if g := gjsonAppend(nil, doc, c.gpath); string(g) != string(got) {
			t.Errorf("%s: gjson %.20q…, appendValue %.20q…", c.name, g, got)
		}
		if g := gjsonAppendNoCopy(nil, doc, c.gpath); string(g) != string(got) {
			t.Errorf("%s: gjson over the body's memory %.20q…, appendValue %.20q…", c.name, g, got)
		}
	}
}

// BenchmarkJSONValue measures our scanner (impl=scan) against
// github.com/tidwall/gjson (impl=gjson: GetBytes; impl=gjson-nocopy: Get
// without the copy) on the cases above, appending the value to a reused
// buffer. Compare with
//
//	go test ./pkg/scenario -run '^$' -bench JSONValue -benchmem -count 6 > out.txt
//	benchstat -col /impl out.txt
//
// The decision it led to is in the package doc.
func BenchmarkJSONValue(b *testing.B) {
	for _, c := range jsonBenchCases {
		doc := readTestdata(b, c.file)
		p, err := parseJSONPath(c.path)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, len(doc))
		b.Run("impl=scan/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = p.appendValue(buf[:0], doc)
			}
		})
		b.Run("impl=gjson/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = gjsonAppend(buf[:0], doc, c.gpath)
			}
		})
		b.Run("impl=gjson-nocopy/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = gjsonAppendNoCopy(buf[:0], doc, c.gpath)
			}
		})
	}
}
