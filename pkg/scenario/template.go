package scenario

import (
	"fmt"
	"slices"
	"strings"
)

// Template is a compiled template: literal text and placeholders whose
// variables are resolved to indexes. It is immutable and safe for concurrent
// use.
type Template struct {
	src  string
	ops  []op
	uses []int // indexes of the variables it renders, in order of first use
}

// op is one piece of a template: literal text when v < 0, otherwise variable
// v with its filters.
type op struct {
	lit     string
	v       int
	filters []filter
}

// TemplateError is a problem in a template's source, found by Compile.
type TemplateError struct {
	Src    string // the template source
	Offset int    // byte offset in Src where the problem starts
	Msg    string // what is wrong, such as `unknown filter "urlencod"`
}

func (e *TemplateError) Error() string {
	src := e.Src
	if len(src) > 60 {
		lo := max(0, min(e.Offset-20, len(src)-60))
		src = src[lo : lo+60]
		if lo > 0 {
			src = "…" + src
		}
		if lo+60 < len(e.Src) {
			src += "…"
		}
	}
	return fmt.Sprintf("template %q: byte %d: %s", src, e.Offset, e.Msg)
}

// Compile compiles src, resolving each placeholder's variable in names.
//
// A placeholder is {{name}}, with optional spaces inside the braces, or
// {{name | filter | filter…}}; filters apply left to right:
//
//	urlencode  query and form escaping, as url.QueryEscape (space is '+')
//	json       the content of a JSON string, escaped, without the quotes
//	base64     standard base64, padded
//	base64url  URL-safe base64, unpadded
//
// A placeholder may hold a quoted literal instead of a name: {{"{{"}} writes
// a literal "{{", which is otherwise always the start of a placeholder. A lone
// "{" or "}}" outside a placeholder is literal text, so JSON such as
// {"n":{{n}}} needs no escaping. The literal may not contain '"'.
//
// Every error is a *TemplateError: an unterminated placeholder, an unknown
// filter, or a variable not in names (with close matches), so a typo fails
// when the spec is loaded rather than during the run.
func Compile(src string, names *Names) (*Template, error) {
	c := compiler{src: src, names: names}
	if err := c.run(); err != nil {
		return nil, err
	}
	return &Template{src: src, ops: c.ops, uses: c.uses}, nil
}

// Append appends t rendered with v to dst and returns the extended slice. An
// unset variable renders as the empty string; v may be nil when t is static.
// Append allocates only to grow dst.
func (t *Template) Append(dst []byte, v *Vars) []byte {
	for i := range t.ops {
		o := &t.ops[i]
		switch {
		case o.v < 0:
			dst = append(dst, o.lit...)
		case len(o.filters) == 0:
			dst = append(dst, v.Bytes(o.v)...)
		case len(o.filters) == 1:
			dst = o.filters[0].append(dst, v.Bytes(o.v))
		default:
			dst = appendFilters(dst, v.Bytes(o.v), o.filters)
		}
	}
	return dst
}

// Static returns the text of t and true if t has no variables, so the caller
// can build that part of a request once.
func (t *Template) Static() (string, bool) {
	switch {
	case len(t.ops) == 0:
		return "", true
	case len(t.ops) == 1 && t.ops[0].v < 0:
		return t.ops[0].lit, true
	}
	return "", false
}

// Uses returns the indexes of the variables t renders, in order of first use,
// as a new slice: a runner can check that an earlier step sets each of them.
func (t *Template) Uses() []int { return slices.Clone(t.uses) }

// Missing returns the index of the first variable t renders that is unset in
// v, and true; or -1 and false if every one is set.
func (t *Template) Missing(v *Vars) (int, bool) {
	for _, i := range t.uses {
		if !v.IsSet(i) {
			return i, true
		}
	}
	return -1, false
}

// String returns the source of t.
func (t *Template) String() string { return t.src }

// compiler turns a template source into ops.
type compiler struct {
	src   string
	names *Names
	i     int             // read position in src
	lit   strings.Builder // literal text not yet emitted as an op
	ops   []op
	uses  []int
}

func (c *compiler) run() error {
	for {
		j := strings.Index(c.src[c.i:], "{{")
		if j < 0 {
			c.lit.WriteString(c.src[c.i:])
			break
		}
		c.lit.WriteString(c.src[c.i : c.i+j])
		start := c.i + j
		c.i = start + 2
		if err := c.placeholder(start); err != nil {
			return err
		}
	}
	c.flush()
	return nil
}

func (c *compiler) flush() {
	if c.lit.Len() > 0 {
		c.ops = append(c.ops, op{lit: c.lit.String(), v: -1})
		c.lit.Reset()
	}
}

func (c *compiler) errorf(off int, format string, args ...any) error {
	return &TemplateError{Src: c.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// placeholder compiles the placeholder opened at start; c.i is past "{{".
func (c *compiler) placeholder(start int) error {
	unterminated := func() error {
		return c.errorf(start, "unterminated placeholder (no closing }})")
	}
	c.space()
	if c.i >= len(c.src) {
		return unterminated()
	}
	var (
		literal bool
		text    string // the literal, or the variable name
		at      = c.i
	)
	switch ch := c.src[c.i]; {
	case ch == '"':
		end := strings.IndexByte(c.src[c.i+1:], '"')
		if end < 0 {
			return c.errorf(at, "unterminated string literal in placeholder")
		}
		literal, text = true, c.src[c.i+1:c.i+1+end]
		c.i += end + 2
	case isNameByte(ch):
		for c.i < len(c.src) && isNameByte(c.src[c.i]) {
			c.i++
		}
		text = c.src[at:c.i]
	case ch == '}' && strings.HasPrefix(c.src[c.i:], "}}"):
		return c.errorf(start, "empty placeholder {{}}")
	case ch == '{':
		return c.errorf(at, `unexpected '{' in placeholder (write a literal "{{" as {{"{{"}})`)
	default:
		return c.errorf(at, "unexpected %q in placeholder (want a variable name or a quoted literal)", ch)
	}
	var filters []filter
	for {
		c.space()
		if c.i >= len(c.src) {
			return unterminated()
		}
		if strings.HasPrefix(c.src[c.i:], "}}") {
			c.i += 2
			break
		}
		if c.src[c.i] != '|' {
			return c.errorf(c.i, "unexpected %q in placeholder (want | filter or }})", c.src[c.i])
		}
		c.i++
		c.space()
		fat := c.i
		for c.i < len(c.src) && isNameByte(c.src[c.i]) {
			c.i++
		}
		name := c.src[fat:c.i]
		if name == "" {
			return c.errorf(fat, "missing filter name after |")
		}
		f, ok := filterByName(name)
		if !ok {
			msg := fmt.Sprintf("unknown filter %q", name)
			if close := closeMatches(name, filterNames, 2); len(close) > 0 {
				msg += " (did you mean " + quoteList(close, " or ") + "?)"
			}
			return c.errorf(fat, "%s; the filters are %s", msg, strings.Join(filterNames, ", "))
		}
		filters = append(filters, f)
	}
	if literal {
		if len(filters) == 0 {
			c.lit.WriteString(text)
		} else {
			c.lit.Write(appendFilters(nil, []byte(text), filters))
		}
		return nil
	}
	v, ok := c.names.Index(text)
	if !ok {
		return c.errorf(at, "%s", c.names.unknownName("variable", text))
	}
	c.flush()
	c.ops = append(c.ops, op{v: v, filters: filters})
	if !slices.Contains(c.uses, v) {
		c.uses = append(c.uses, v)
	}
	return nil
}

func (c *compiler) space() {
	for c.i < len(c.src) && (c.src[c.i] == ' ' || c.src[c.i] == '\t' || c.src[c.i] == '\n' || c.src[c.i] == '\r') {
		c.i++
	}
}
