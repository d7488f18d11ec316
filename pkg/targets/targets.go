package targets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
)

// MaxLineBytes is the longest line Parse reads.
const MaxLineBytes = 1 << 20

// Error is a problem in a targets file: "FILE:LINE: msg" on one line.
type Error = events.FileError

// ParseFile reads the targets file at path. Body files named by @ lines are
// read relative to the directory of path unless they are absolute.
func ParseFile(path string) ([]events.Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read targets file: " + reason(err)}
	}
	defer f.Close()
	dir := filepath.Dir(path)
	return Parse(f, path, func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return os.ReadFile(p)
	})
}

// Parse reads targets in vegeta's HTTP format from r. name is the file name
// used in error messages. readFile reads the file named by an @ line, as
// written in the file; nil means os.ReadFile. Every error is an *Error.
func Parse(r io.Reader, name string, readFile func(path string) ([]byte, error)) ([]events.Target, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	p := parser{name: name, readFile: readFile}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(strings.TrimSpace(sc.Text())); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, p.errorf(p.line+1, "line longer than %d bytes", MaxLineBytes)
		}
		return nil, p.errorf(p.line+1, "cannot read: %s", reason(err))
	}
	if len(p.targets) == 0 {
		return nil, p.errorf(0, "no targets (want a line METHOD URL, such as GET https://example.com/)")
	}
	return p.targets, nil
}

// state is where the parser is relative to the current target.
type state int

const (
	between   state = iota // no open target: a request line comes next
	inHeaders              // after a request line: header, @body, blank or request line
	afterBody              // after an @body line: blank or request line
)

type parser struct {
	name     string
	readFile func(string) ([]byte, error)
	line     int
	state    state
	targets  []events.Target
	// spelling maps the lower-case form of each header name of the current
	// target to the spelling it was first given in.
	spelling map[string]string
}

func (p *parser) errorf(line int, format string, args ...any) *Error {
	return &Error{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// parseLine handles one trimmed line.
func (p *parser) parseLine(line string) error {
	switch {
	case line == "":
		p.state = between
		return nil
	case line[0] == '#':
		return nil
	}
	switch p.state {
	case inHeaders:
		switch {
		case startsWithMethod(line) && !looksLikeHeader(line):
			return p.request(line)
		case line[0] == '@':
			return p.body(line[1:])
		}
		return p.header(line)
	case afterBody:
		switch {
		case looksLikeHeader(line):
			return p.errorf(p.line, "header line %q after the @ body line (headers go before the body)", line)
		case line[0] == '@':
			return p.errorf(p.line, "a second @ body line for one target")
		}
	default:
		switch {
		case looksLikeHeader(line) && len(p.targets) == 0:
			return p.errorf(p.line, "header line %q before any request line (want METHOD URL first)", line)
		case looksLikeHeader(line):
			return p.errorf(p.line, "header line %q is not in a target (a blank line ends a target)", line)
		case line[0] == '@':
			return p.errorf(p.line, "@ body line %q is not in a target (a blank line ends a target)", line)
		}
	}
	return p.request(line)
}

// request starts a target from a line METHOD URL.
func (p *parser) request(line string) error {
	fields := strings.Fields(line)
	switch {
	case len(fields) == 1 && strings.Contains(line, "://"):
		return p.errorf(p.line, "request line %q has no method (want METHOD URL)", line)
	case len(fields) != 2:
		return p.errorf(p.line, "request line %q is not METHOD URL", line)
	}
	method, raw := fields[0], fields[1]
	if !events.IsToken(method) {
		return p.errorf(p.line, "%q is not a valid HTTP method", method)
	}
	if msg := checkURL(raw); msg != "" {
		return p.errorf(p.line, "%s", msg)
	}
	p.targets = append(p.targets, events.Target{Method: method, URL: raw})
	p.spelling = nil
	p.state = inHeaders
	return nil
}

// checkURL returns what is wrong with raw as a target URL, or "".
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf("%q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme == "" || u.Host == "" && u.Opaque != "":
		return fmt.Sprintf("%q has no scheme (want http:// or https://)", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme %q of %q is not supported (want http or https)", u.Scheme, raw)
	case u.Hostname() == "":
		return fmt.Sprintf("%q has no host", raw)
	}
	return ""
}

// header adds a line Name: value to the current target.
func (p *parser) header(line string) error {
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return p.errorf(p.line, "header line %q has no colon (want Name: value)", line)
	}
	name, value := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
	if !events.IsToken(name) {
		return p.errorf(p.line, "%q is not a valid header name", name)
	}
	if strings.ContainsAny(value, "\r\x00") {
		return p.errorf(p.line, "the value of header %q contains a carriage return or NUL", name)
	}
	t := &p.targets[len(p.targets)-1]
	if t.Headers == nil {
		t.Headers = make(map[string]string)
		p.spelling = make(map[string]string)
	}
	key := strings.ToLower(name)
	if first, ok := p.spelling[key]; ok {
		t.Headers[first] += ", " + value
		return nil
	}
	p.spelling[key] = name
	t.Headers[name] = value
	return nil
}

// body reads the current target's body from the file named by an @ line.
func (p *parser) body(path string) error {
	path = strings.TrimSpace(path)
	if path == "" {
		return p.errorf(p.line, "@ line without a file name (want @path/to/body)")
	}
	b, err := p.readFile(path)
	if err != nil {
		return p.errorf(p.line, "cannot read body file %s: %s", path, reason(err))
	}
	if !utf8.Valid(b) {
		return p.errorf(p.line, "body file %s is not UTF-8 text (bodies travel in JSON strings)", path)
	}
	p.targets[len(p.targets)-1].Body = string(b)
	p.state = afterBody
	return nil
}

// reason is err without the operation and path that the message already names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// startsWithMethod reports whether line starts with upper-case ASCII letters
// and a space or tab: vegeta's rule for a request line that follows a target
// without a blank line between them.
func startsWithMethod(line string) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case (c == ' ' || c == '\t') && i > 0:
			return true
		default:
			return false
		}
	}
	return false
}

// looksLikeHeader reports whether line reads as Name: value rather than as a
// request line or a bare URL.
func looksLikeHeader(line string) bool {
	i := strings.IndexByte(line, ':')
	return i > 0 && events.IsToken(strings.TrimSpace(line[:i])) && !strings.HasPrefix(line[i+1:], "//")
}
