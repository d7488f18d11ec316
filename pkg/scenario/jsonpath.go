package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxJSONIndex is the largest array index a JSON path may hold.
const MaxJSONIndex = 1<<31 - 1

// jsonPath is a compiled JSON path: the steps from the root to a value.
type jsonPath []jsonStep

// jsonStep is one step of a path: object member key when index < 0,
// otherwise array element index.
type jsonStep struct {
	key   string
	index int
}

// parseJSONPath compiles the JSON path subset extractors accept:
//
//	$                   the whole document
//	$.a.b  a.b          member b of member a ("$." is optional before a name)
//	$.a[0].b            member b of the first element of array a
//	$['key with space'] a member whose name is not a plain name; ["…"] too,
//	                    with \' \" and \\ as the only escapes
//
// A plain name is one or more bytes other than . [ ] ' " and whitespace.
// Array indexes are non-negative decimal integers.
func parseJSONPath(s string) (jsonPath, error) {
	p := pathParser{s: s}
	path, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("JSON path %q: byte %d: %w", s, p.i, err)
	}
	return path, nil
}

type pathParser struct {
	s string
	i int
}

func (p *pathParser) parse() (jsonPath, error) {
	if p.s == "" {
		return nil, errors.New("empty path (use $ for the whole document)")
	}
	var path jsonPath
	if p.s[0] == '$' {
		p.i = 1
	} else {
		// A leading name without "$.".
		key, err := p.name()
		if err != nil {
			return nil, err
		}
		path = append(path, jsonStep{key: key, index: -1})
	}
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '.':
			p.i++
			key, err := p.name()
			if err != nil {
				return nil, err
			}
			path = append(path, jsonStep{key: key, index: -1})
		case '[':
			p.i++
			st, err := p.bracket()
			if err != nil {
				return nil, err
			}
			path = append(path, st)
		default:
			return nil, fmt.Errorf("unexpected %q (want . or [)", p.s[p.i])
		}
	}
	return path, nil
}

func isPlainNameByte(c byte) bool {
	switch c {
	case '.', '[', ']', '\'', '"', ' ', '\t', '\n', '\r', '\f', '\v':
		return false
	}
	return true
}

// name reads a plain name at p.i.
func (p *pathParser) name() (string, error) {
	start := p.i
	for p.i < len(p.s) && isPlainNameByte(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		if p.i < len(p.s) {
			return "", fmt.Errorf("unexpected %q (want a member name; quote other names as ['…'])", p.s[p.i])
		}
		return "", errors.New("missing member name at end of path")
	}
	return p.s[start:p.i], nil
}

// bracket reads an index or a quoted name after '[', and the closing ']'.
func (p *pathParser) bracket() (jsonStep, error) {
	if p.i >= len(p.s) {
		return jsonStep{}, errors.New("unterminated [")
	}
	var st jsonStep
	switch q := p.s[p.i]; {
	case q == '\'' || q == '"':
		p.i++
		var b strings.Builder
		for {
			if p.i >= len(p.s) {
				return jsonStep{}, errors.New("unterminated quoted name")
			}
			c := p.s[p.i]
			if c == q {
				p.i++
				break
			}
			if c == '\\' {
				p.i++
				if p.i >= len(p.s) {
					return jsonStep{}, errors.New("unterminated quoted name")
				}
				c = p.s[p.i]
				if c != '\\' && c != '\'' && c != '"' {
					return jsonStep{}, fmt.Errorf("unknown escape \\%c in quoted name (want \\\\, \\' or \\\")", c)
				}
			}
			b.WriteByte(c)
			p.i++
		}
		st = jsonStep{key: b.String(), index: -1}
	case '0' <= q && q <= '9':
		start := p.i
		for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.Atoi(p.s[start:p.i])
		if err != nil || n > MaxJSONIndex {
			return jsonStep{}, fmt.Errorf("array index %s is out of range (0 to %d)", p.s[start:p.i], MaxJSONIndex)
		}
		st = jsonStep{index: n}
	default:
		return jsonStep{}, fmt.Errorf("unexpected %q after [ (want an index such as [0] or a quoted name such as ['a b'])", q)
	}
	if p.i >= len(p.s) || p.s[p.i] != ']' {
		return jsonStep{}, errors.New("missing ]")
	}
	p.i++
	return st, nil
}

// String writes p in canonical form, with every name bracketed.
func (p jsonPath) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, st := range p {
		if st.index >= 0 {
			fmt.Fprintf(&b, "[%d]", st.index)
			continue
		}
		b.WriteString("['")
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(st.key))
		b.WriteString("']")
	}
	return b.String()
}

// errJSONNull is the reason a path that leads to null is not found.
var errJSONNull = errors.New("value is null")

// appendValue finds the value at p in the JSON document doc and appends it
// to dst: a string's content (unescaped, with invalid UTF-8 replaced by
// U+FFFD, as encoding/json does), a number, true or false as written, an
// object or array as compact JSON. null is not a value: it reports
// errJSONNull, so that an extractor's default applies rather than sending the
// text "null" in a later request.
//
// It reads doc only as far as the value (the first member with a matching
// name wins, where encoding/json would take the last), validating the syntax
// of what it reads, and checks that the value is followed by what may follow a
// value; it does not check the rest of the document.
func (p jsonPath) appendValue(dst, doc []byte) ([]byte, error) {
	s := scanner{b: doc}
	s.space()
	for _, st := range p {
		var err error
		if st.index >= 0 {
			err = s.toIndex(st.index)
		} else {
			err = s.toKey(st.key)
		}
		if err != nil {
			return dst, err
		}
	}
	start := s.i
	plain := false
	if s.i < len(s.b) && s.b[s.i] == '"' {
		var err error
		if plain, err = s.str(); err != nil {
			return dst, err
		}
	} else if err := s.value(0); err != nil {
		return dst, err
	}
	end := s.i
	s.space()
	if len(p) == 0 {
		if s.i < len(s.b) {
			return dst, s.errorf("data after the document")
		}
	} else if s.i >= len(s.b) || s.b[s.i] != ',' && s.b[s.i] != '}' && s.b[s.i] != ']' {
		return dst, s.errorf("want , } or ] after a value")
	}
	v := doc[start:end]
	switch v[0] {
	case '"':
		if plain {
			return append(dst, v[1:len(v)-1]...), nil
		}
		return appendUnquote(dst, v), nil
	case '{', '[':
		return appendCompact(dst, v), nil
	case 'n':
		return dst, errJSONNull
	}
	return append(dst, v...), nil
}

// toKey moves s from the start of an object to the value of its first member
// named key.
func (s *scanner) toKey(key string) error {
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.notA("object", fmt.Sprintf("member %q", key))
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		return fmt.Errorf("no member %q: %w", key, errJSONMissing)
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.errorf("want a member name")
		}
		start := s.i
		plain, err := s.str()
		if err != nil {
			return err
		}
		match := keyEqual(s.b[start:s.i], plain, key)
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.errorf("want : after a member name")
		}
		s.i++
		s.space()
		if match {
			return nil
		}
		if err := s.value(0); err != nil {
			return err
		}
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			return fmt.Errorf("no member %q: %w", key, errJSONMissing)
		}
		if s.i >= len(s.b) || s.b[s.i] != ',' {
			return s.errorf("want , or } in an object")
		}
		s.i++
		s.space()
	}
}

// toIndex moves s from the start of an array to its element n.
func (s *scanner) toIndex(n int) error {
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.notA("array", fmt.Sprintf("element [%d]", n))
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		return fmt.Errorf("no element [%d] in an empty array: %w", n, errJSONMissing)
	}
	for k := 0; ; k++ {
		if k == n {
			return nil
		}
		if err := s.value(0); err != nil {
			return err
		}
		s.space()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			return fmt.Errorf("no element [%d] in an array of %d: %w", n, k+1, errJSONMissing)
		}
		if s.i >= len(s.b) || s.b[s.i] != ',' {
			return s.errorf("want , or ] in an array")
		}
		s.i++
		s.space()
	}
}

// notA reports that the value at s is not the object or array step needs.
func (s *scanner) notA(want, step string) error {
	if s.i >= len(s.b) {
		return s.errorf("unexpected end of document")
	}
	got := "a string"
	switch c := s.b[s.i]; {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == 'n':
		got = "null"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == '-' || '0' <= c && c <= '9':
		got = "a number"
	case c != '"':
		return s.errorf("want a JSON value, got %q", c)
	}
	return fmt.Errorf("cannot take %s of %s (want %s): %w", step, got, want, errJSONMissing)
}

// errJSONMissing marks a path step that the document does not have.
var errJSONMissing = errors.New("not in the document")
