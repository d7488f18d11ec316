package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchBody is a Keycloak password grant, as a runner renders it per
// iteration.
const benchBody = "grant_type=password&client_id={{client.id}}&client_secret={{token}}&scope=openid" +
	"&username={{username | urlencode}}&password={{password | urlencode}}"

func benchVars(b *testing.B, names *Names) *Vars {
	return testVars(b, names, map[string]string{
		"client.id": "barrage", "token": "8a3f0c2e-9d1b-4c6a-b7e5-2f4d6a8c0e1b",
		"username": "user-4242@example.com", "password": "pass-4242 &=", "a": strings.Repeat("x", 64),
	})
}

// BenchmarkAppend renders templates into a reused buffer: every case must
// report 0 allocs/op.
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"static", "https://sso.example.com/realms/load/protocol/openid-connect/token"},
		{"form", benchBody},
		{"json", `{"username":"{{username|json}}","password":"{{password|json}}"}`},
		{"basic", "Basic {{a | base64}}"},
		{"chain", "{{a | base64 | urlencode}}"},
	} {
		b.Run(c.name, func(b *testing.B) {
			names := testNames(b)
			tpl, err := Compile(c.src, names)
			if err != nil {
				b.Fatal(err)
			}
			v := benchVars(b, names)
			buf := tpl.Append(nil, v)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = tpl.Append(buf[:0], v)
			}
		})
	}
}

// BenchmarkExtractJSON takes access_token (the first member) and scope (the
// last) from a 1.6 KB Keycloak token response into a reused Vars.
func BenchmarkExtractJSON(b *testing.B) {
	for _, path := range []string{"$.access_token", "$.scope"} {
		b.Run(strings.TrimPrefix(path, "$."), func(b *testing.B) {
			names := new(Names)
			e, err := CompileExtractor(ExtractorSpec{Var: "x", From: FromJSON, Expr: path}, names)
			if err != nil {
				b.Fatal(err)
			}
			r := testResponse(b)
			v := NewVars(names)
			b.SetBytes(int64(len(r.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := e.Apply(r, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtractOther measures the other sources on realistic responses.
func BenchmarkExtractOther(b *testing.B) {
	page := &Response{Body: readTestdata(b, "keycloak-login.html")}
	for _, c := range []struct {
		name string
		spec ExtractorSpec
		r    *Response
	}{
		{"form.action", ExtractorSpec{Var: "x", From: FromForm, Expr: "form.action"}, page},
		{"regex", ExtractorSpec{Var: "x", From: FromRegex, Expr: `"access_token":"([^"]+)"`}, testResponse(b)},
		{"header", ExtractorSpec{Var: "x", From: FromHeader, Expr: "content-type"}, testResponse(b)},
		{"cookie", ExtractorSpec{Var: "x", From: FromCookie, Expr: "KC_AUTH_STATE"}, testResponse(b)},
	} {
		b.Run(c.name, func(b *testing.B) {
			names := new(Names)
			e, err := CompileExtractor(c.spec, names)
			if err != nil {
				b.Fatal(err)
			}
			v := NewVars(names)
			b.ReportAllocs()
			for b.Loop() {
				if err := e.Apply(c.r, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCSV reads rows of a shuffled dataset of 1,000,000 rows.
func BenchmarkCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("username,password\n")
	for i := range 1_000_000 {
		fmt.Fprintf(&sb, "user-%d,pass-%d\n", i, i)
	}
	d, err := ParseCSV([]byte(sb.String()), CSVOptions{Shuffle: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	names := new(Names)
	bind, err := Bind(d, names)
	if err != nil {
		b.Fatal(err)
	}
	v := NewVars(names)
	b.ReportAllocs()
	n := int64(0)
	for b.Loop() {
		bind.Load(v, n)
		n += 7919
	}
}

// BenchmarkExtractJSONStdlib is the yardstick for BenchmarkExtractJSON:
// encoding/json decoding access_token into a struct.
func BenchmarkExtractJSONStdlib(b *testing.B) {
	body := readTestdata(b, "keycloak-token.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(body, &tok); err != nil {
			b.Fatal(err)
		}
	}
}
