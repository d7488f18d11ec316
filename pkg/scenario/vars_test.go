package scenario

import (
	"slices"
	"strings"
	"testing"
)

func TestNamesDeclare(t *testing.T) {
	tests := []struct {
		name    string
		declare []string
		want    []string // the set afterwards
		err     string   // a part of the error of the last Declare, if any
	}{
		// Indexes follow the order of first declaration.
		{"order", []string{"b", "a", "c"}, []string{"b", "a", "c"}, ""},
		// Declaring twice returns the first index and adds nothing.
		{"twice", []string{"a", "b", "a"}, []string{"a", "b"}, ""},
		// Dots, dashes, digits and underscores are name bytes.
		{"name bytes", []string{"client.id", "not-before", "_x9"}, []string{"client.id", "not-before", "_x9"}, ""},
		// A space is not.
		{"space", []string{"user name"}, nil, `has ' ' at byte 4`},
		// Neither is a brace, which would confuse templates.
		{"brace", []string{"a}"}, nil, `has '}' at byte 1`},
		// The empty name.
		{"empty", []string{""}, nil, "empty"},
		// Too long.
		{"long", []string{strings.Repeat("x", MaxNameLen+1)}, nil, "longer than 128 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n Names
			var err error
			for _, s := range tt.declare {
				var i int
				i, err = n.Declare(s)
				if err == nil && n.Name(i) != s {
					t.Errorf("Declare(%q) = %d, which is named %q", s, i, n.Name(i))
				}
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
			if got := n.List(); !slices.Equal(got, tt.want) {
				t.Errorf("List = %q, want %q", got, tt.want)
			}
			for i, s := range tt.want {
				if j, ok := n.Index(s); !ok || j != i {
					t.Errorf("Index(%q) = %d, %v; want %d", s, j, ok, i)
				}
			}
		})
	}
}

func TestNilNames(t *testing.T) {
	var n *Names
	if n.Len() != 0 || n.List() != nil || n.Name(0) != "" {
		t.Error("a nil *Names is not empty")
	}
	if _, ok := n.Index("a"); ok {
		t.Error("a nil *Names has a")
	}
	if _, err := Compile("{{a}}", nil); err == nil || !strings.Contains(err.Error(), "no variables are declared") {
		t.Errorf("Compile with nil names: %v", err)
	}
	tpl, err := Compile("static", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(tpl.Append(nil, nil)); got != "static" {
		t.Errorf("Append(nil, nil) = %q", got)
	}
}

func TestVars(t *testing.T) {
	names := testNames(t)
	v := NewVars(names)
	a, _ := names.Index("a")
	b, _ := names.Index("b")

	if _, ok := v.Get(a); ok || v.IsSet(a) || v.Bytes(a) != nil {
		t.Error("a new Vars has a set")
	}
	v.Set(a, "one")
	v.SetBytes(b, []byte{})
	if s, ok := v.Get(a); !ok || s != "one" {
		t.Errorf("Get(a) = %q, %v", s, ok)
	}
	if s, ok := v.Get(b); !ok || s != "" {
		t.Errorf("Get(b) = %q, %v; want set to the empty string", s, ok)
	}
	v.Unset(b)
	if v.IsSet(b) {
		t.Error("b is set after Unset")
	}

	// An index past the declared set grows the Vars.
	v.Set(40, "far")
	if s, _ := v.Get(40); s != "far" || v.IsSet(39) {
		t.Errorf("Get(40) = %q", s)
	}
	if v.IsSet(-1) || v.IsSet(1000) {
		t.Error("out-of-range index is set")
	}

	// Reset keeps small buffers, drops big ones, unsets all.
	v.Set(a, "four")
	small := &v.Bytes(a)[0]
	big := strings.Repeat("x", MaxKeptBytes+1)
	v.Set(b, big)
	v.Reset()
	if v.IsSet(a) || v.IsSet(b) || v.IsSet(40) {
		t.Error("Reset left a variable set")
	}
	v.Set(a, "five")
	if &v.Bytes(a)[0] != small {
		t.Error("Reset did not keep a's buffer")
	}
	if cap(v.vals[b]) != 0 {
		t.Errorf("Reset kept a buffer of %d bytes", cap(v.vals[b]))
	}

	// Set copies: changing the source does not change the variable.
	src := []byte("abc")
	v.SetBytes(a, src)
	src[0] = 'X'
	if s, _ := v.Get(a); s != "abc" {
		t.Errorf("Get(a) = %q after the source changed", s)
	}
}

func TestVarsSetDoesNotAllocate(t *testing.T) {
	names := testNames(t)
	v := NewVars(names)
	v.Set(0, "warm up the buffer")
	if n := testing.AllocsPerRun(100, func() {
		v.Reset()
		v.Set(0, "a value")
		v.SetBytes(1, []byte("another"))
	}); n != 0 {
		t.Errorf("Reset and Set allocate %v times per run, want 0", n)
	}
}
