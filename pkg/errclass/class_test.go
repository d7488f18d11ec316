package errclass

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// contractNames is the list of error classes in CONTRACT.md, in its order.
var contractNames = []string{"timeout", "connect_refused", "connect_timeout", "addr_in_use",
	"too_many_open_files", "dns", "tls", "reset", "eof", "goaway", "refused_stream", "canceled", "other",
	"unexpected_status", "extract", "protocol", "forbidden_host"}

func TestNamesAreTheContracts(t *testing.T) {
	if got, want := int(NumClasses), len(contractNames)+1; got != want {
		t.Fatalf("NumClasses = %d, want %d (the contract's classes and None)", got, want)
	}
	if got := None.String(); got != "none" {
		t.Errorf("None.String() = %q, want %q", got, "none")
	}
	for i, want := range contractNames {
		if got := Class(i + 1).String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", i+1, got, want)
		}
	}
}

func TestStringDistinctAndParseRoundTrips(t *testing.T) {
	seen := map[string]Class{}
	for c := None; c < NumClasses; c++ {
		s := c.String()
		if s == "" || s == "invalid" {
			t.Errorf("Class(%d).String() = %q", c, s)
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("Class(%d) and Class(%d) are both %q", prev, c, s)
		}
		seen[s] = c
		got, ok := Parse(s)
		if !ok || got != c {
			t.Errorf("Parse(%q) = %v, %v; want %v, true", s, got, ok, c)
		}
	}
	for _, s := range []string{"", "invalid", "Timeout", " eof", "other "} {
		if got, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %v, true; want false", s, got)
		}
	}
	if got := NumClasses.String(); got != "invalid" {
		t.Errorf("NumClasses.String() = %q, want %q", got, "invalid")
	}
}

func TestJSON(t *testing.T) {
	type shard struct {
		Last   Class           `json:"last"`
		Errors map[Class]int64 `json:"errors"`
	}
	in := shard{Last: GoAway, Errors: map[Class]int64{Timeout: 3, ConnectRefused: 1}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"last":"goaway","errors":{"connect_refused":1,"timeout":3}}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out shard
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Last != in.Last || len(out.Errors) != 2 || out.Errors[Timeout] != 3 || out.Errors[ConnectRefused] != 1 {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`{"errors":{"bogus":1}}`), &out); err == nil {
		t.Error("unmarshal of an unknown class: got nil error")
	}
	if _, err := json.Marshal(map[Class]int64{NumClasses: 1}); err == nil {
		t.Error("marshal of an invalid class: got nil error")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range contractNames {
		f.Add(s)
	}
	f.Add("none")
	f.Add("invalid")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := Parse(s)
		if !ok {
			if c != None {
				t.Errorf("Parse(%q) = %v, false; want None", s, c)
			}
			return
		}
		if c.String() != s {
			t.Errorf("Parse(%q) = %v, whose String is %q", s, c, c.String())
		}
		var u Class
		if err := u.UnmarshalText([]byte(s)); err != nil || u != c {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", s, u, err, c)
		}
	})
}

// TestNoStringMatching enforces STYLE.md rule 7 on this package's own code: no
// call of an Error method and no string-searching package.
func TestNoStringMatching(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			switch path, _ := strconv.Unquote(imp.Path.Value); path {
			case "strings", "regexp", "bytes":
				t.Errorf("%s imports %q; classify by type, not by text", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
					t.Errorf("%s: call of .Error() at %v", name, fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
	if checked < 4 {
		t.Errorf("checked %d files, want the package's non-test files", checked)
	}
}
