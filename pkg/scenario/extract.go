package scenario

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// The sources an extractor reads, for ExtractorSpec.From.
const (
	FromJSON   = "json"   // a JSON path into the body
	FromRegex  = "regex"  // a regular expression over the body
	FromHeader = "header" // a response header
	FromCookie = "cookie" // a cookie set by Set-Cookie
	FromForm   = "form"   // an HTML form field or form attribute in the body
)

// Froms lists the values of ExtractorSpec.From.
var Froms = []string{FromJSON, FromRegex, FromHeader, FromCookie, FromForm}

// ErrNotFound is the error of an extractor that found no value. Every error
// of Extract, Append and Apply wraps it, including those about a body that is
// not the JSON or HTML the extractor expected.
var ErrNotFound = errors.New("not found")

// ExtractorSpec describes an extractor as a scenario spec writes it.
type ExtractorSpec struct {
	// Var is the variable the value is stored in.
	Var string `json:"var"`
	// From is the source: json, regex, header, cookie or form.
	From string `json:"from"`
	// Expr selects the value: a JSON path ($.access_token), an RE2 regular
	// expression (the first capture group if it has one, else the match), a
	// header name, a cookie name, or a form field (see CompileExtractor).
	Expr string `json:"expr"`
	// Index picks among several matches (0 is the first, -1 the last) for
	// regex, header (its values), cookie and form. It must be 0 for json,
	// whose paths index arrays themselves.
	Index int `json:"index,omitempty"`
	// Header, for regex only, names a response header to match in instead
	// of the body (such as Location, for the code of an authorization-code
	// redirect). Index counts matches across the header's values.
	Header string `json:"header,omitempty"`
	// Default, if not nil, is the value used when nothing is found.
	Default *string `json:"default,omitempty"`
}

// Validate reports every problem of s at once (joined with errors.Join, each
// an *events.FieldError) and changes nothing.
func (s ExtractorSpec) Validate() error {
	_, err := compileExtractor(s)
	return err
}

// String describes s in one line, such as `token = json $.access_token`.
func (s ExtractorSpec) String() string {
	str := fmt.Sprintf("%s = %s %s", s.Var, s.From, s.Expr)
	if s.Header != "" {
		str += " in " + s.Header
	}
	if s.Index != 0 {
		str += fmt.Sprintf(" [%d]", s.Index)
	}
	if s.Default != nil {
		str += fmt.Sprintf(" (default %q)", *s.Default)
	}
	return str
}

// Response is what extractors read. Extractors read the body and never keep
// it: an extracted value is a copy, so the runner may reuse the body's buffer.
type Response struct {
	// Status is the status code, for the runner's checks; no extractor reads
	// it yet.
	Status int
	// Header holds the response headers, as net/http gives them.
	Header http.Header
	// Body is the response body, read in full.
	Body []byte
}

// Extractor takes one value from a response. It is immutable and safe for
// concurrent use.
type Extractor struct {
	spec  ExtractorSpec
	slot  int
	find  finder
	index int
}

// finder appends match n (0-based) of its expression in r to dst. It returns
// the number of matches seen, which is all of them when match n is not found,
// so that a negative index can be resolved from the count.
type finder interface {
	find(dst []byte, r *Response, n int) (out []byte, count int, err error)
}

// CompileExtractor compiles s and declares s.Var in names.
//
// For From "form", Expr is one of
//
//	NAME or input[name=NAME]   the value attribute of an <input name=NAME>
//	form.ATTR                  attribute ATTR (such as action) of a <form>
//	#ID.ATTR                   attribute ATTR of the <form id=ID>
//	#ID NAME, #ID input[…]     an input inside the <form id=ID>
//
// Attribute values are HTML-entity decoded, so a Keycloak login form's
// action=".../authenticate?session_code=x&amp;execution=y" extracts with a
// plain '&'. A relative action is returned as written: resolve it against the
// page's URL. Index counts matching inputs, or matching forms for ATTR.
func CompileExtractor(s ExtractorSpec, names *Names) (*Extractor, error) {
	e, err := compileExtractor(s)
	if err != nil {
		return nil, err
	}
	if e.slot, err = names.Declare(s.Var); err != nil {
		return nil, &events.FieldError{Field: "var", Msg: err.Error()}
	}
	return e, nil
}

func compileExtractor(s ExtractorSpec) (*Extractor, error) {
	var p []error
	add := func(field, format string, args ...any) {
		p = append(p, &events.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if err := checkName(s.Var); err != nil {
		add("var", "%s", err)
	}
	e := &Extractor{spec: s, index: s.Index}
	if s.Expr == "" {
		add("expr", "is empty")
	}
	var err error
	switch s.From {
	case FromJSON:
		if s.Index != 0 {
			add("index", "must be 0 for json (index arrays in the path, as $.a[%d])", s.Index)
		}
		var path jsonPath
		if path, err = parseJSONPath(s.Expr); err == nil {
			e.find = jsonFinder{path}
		}
	case FromRegex:
		var re *regexp.Regexp
		if re, err = regexp.Compile(s.Expr); err == nil {
			e.find = regexFinder{re: re, header: textproto.CanonicalMIMEHeaderKey(s.Header)}
		}
		if herr := checkToken(s.Header); herr != nil {
			add("header", "%s", herr)
		}
	case FromHeader:
		if err = checkToken(s.Expr); err == nil {
			e.find = headerFinder{textproto.CanonicalMIMEHeaderKey(s.Expr)}
		}
	case FromCookie:
		if err = checkToken(s.Expr); err == nil {
			e.find = cookieFinder{s.Expr}
		}
	case FromForm:
		var f *formFinder
		if f, err = parseFormExpr(s.Expr); err == nil {
			e.find = f
		}
	case "":
		add("from", "is empty (want one of %s)", strings.Join(Froms, ", "))
	default:
		msg := fmt.Sprintf("unknown source %q", s.From)
		if close := closeMatches(s.From, Froms, 1); len(close) > 0 {
			msg += " (did you mean " + quoteList(close, "") + "?)"
		}
		add("from", "%s; want one of %s", msg, strings.Join(Froms, ", "))
	}
	if err != nil && s.Expr != "" {
		add("expr", "%s", err)
	}
	if s.Header != "" && s.From != FromRegex {
		add("header", "is only for regex, not %s", s.From)
	}
	if len(p) > 0 {
		return nil, errors.Join(p...)
	}
	return e, nil
}

// checkToken checks a header or cookie name: an HTTP token.
func checkToken(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("%q is not a valid name: %q at byte %d", s, c, i)
		}
	}
	return nil
}

// Spec returns the spec e was compiled from.
func (e *Extractor) Spec() ExtractorSpec { return e.spec }

// Var returns the index of the variable e sets.
func (e *Extractor) Var() int { return e.slot }

// Append appends the value e finds in r (or its default) to dst. The error,
// when there is no value and no default, wraps ErrNotFound and names the
// variable and the expression.
func (e *Extractor) Append(dst []byte, r *Response) ([]byte, error) {
	n := e.index
	if n < 0 {
		_, count, err := e.find.find(dst, r, int(^uint(0)>>1))
		if err == nil || !errors.Is(err, ErrNotFound) {
			return e.fail(dst, err)
		}
		if n += count; n < 0 {
			return e.fail(dst, fmt.Errorf("%d matches: %w", count, ErrNotFound))
		}
	}
	out, _, err := e.find.find(dst, r, n)
	if err != nil {
		return e.fail(dst, err)
	}
	return out, nil
}

func (e *Extractor) fail(dst []byte, err error) ([]byte, error) {
	if e.spec.Default != nil {
		return append(dst, *e.spec.Default...), nil
	}
	if !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return dst, fmt.Errorf("extract %s from %s %q: %w", e.spec.Var, e.spec.From, e.spec.Expr, err)
}

// Extract returns the value e finds in r, or its default.
func (e *Extractor) Extract(r *Response) (string, error) {
	b, err := e.Append(nil, r)
	return string(b), err
}

// Apply stores the value e finds in r in v. On error, the variable is left
// unset, so that a template using it can tell (Template.Missing).
func (e *Extractor) Apply(r *Response, v *Vars) error {
	b, err := e.Append(v.slot(e.slot), r)
	if err != nil {
		v.Unset(e.slot)
		return err
	}
	v.put(e.slot, b)
	return nil
}
