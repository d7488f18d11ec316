package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// goodSpec is what testdata/good.yaml and testdata/good.json hold, after Load.
func goodSpec() events.RunSpec {
	no := false
	url := "https://id.example.com/realms/x/protocol/openid-connect/token"
	return events.RunSpec{
		Version: 1,
		Name:    "keycloak-login",
		Targets: []events.Target{
			{Name: "login", Method: "POST", URL: url,
				Headers: map[string]string{"Content-Type": "application/json", "X-Request-Source": "barrage"},
				Body:    `{"username":"load","password":"from-env"}` + "\n", Weight: 3},
			{Name: "refresh", Method: "POST", URL: url,
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
				Body:    "grant_type=refresh_token&refresh_token=abc", Weight: 1},
		},
		Load:        events.Load{Shape: events.ShapeRamp, From: 100, To: 500},
		Duration:    events.Duration(2 * time.Minute),
		Workers:     4,
		KeepAlive:   &no,
		HTTP2:       true,
		Timeout:     events.Duration(5 * time.Second),
		MaxInflight: 2000,
		Connections: 2,
	}
}

func TestLoad(t *testing.T) {
	for _, path := range []string{"testdata/good.yaml", "testdata/good.json"} {
		s, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		if want := goodSpec(); !reflect.DeepEqual(s, want) {
			t.Errorf("Load(%s):\n got %+v\nwant %+v", path, s, want)
		}
		if err := Check(s.WithDefaults(), path); err != nil {
			t.Errorf("Check(%s): %v", path, err)
		}
	}
}

func TestLoadStdin(t *testing.T) {
	in := "targets:\n  - url: http://localhost:8080/\n    body_file: testdata/bodies/login.json\n"
	s, err := LoadFrom("-", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The body file is read relative to the working directory.
	if got, want := s.Targets[0].Body, `{"username":"load","password":"from-env"}`+"\n"; got != want || s.Targets[0].BodyFile != "" {
		t.Errorf("body = %q, body_file = %q; want %q and none", got, s.Targets[0].BodyFile, want)
	}
	_, err = LoadFrom("-", strings.NewReader("{\n  \"rat\": 1\n}"))
	if want := `stdin:2: field "rat" is not a RunSpec field (did you mean load.rate?)`; err == nil || err.Error() != want {
		t.Errorf("LoadFrom(-) = %v, want %s", err, want)
	}
}

// TestLoadStdinCSV: a scenario's csv.file on standard input is read
// relative to the working directory too, and a file that is not there
// says where it was looked for.
func TestLoadStdinCSV(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("users.csv", []byte("user\nann\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := "scenarios:\n  - name: s\n    csv: {file: %s}\n    steps: [{url: 'http://127.0.0.1:1/{{user}}'}]\n"
	s, err := LoadFrom("-", strings.NewReader(fmt.Sprintf(sc, "users.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Scenarios[0].CSV; c.Text != "user\nann\n" || c.File != "" {
		t.Errorf("csv = %+v; want the file's text inlined", c)
	}
	_, err = LoadFrom("-", strings.NewReader(fmt.Sprintf(sc, "nope.csv")))
	want := "stdin: scenarios[0].csv.file: cannot read nope.csv (relative to the working directory: the spec came from standard input): no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("LoadFrom(-) = %v\nwant %s", err, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		// Unknown fields, with the field the user probably meant.
		{"bad-unknown-field.yaml", `4: load: field "rat" is not a Load field (did you mean rate?)`},
		{"bad-unknown-top.yaml", `3: field "rate" is not a RunSpec field (did you mean load.rate?)`},
		{"bad-unknown-field.json", `3: load: field "rat" is not a Load field (did you mean rate?)`},
		// Values of the wrong type, with the path to them.
		{"bad-type.yaml", `4: load.rate: want a number, got string "fast"`},
		{"bad-type.json", `3: load.rate: want a number, got string "fast"`},
		{"bad-type-target.json", `4: targets[1].weight: want a whole number, got string "2"`},
		{"bad-list.yaml", `2: targets: want a list, got a mapping`},
		{"bad-nan.yaml", `4: load.rate: want a finite number, got .nan`},
		{"bad-duration.yaml", `3: duration: invalid duration "10" (want a Go duration such as 30s, 500ms, 2m)`},
		{"bad-duration.json", `3: duration: invalid duration "ten seconds" (want a Go duration such as 30s, 500ms, 2m)`},
		// A key given twice.
		{"bad-dup.yaml", `5: targets[0].headers: "Accept" is given twice (first on line 4)`},
		// Syntax errors, truncation, trailing data and a second document.
		{"bad-syntax.yaml", `3: invalid YAML: did not find expected ',' or '}'`},
		{"bad-syntax.json", `3: invalid JSON: invalid character '}' looking for beginning of object key string`},
		{"bad-truncated.json", `2: invalid JSON: the document ends early (a missing } or ]?)`},
		{"bad-trailing.json", `4: unexpected "{\"targets\": []}\n" after the end of the spec's JSON object`},
		{"bad-two-docs.yaml", `4: a second YAML document (a spec is one document; remove the ---)`},
		// Nothing but a comment.
		{"empty.yaml", ` the spec is empty (want a mapping of RunSpec fields)`},
		// Body files.
		{"bad-body-file.yaml", ` targets[0].body_file: cannot read bodies/missing.json: no such file or directory`},
		{"bad-body-and-file.yaml", ` targets[0]: give body or body_file, not both`},
		// The spec file itself.
		{"nope.yaml", ` cannot read spec: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/" + tt.file
			_, err := Load(path)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, want an *Error", err)
			}
			if want := path + ":" + tt.want; err.Error() != want {
				t.Errorf("Load error:\n got %s\nwant %s", err, want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	yes := true
	tests := []struct {
		name, in string
		want     events.RunSpec
	}{
		// A YAML anchor on a target, merged into the next one with <<.
		{"x.yaml", "targets:\n  - &t {url: 'http://a', headers: {A: b}}\n  - {<<: *t, method: POST}\n",
			events.RunSpec{Targets: []events.Target{
				{URL: "http://a", Headers: map[string]string{"A": "b"}},
				{URL: "http://a", Method: "POST", Headers: map[string]string{"A": "b"}}}}},
		// YAML 1.1 booleans, hex integers and numbers as header values.
		{"x.yml", "keepalive: yes\nworkers: 0x10\ntargets: [{url: 'http://a', headers: {X-N: 5}}]\n",
			events.RunSpec{KeepAlive: &yes, Workers: 16,
				Targets: []events.Target{{URL: "http://a", Headers: map[string]string{"X-N": "5"}}}}},
		// null leaves a field unset; an empty map of headers reads as none.
		{"x.yaml", "name: ~\nload:\nkeepalive: null\ntargets: [{url: 'http://a', headers: {}}]\n",
			events.RunSpec{Targets: []events.Target{{URL: "http://a"}}}},
		// JSON is chosen by the first byte when the name does not say; names match without regard to case.
		{"stdin", " \n{\"Load\": {\"RATE\": 5}, \"targets\": [{\"url\": \"http://a\", \"headers\": {}}]}",
			events.RunSpec{Load: events.Load{Shape: events.ShapeConstant, Rate: 5}, Targets: []events.Target{{URL: "http://a"}}}},
		// A .yaml file is YAML even when it starts with '{' (a flow mapping).
		{"x.yaml", "{load: {rate: 5}}", events.RunSpec{Load: events.Load{Shape: events.ShapeConstant, Rate: 5}}},
		// A byte order mark is skipped.
		{"x.json", "\uFEFF{\"workers\": 2}", events.RunSpec{Workers: 2}},
		// Durations are Go duration strings in both formats.
		{"x.json", `{"duration": "1m30s", "timeout": "250ms"}`,
			events.RunSpec{Duration: events.Duration(90 * time.Second), Timeout: events.Duration(250 * time.Millisecond)}},
		{"x.yaml", "duration: 1m30s\ntimeout: \"250ms\"\n",
			events.RunSpec{Duration: events.Duration(90 * time.Second), Timeout: events.Duration(250 * time.Millisecond)}},
		// A late limit of 0 (never drop) is set, not left out.
		{"x.yaml", "late_limit: 0\n", events.RunSpec{LateLimit: new(events.Duration)}},
		{"x.json", `{"late_limit": "25ms"}`, events.RunSpec{LateLimit: new(events.Duration(25 * time.Millisecond))}},
		// A flow's logout is a boolean (true: the standard logout) or a
		// mapping, in both formats.
		{"x.yaml", "scenarios: [{flow: {logout: true}}, {flow: {logout: no}}, {flow: {logout: {mode: keycloak, verify: true}}}, {flow: {logout: {}}}]\n",
			events.RunSpec{Scenarios: []events.Scenario{{Flow: &events.Flow{Logout: events.Logout{Enabled: true}}},
				{Flow: &events.Flow{}}, {Flow: &events.Flow{Logout: events.Logout{Enabled: true, Mode: "keycloak", Verify: true}}},
				{Flow: &events.Flow{Logout: events.Logout{Enabled: true}}}}}},
		{"x.json", `{"scenarios": [{"flow": {"logout": true}}, {"flow": {"logout": {"method": "POST"}}}]}`,
			events.RunSpec{Scenarios: []events.Scenario{{Flow: &events.Flow{Logout: events.Logout{Enabled: true}}},
				{Flow: &events.Flow{Logout: events.Logout{Enabled: true, Method: "POST"}}}}}},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in), tt.name)
		if err != nil {
			t.Errorf("Decode(%q, %s): %v", tt.in, tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%q, %s):\n got %+v\nwant %+v", tt.in, tt.name, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// The top level must be a mapping or object.
		{"x.yaml", "- 1\n", "x.yaml:1: want a mapping of RunSpec fields, got a list"},
		{"x.json", "null", "x.json:1: want an object of RunSpec fields, got null"},
		{"x.json", "[]", "x.json:1: want an object of RunSpec fields, got an array"},
		{"x.json", "  \n", "x.json: the spec is empty (want a mapping of RunSpec fields)"},
		// A misspelt field inside a target.
		{"x.yaml", "targets:\n  - url: http://a/\n    hedaers: {}\n",
			`x.yaml:3: targets[0]: field "hedaers" is not a Target field (did you mean headers?)`},
		// Integers must be whole and in range; numbers finite.
		{"x.yaml", "workers: 1.5\n", "x.yaml:1: workers: want a whole number, got number 1.5"},
		{"x.yaml", "workers: 99999999999999999999\n", "x.yaml:1: workers: want a whole number, got number 99999999999999999999"},
		{"x.json", `{"workers": 1.5}`, "x.json:1: workers: want a whole number, got number 1.5"},
		{"x.json", "{\n\"load\": {\"rate\": 1e400}}", "x.json:2: load.rate: want a number, got number 1e400"},
		{"x.yaml", "load: {rate: -.inf}\n", "x.yaml:1: load.rate: want a finite number, got -.inf"},
		// A duration must be a string with a unit.
		{"x.json", "{\n\"duration\": 5}", `x.json:2: duration: want a duration string such as "30s", got number 5`},
		// Booleans.
		{"x.yaml", "keepalive: maybe\n", `x.yaml:1: keepalive: want true or false, got string "maybe"`},
		{"x.json", `{"http2": "yes"}`, `x.json:1: http2: want true or false, got string "yes"`},
		// A logout that is neither a boolean nor a mapping, or has a field
		// it does not know.
		{"x.yaml", "scenarios: [{flow: {logout: maybe}}]\n",
			`x.yaml:1: scenarios[0].flow.logout: want true, false or a mapping of Logout fields, got string "maybe"`},
		{"x.json", `{"scenarios": [{"flow": {"logout": "yes"}}]}`,
			`x.json:1: scenarios[0].flow.logout: want true, false or an object of Logout fields, got string "yes"`},
		{"x.yaml", "scenarios: [{flow: {logout: {veify: true}}}]\n",
			`x.yaml:1: scenarios[0].flow.logout: field "veify" is not a Logout field (did you mean verify?)`},
		// Header values are strings.
		{"x.yaml", "targets: [{headers: {A: [1]}}]\n", `x.yaml:1: targets[0].headers["A"]: want a string, got a list`},
		// YAML that is not UTF-8, or has control characters, or !!binary that is not text.
		{"x.yaml", "name: a\nb: \xff\n", "x.yaml:2: the file is not UTF-8 text"},
		{"x.yaml", "name: a\x01\n", "x.yaml:1: control character U+0001 is not allowed in YAML"},
		{"x.yaml", "name: !!binary /w==\n", `x.yaml:1: name: "\xff" is not UTF-8 text`},
		// Aliases that contain themselves end.
		{"x.yaml", "targets: &a [*a]\n", "x.yaml:1: targets[0]: want a mapping of Target fields, got a list"},
		// A merge key whose value is not a mapping.
		{"x.yaml", "targets: [{<<: [1]}]\n", "x.yaml:1: targets[0]: the merge key << wants a mapping or a list of mappings, got number 1"},
		// yaml.v3 numbers parser errors from 0; they are reported from 1.
		{"x.yaml", "a: 1\nb: [1, 2\nc: 3\n", "x.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"x.yaml", "name: a\n- b\n", "x.yaml:2: invalid YAML: did not find expected key"},
		{"x.yaml", "name: a\nb: *nope\n", "x.yaml: invalid YAML: unknown anchor 'nope' referenced"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.in), tt.name)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Decode(%q, %s):\n got %v\nwant %s", tt.in, tt.name, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	s := events.RunSpec{
		Targets: []events.Target{{URL: "example.com/x"}},
		Load:    events.Load{Rate: -1},
	}
	err := Check(s.WithDefaults(), "spec.yaml")
	want := `spec.yaml: targets[0].url: "example.com/x" has no scheme (want http:// or https://); ` +
		`load.rate: -1 is out of range (0 ≤ rate ≤ 10000000 per second)`
	if err == nil || err.Error() != want {
		t.Errorf("Check:\n got %v\nwant %s", err, want)
	}
	// The parts stay reachable.
	var fe *events.FieldError
	if !errors.As(err, &fe) || fe.Field != "targets[0].url" {
		t.Errorf("errors.As(FieldError) = %v", fe)
	}
	// A valid spec passes.
	if err := Check(goodSpec(), "spec.yaml"); err != nil {
		t.Errorf("Check(good) = %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},                // file and line
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},                           // no line
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},                                  // no file
		{Error{File: "a.yaml", Line: 1, Msg: "two\r\nlines"}, "a.yaml:1: two lines"}, // always one line
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestLoadWrittenIsKept checks that a load written in the spec, even one
// with a zero rate, survives WithDefaults as written: rate 0 is a closed
// loop, and only a spec without any load gets the default rate.
func TestLoadWrittenIsKept(t *testing.T) {
	tests := []struct {
		name, doc string
		closed    bool
		rate      float64
	}{
		// A zero rate in YAML is a closed loop.
		{"c.yaml", "targets: [{url: 'http://a/'}]\nload: {rate: 0}\n", true, 0},
		// The same in JSON.
		{"c.json", `{"targets": [{"url": "http://a/"}], "load": {"rate": 0}}`, true, 0},
		// No load at all: the default rate.
		{"d.yaml", "targets: [{url: 'http://a/'}]\n", false, events.DefaultRate},
		// A null load is no load.
		{"n.yaml", "targets: [{url: 'http://a/'}]\nload: null\n", false, events.DefaultRate},
	}
	for _, tt := range tests {
		s, err := Decode([]byte(tt.doc), tt.name)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		d := s.WithDefaults()
		if d.Load.ClosedLoop() != tt.closed || d.Load.Rate != tt.rate {
			t.Errorf("%s: load %+v; want closed loop %v at rate %v", tt.name, d.Load, tt.closed, tt.rate)
		}
	}
}

// TestLoadCSV: a scenario's csv.file is read relative to the spec into
// csv.text, which is what travels; a missing file or a file given with
// text is an error naming the field.
func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users.csv"), []byte("username,password\nu1,p1\n"), 0o644)
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(doc), 0o644)
		return p
	}
	sc := func(csv string) string {
		return "scenarios:\n  - name: s\n    csv: " + csv + "\n    steps: [{url: 'http://a/'}]\n"
	}
	s, err := Load(write("ok.yaml", sc("{file: users.csv, shuffle: true}")))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Scenarios[0].CSV; c.Text != "username,password\nu1,p1\n" || c.File != "" || !c.Shuffle {
		t.Errorf("csv %+v, want the file's text inlined", c)
	}
	for _, tt := range []struct{ doc, want string }{
		{sc("{file: missing.csv}"), "scenarios[0].csv.file: cannot read missing.csv"},
		{sc("{file: users.csv, text: 'a\\n'}"), "scenarios[0].csv: give text or file, not both"},
	} {
		if _, err := Load(write("bad.yaml", tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}
