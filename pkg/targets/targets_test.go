package targets

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// files is an in-memory readFile for tests.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		s, ok := m[p]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func TestParse(t *testing.T) {
	bodies := files(map[string]string{"b.json": `{"a":1}`, "dir/form.txt": "x=1"})
	tests := []struct {
		name string
		in   string
		want []events.Target
	}{
		// The smallest file: one request line.
		{"one GET", "GET http://localhost:8080/",
			[]events.Target{{Method: "GET", URL: "http://localhost:8080/"}}},
		// Headers, then a body; the header value keeps its own colons.
		{"headers and body", "POST https://a.example/x?y=1\nContent-Type: application/json\nAuthorization: Basic a:b\n@b.json\n",
			[]events.Target{{Method: "POST", URL: "https://a.example/x?y=1",
				Headers: map[string]string{"Content-Type": "application/json", "Authorization": "Basic a:b"},
				Body:    `{"a":1}`}}},
		// Comments anywhere, blank lines between and around targets.
		{"comments and blank lines", "# header\n\n\nGET http://a/1\n# between headers\nX-A: 1\n\n\n# next\nDELETE http://a/2\n\n",
			[]events.Target{
				{Method: "GET", URL: "http://a/1", Headers: map[string]string{"X-A": "1"}},
				{Method: "DELETE", URL: "http://a/2"}}},
		// A request line in capitals starts a new target without a blank line, as in vegeta.
		{"no blank line between targets", "GET http://a/1\nX-A: 1\nPUT http://a/2\n@dir/form.txt\nGET http://a/3",
			[]events.Target{
				{Method: "GET", URL: "http://a/1", Headers: map[string]string{"X-A": "1"}},
				{Method: "PUT", URL: "http://a/2", Body: "x=1"},
				{Method: "GET", URL: "http://a/3"}}},
		// CRLF line ends and indentation are ignored.
		{"CRLF and indentation", "  GET http://a/1\r\n\tX-A:  1 \r\n\r\n",
			[]events.Target{{Method: "GET", URL: "http://a/1", Headers: map[string]string{"X-A": "1"}}}},
		// A repeated header, in any case, is joined under its first spelling.
		{"repeated header", "GET http://a/\nAccept: a\nX-B: 1\naccept: b\nACCEPT: c\n",
			[]events.Target{{Method: "GET", URL: "http://a/",
				Headers: map[string]string{"Accept": "a, b, c", "X-B": "1"}}}},
		// An empty header value is allowed; a header that looks like a method is a header.
		{"empty value and DNT", "GET http://a/\nX-Empty:\nDNT : 1\n",
			[]events.Target{{Method: "GET", URL: "http://a/",
				Headers: map[string]string{"X-Empty": "", "DNT": "1"}}}},
		// A custom method after a blank line; the scheme is case-insensitive.
		{"custom method", "PURGE HTTPS://cache.example/x\n",
			[]events.Target{{Method: "PURGE", URL: "HTTPS://cache.example/x"}}},
		// Host overrides the Host header; it is kept as a header.
		{"host header", "GET http://10.0.0.1/\nHost: api.example\n",
			[]events.Target{{Method: "GET", URL: "http://10.0.0.1/", Headers: map[string]string{"Host": "api.example"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), "t.txt", bodies)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	bodies := files(map[string]string{"bin": "\xff\xfe", "ok": "x"})
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Nothing but comments and blank lines.
		{"empty", "# nothing\n\n", "t.txt: no targets (want a line METHOD URL, such as GET https://example.com/)"},
		// A bare URL, as in a list of URLs.
		{"no method", "http://a/\n", `t.txt:1: request line "http://a/" has no method (want METHOD URL)`},
		// Words that are not METHOD URL.
		{"not a request line", "GET\n", `t.txt:1: request line "GET" is not METHOD URL`},
		{"three words", "GET http://a/ HTTP/1.1\n", `t.txt:1: request line "GET http://a/ HTTP/1.1" is not METHOD URL`},
		// A method that is not a token.
		{"bad method", "GE(T http://a/\n", `t.txt:1: "GE(T" is not a valid HTTP method`},
		// URLs without http(s) scheme or without a host.
		{"no scheme", "GET example.com/x\n", `t.txt:1: "example.com/x" has no scheme (want http:// or https://)`},
		{"host:port, no scheme", "GET localhost:8080/x\n", `t.txt:1: "localhost:8080/x" has no scheme (want http:// or https://)`},
		{"ftp", "GET ftp://a/x\n", `t.txt:1: scheme "ftp" of "ftp://a/x" is not supported (want http or https)`},
		{"no host", "GET http:///x\n", `t.txt:1: "http:///x" has no host`},
		{"unparsable URL", "GET http://a%zz/\n", `t.txt:1: "http://a%zz/" is not a URL: invalid URL escape "%zz"`},
		// Header problems.
		{"header without colon", "GET http://a/\nAccept application/json\n",
			`t.txt:2: header line "Accept application/json" has no colon (want Name: value)`},
		{"bad header name", "GET http://a/\nX(A): 1\n", `t.txt:2: "X(A)" is not a valid header name`},
		{"header value with CR", "GET http://a/\nX-A: 1\r2\n", `t.txt:2: the value of header "X-A" contains a carriage return or NUL`},
		{"header before request", "# c\nAccept: a\nGET http://a/\n",
			`t.txt:2: header line "Accept: a" before any request line (want METHOD URL first)`},
		{"header after blank line", "GET http://a/\n\nAccept: a\n",
			`t.txt:3: header line "Accept: a" is not in a target (a blank line ends a target)`},
		{"header after body", "GET http://a/\n@ok\nAccept: a\n",
			`t.txt:3: header line "Accept: a" after the @ body line (headers go before the body)`},
		// Body problems.
		{"missing body file", "POST http://a/\n@x.json\n", "t.txt:2: cannot read body file x.json: file does not exist"},
		{"empty body name", "POST http://a/\n@ \n", "t.txt:2: @ line without a file name (want @path/to/body)"},
		{"binary body", "POST http://a/\n@bin\n", "t.txt:2: body file bin is not UTF-8 text (bodies travel in JSON strings)"},
		{"two bodies", "POST http://a/\n@ok\n@ok\n", "t.txt:3: a second @ body line for one target"},
		{"body outside target", "@ok\n", `t.txt:1: @ body line "@ok" is not in a target (a blank line ends a target)`},
		// A line too long for the scanner.
		{"long line", "GET http://a/" + strings.Repeat("x", MaxLineBytes) + "\n",
			fmt.Sprintf("t.txt:1: line longer than %d bytes", MaxLineBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), "t.txt", bodies)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, %v; want an *Error", got, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	got, err := ParseFile("testdata/targets.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []events.Target{
		{Method: "POST", URL: "https://id.example.com/realms/x/protocol/openid-connect/token",
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			Body:    "grant_type=client_credentials&client_id=load"},
		{Method: "GET", URL: "https://api.example.com/things?page=1",
			Headers: map[string]string{"Authorization": "Bearer abc", "Accept": "application/json, text/plain"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseFile:\n got %#v\nwant %#v", got, want)
	}
	// The targets are valid once defaulted.
	s := events.RunSpec{Targets: got}.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		// The body path is reported as written, with the OS's reason.
		{"testdata/missing-body.txt",
			"testdata/missing-body.txt:3: cannot read body file bodies/nothing-here.json: no such file or directory"},
		// The targets file itself is missing.
		{"testdata/nope.txt", "testdata/nope.txt: cannot read targets file: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := ParseFile(tt.path)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseFile(%s):\n got %v\nwant %s", tt.path, err, tt.want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.txt", Line: 3, Msg: "bad"}, "a.txt:3: bad"},              // file and line
		{Error{File: "a.txt", Msg: "bad"}, "a.txt: bad"},                         // no line
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},                              // no file
		{Error{File: "a.txt", Line: 1, Msg: "two\nlines"}, "a.txt:1: two lines"}, // always one line
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func ExampleParse() {
	in := `GET https://api.example.com/things
Accept: application/json

POST https://api.example.com/things
Content-Type: application/json
@thing.json
`
	read := func(path string) ([]byte, error) { return []byte(`{"name":"x"}`), nil }
	ts, err := Parse(strings.NewReader(in), "targets.txt", read)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range ts {
		fmt.Printf("%s %s %v %q\n", t.Method, t.URL, t.Headers, t.Body)
	}
	_, err = Parse(strings.NewReader("GET api.example.com\n"), "targets.txt", read)
	fmt.Println(err)
	// Output:
	// GET https://api.example.com/things map[Accept:application/json] ""
	// POST https://api.example.com/things map[Content-Type:application/json] "{\"name\":\"x\"}"
	// targets.txt:1: "api.example.com" has no scheme (want http:// or https://)
}
