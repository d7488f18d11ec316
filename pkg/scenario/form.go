package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// formFinder finds an input's value or a form's attribute in an HTML page,
// with the x/net/html tokenizer: markup inside comments, <script> and
// <style> is not mistaken for a form, and attribute values come out
// entity-decoded.
type formFinder struct {
	formID string // the id of the form to look in; "" is any form
	attr   string // the form attribute to return; "" to return an input's value
	field  string // the name of the input, when attr is ""
}

// parseFormExpr parses a form extractor's expression; see CompileExtractor.
func parseFormExpr(expr string) (*formFinder, error) {
	switch {
	case strings.HasPrefix(expr, "form."):
		attr, err := formAttr(expr[len("form."):])
		return &formFinder{attr: attr}, err
	case strings.HasPrefix(expr, "#"):
		rest := expr[1:]
		if id, field, ok := strings.Cut(rest, " "); ok {
			if id == "" {
				return nil, errors.New("empty form id after #")
			}
			name, err := formField(strings.TrimLeft(field, " "))
			return &formFinder{formID: id, field: name}, err
		}
		dot := strings.LastIndexByte(rest, '.')
		if dot < 0 {
			return nil, fmt.Errorf("%q: want #ID.ATTR (such as #kc-form-login.action) or #ID FIELD", expr)
		}
		if dot == 0 {
			return nil, errors.New("empty form id after #")
		}
		attr, err := formAttr(rest[dot+1:])
		return &formFinder{formID: rest[:dot], attr: attr}, err
	}
	name, err := formField(expr)
	return &formFinder{field: name}, err
}

// formAttr checks the name of a form attribute and lowercases it, as the
// tokenizer does.
func formAttr(s string) (string, error) {
	if s == "" {
		return "", errors.New("missing form attribute name (such as form.action)")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isNameByte(c) || c == ':') || c == '.' {
			return "", fmt.Errorf("form attribute %q has %q at byte %d", s, c, i)
		}
	}
	return strings.ToLower(s), nil
}

// formField returns the input name of NAME, input[name=NAME],
// input[name="NAME"] or input[name='NAME'].
func formField(s string) (string, error) {
	if inner, ok := strings.CutPrefix(s, "input["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if !ok {
			return "", fmt.Errorf("%q: missing ] after input[", s)
		}
		name, ok := strings.CutPrefix(inner, "name=")
		if !ok {
			return "", fmt.Errorf("%q: want input[name=NAME]", s)
		}
		if len(name) >= 2 && (name[0] == '"' || name[0] == '\'') && name[len(name)-1] == name[0] {
			name = name[1 : len(name)-1]
		} else if strings.ContainsAny(name, `"'`) {
			return "", fmt.Errorf("%q: unbalanced quotes in input name", s)
		}
		if name == "" {
			return "", fmt.Errorf("%q: empty input name", s)
		}
		return name, nil
	}
	if s == "" {
		return "", errors.New("empty input name")
	}
	if i := strings.IndexAny(s, " \t\r\n\f"); i >= 0 {
		return "", fmt.Errorf("input name %q has a space at byte %d (write input[name='…'])", s, i)
	}
	return s, nil
}

// find appends match n of f in r's body: the attribute of the n-th
// matching form, or the value of the n-th matching input.
func (f *formFinder) find(dst []byte, r *Response, n int) ([]byte, int, error) {
	m := formMatches{f: f, z: html.NewTokenizer(bytes.NewReader(r.Body))}
	for count := 0; ; count++ {
		val, has, ok := m.next()
		if !ok {
			return dst, count, f.missing(count)
		}
		if count == n {
			if !has {
				return dst, count + 1, fmt.Errorf("form has no %s attribute: %w", f.attr, ErrNotFound)
			}
			return append(dst, val...), count + 1, nil
		}
	}
}

// formMatches walks the elements of a page that a formFinder matches.
type formMatches struct {
	f      *formFinder
	z      *html.Tokenizer
	inForm bool // inside the form named by f.formID
}

// next reads up to the next match and returns its value, which is valid
// until the next call: the form attribute (has is false when the form
// lacks it) or the input's value ("" without one). ok is false at the end
// of the page.
func (m *formMatches) next() (val []byte, has, ok bool) {
	for {
		switch tt := m.z.Next(); tt {
		case html.ErrorToken:
			return nil, false, false
		case html.EndTagToken:
			if name, _ := m.z.TagName(); string(name) == "form" {
				m.inForm = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if val, has, ok := m.start(tt); ok {
				return val, has, true
			}
		}
	}
}

// start reads a start tag, as next returns it: ok says whether it is a
// match. A form tag opens or closes the form f looks in.
func (m *formMatches) start(tt html.TokenType) (val []byte, has, ok bool) {
	f := m.f
	name, more := m.z.TagName()
	switch string(name) {
	case "form":
		match, val, has := f.readForm(m.z, more)
		m.inForm = match && tt == html.StartTagToken
		return val, has, match && f.attr != ""
	case "input":
		if f.attr != "" || f.formID != "" && !m.inForm {
			return nil, false, false
		}
		named, val := f.readInput(m.z, more)
		return val, true, named
	}
	return nil, false, false
}

// readForm reads the attributes of a form tag: whether it is a form f
// looks in (any form when f.formID is ""), and the value of f.attr if it
// has one (the first, if it is written twice).
func (f *formFinder) readForm(z *html.Tokenizer, more bool) (match bool, val []byte, has bool) {
	match = f.formID == ""
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if f.formID != "" && string(k) == "id" && string(v) == f.formID {
			match = true
		}
		if f.attr != "" && !has && string(k) == f.attr {
			val, has = v, true
		}
	}
	return match, val, has
}

// readInput reads the attributes of an input tag: whether one of its
// names is f.field, and its value (the first, if it is written twice).
func (f *formFinder) readInput(z *html.Tokenizer, more bool) (named bool, val []byte) {
	hasVal := false
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "name":
			named = named || string(v) == f.field
		case "value":
			if !hasVal {
				val, hasVal = v, true
			}
		}
	}
	return named, val
}

func (f *formFinder) missing(count int) error {
	what := "input named " + f.field
	switch {
	case f.attr != "" && f.formID != "":
		what = "form with id " + f.formID
	case f.attr != "":
		what = "form"
	case f.formID != "":
		what += " in the form with id " + f.formID
	}
	return fmt.Errorf("%d matching %s: %w", count, what, ErrNotFound)
}
