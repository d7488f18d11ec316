package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// rows renders the rows of d for arrivals ns as "a/b" strings.
func rows(d Dataset, ns ...int64) []string {
	var out []string
	for _, n := range ns {
		var fields []string
		for c := range d.Columns() {
			fields = append(fields, string(d.AppendField(nil, n, c)))
		}
		out = append(out, strings.Join(fields, "/"))
	}
	return out
}

func TestUsers(t *testing.T) {
	tests := []struct {
		name string
		u    Users
		ns   []int64
		want []string
	}{
		// Defaults, from 0.
		{"defaults", Users{Count: 3}, []int64{0, 1, 2}, []string{"user-0/pass-0", "user-1/pass-1", "user-2/pass-2"}},
		// Arrival n wraps modulo Count, offset by Start.
		{"wrap", Users{Count: 3, Start: 1}, []int64{2, 3, 7}, []string{"user-3/pass-3", "user-1/pass-1", "user-2/pass-2"}},
		// A negative n wraps too.
		{"negative", Users{Count: 3}, []int64{-1}, []string{"user-2/pass-2"}},
		// Patterns, {n} twice, a shared password.
		{"patterns", Users{Pattern: "lt{n}@example.com-{n}", PasswordPattern: "secret", Count: 100, Start: 1000},
			[]int64{5}, []string{"lt1005@example.com-1005/secret"}},
		// Shards taking every 4th arrival get distinct users.
		{"striped", Users{Count: 8}, []int64{1, 5, 9}, []string{"user-1/pass-1", "user-5/pass-5", "user-1/pass-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.u.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := rows(tt.u, tt.ns...); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v = %q, want %q", tt.ns, got, tt.want)
			}
		})
	}
	if got := (Users{Count: 2}).Columns(); !slices.Equal(got, []string{"username", "password"}) {
		t.Errorf("Columns = %q", got)
	}
}

func TestUsersValidate(t *testing.T) {
	tests := []struct {
		name string
		u    Users
		want []string // the fields named
	}{
		// Valid.
		{"valid", Users{Count: 1}, nil},
		// No count, negative start.
		{"count and start", Users{Start: -1}, []string{"count", "start"}},
		// Many users with one name.
		{"no {n}", Users{Pattern: "admin", Count: 2}, []string{"pattern"}},
		// One user may have a fixed name.
		{"one fixed", Users{Pattern: "admin", Count: 1}, nil},
		// Start + Count past int64.
		{"overflow", Users{Count: 10, Start: 1<<63 - 5}, []string{"start"}},
	}
	for _, tt := range tests {
		var fields []string
		for _, e := range joined(tt.u.Validate()) {
			var fe *events.FieldError
			if !errors.As(e, &fe) {
				t.Fatalf("%s: %T is not a FieldError", tt.name, e)
			}
			fields = append(fields, fe.Field)
		}
		if !slices.Equal(fields, tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.name, fields, tt.want)
		}
	}
}

const testCSV = "\xef\xbb\xbfusername,password,note\n" +
	"alice,a1,\"has, comma\"\n" +
	"bob,b2,\"two\nlines\"\n" +
	"\n" + // blank lines are skipped
	"carol,c3,\"say \"\"hi\"\"\"\n"

func TestCSV(t *testing.T) {
	d, err := ParseCSV([]byte(testCSV), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Columns(); !slices.Equal(got, []string{"username", "password", "note"}) {
		t.Errorf("Columns = %q (the byte order mark must go)", got)
	}
	if d.Len() != 3 {
		t.Errorf("Len = %d", d.Len())
	}
	got := rows(d, 0, 1, 2, 3, -1)
	want := []string{"alice/a1/has, comma", "bob/b2/two\nlines", `carol/c3/say "hi"`, "alice/a1/has, comma", `carol/c3/say "hi"`}
	if !slices.Equal(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if got := d.AppendField([]byte("x"), 0, 3); string(got) != "x" {
		t.Errorf("column out of range appended %q", got)
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Nothing at all.
		{"empty", "", "empty file"},
		// A header and no rows.
		{"no rows", "a,b\n", "no rows after the header"},
		// A row with a missing field names its line.
		{"short row", "a,b\n1,2\n3\n", "record on line 3: wrong number of fields"},
		// Every header problem at once.
		{"header", "a,,a,user name\n1,2,3,4\n", `header column 2: variable name is empty` + "\n" +
			`header column 3: "a" is also column 1` + "\n" +
			`header column 4: variable name "user name" has ' ' at byte 4`},
		// A bare quote.
		{"bad quote", "a\nx\"y\n", `bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseCSV([]byte(tt.in), CSVOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCSV = %v, %v; want error containing %q", d, err, tt.want)
			}
		})
	}
}

func TestLoadCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte("username\nu1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := LoadCSV(path, CSVOptions{})
	if err != nil || rows(d, 0)[0] != "u1" {
		t.Fatalf("LoadCSV: %v", err)
	}
	if _, err := LoadCSV(path+".missing", CSVOptions{}); err == nil || !strings.Contains(err.Error(), "users.csv.missing") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("a b\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCSV(path, CSVOptions{}); err == nil || !strings.Contains(err.Error(), path+": header column 1") {
		t.Errorf("bad header: %v", err)
	}
}

func TestCSVShuffle(t *testing.T) {
	var b strings.Builder
	b.WriteString("n\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	d, err := ParseCSV([]byte(b.String()), CSVOptions{Shuffle: true, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	inPlace := 0
	for n := range int64(1000) {
		v := string(d.AppendField(nil, n, 0))
		if seen[v] {
			t.Fatalf("row %q is handed out twice in one pass", v)
		}
		seen[v] = true
		if v == fmt.Sprint(n) {
			inPlace++
		}
		if again := string(d.AppendField(nil, n+1000, 0)); again != v {
			t.Errorf("second pass: arrival %d gets %q, first pass %q", n+1000, again, v)
		}
	}
	if inPlace > 10 {
		t.Errorf("%d of 1000 rows kept their place: not shuffled", inPlace)
	}
	// The order is pinned (and checked against an independent SplitMix64
	// Fisher–Yates in Python): every worker, on every Go version, must agree.
	if got, want := rows(d, 0, 1, 2, 3, 4), []string{"779", "365", "703", "482", "951"}; !slices.Equal(got, want) {
		t.Errorf("seed 42 starts %q, want %q", got, want)
	}
	other, _ := ParseCSV([]byte(b.String()), CSVOptions{Shuffle: true, Seed: 43})
	if slices.Equal(rows(d, 0, 1, 2, 3, 4), rows(other, 0, 1, 2, 3, 4)) {
		t.Error("seeds 42 and 43 give the same order")
	}
}

func TestBind(t *testing.T) {
	names, _ := NewNames("password", "other")
	b, err := Bind(Users{Count: 10, Start: 1}, names)
	if err != nil {
		t.Fatal(err)
	}
	if got := names.List(); !slices.Equal(got, []string{"password", "other", "username"}) {
		t.Errorf("names = %q: columns must be declared, reusing declared names", got)
	}
	tpl, err := Compile("{{username}}:{{password}}", names)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVars(names)
	b.Load(v, 41)
	if got := string(tpl.Append(nil, v)); got != "user-2:pass-2" {
		t.Errorf("row 41 renders %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { b.Load(v, 7) }); n != 0 {
		t.Errorf("Load allocates %v times per run, want 0", n)
	}
	if _, err := Bind(fixed{"ok", "not ok"}, names); err == nil || !strings.Contains(err.Error(), "dataset column 2") {
		t.Errorf("Bind with an invalid column name: %v", err)
	}
}

// fixed is a one-row dataset whose values are its column names.
type fixed []string

func (f fixed) Columns() []string { return f }
func (f fixed) Len() int64        { return 1 }
func (f fixed) AppendField(dst []byte, _ int64, col int) []byte {
	return append(dst, f[col]...)
}

func TestCSVAppendFieldDoesNotAllocate(t *testing.T) {
	d, err := ParseCSV([]byte(testCSV), CSVOptions{Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 64)
	n := int64(0)
	if a := testing.AllocsPerRun(100, func() { buf = d.AppendField(buf[:0], n, 2); n++ }); a != 0 {
		t.Errorf("AppendField allocates %v times per run, want 0", a)
	}
}
