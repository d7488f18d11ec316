package scenario

import (
	"encoding/binary"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth is the deepest nesting the scanner follows, as encoding/json.
const maxJSONDepth = 10000

// scanner reads a JSON document in place, validating what it reads without
// decoding it: no allocation, no reflection. It is the part of a JSON decoder
// that a path lookup needs.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value moves s past the value at s.i, nested depth containers deep.
func (s *scanner) value(depth int) error {
	if s.i >= len(s.b) {
		return s.errorf("unexpected end of document")
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if depth >= maxJSONDepth {
			return s.errorf("nested more than %d deep", maxJSONDepth)
		}
		return s.container(depth)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return s.number()
		}
		return s.errorf("want a JSON value, got %q", c)
	}
}

// container moves s past the object or array at s.i.
func (s *scanner) container(depth int) error {
	obj := s.b[s.i] == '{'
	closing := byte(']')
	if obj {
		closing = '}'
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		return nil
	}
	for {
		if obj {
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return s.errorf("want a member name")
			}
			if _, err := s.str(); err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return s.errorf("want : after a member name")
			}
			s.i++
			s.space()
		}
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return s.errorf("unexpected end of document")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.space()
		case closing:
			s.i++
			return nil
		default:
			return s.errorf("want , or %c", closing)
		}
	}
}

// strSafe marks the bytes a string may hold that need no further look: not a
// quote, a backslash, a control character or a byte of a multi-byte rune.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str moves s past the string at s.i (the opening quote). plain reports that
// the string has no escapes and is valid UTF-8, so its content is its value.
func (s *scanner) str() (plain bool, err error) {
	s.i++
	escaped, high := false, false
	start := s.i
	for {
		for s.i+8 <= len(s.b) && swarSafe(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		for s.i < len(s.b) && strSafe[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			return false, s.errorf("unterminated string")
		}
		switch c := s.b[s.i]; {
		case c == '"':
			plain = !escaped && (!high || utf8.Valid(s.b[start:s.i]))
			s.i++
			return plain, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return false, s.errorf("unterminated string")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if getu4(s.b[s.i:]) < 0 {
					return false, s.errorf("invalid \\u escape")
				}
				s.i += 6
			default:
				return false, s.errorf("invalid escape \\%c", s.b[s.i+1])
			}
		case c < 0x20:
			return false, s.errorf("control character %q in string", c)
		default:
			high = true
			s.i++
		}
	}
}

// swarSafe reports whether all 8 bytes of x (read little-endian) are strSafe,
// testing them at once: a byte is unsafe if its top bit is set (non-ASCII),
// if it is below 0x20, or if it equals '"' or '\\'. With no top bit set, the
// classic tests are exact: b-1 borrows into the top bit only where b == 0,
// and b-0x20 only where b < 0x20.
func swarSafe(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ lo*'"'
	e := x ^ lo*'\\'
	return (x|(x-lo*0x20)&^x|(q-lo)&^q|(e-lo)&^e)&hi == 0
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// number moves s past a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return s.errorf("invalid number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.errorf("invalid number: want a digit after .")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.errorf("invalid number: want a digit in the exponent")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

// getu4 decodes \uXXXX at the start of b, or returns -1.
func getu4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// appendUnquote appends the value of the valid JSON string q (with its
// quotes) to dst, decoding as encoding/json does: escapes resolved, a lone
// surrogate and each byte of invalid UTF-8 replaced by U+FFFD.
func appendUnquote(dst, q []byte) []byte {
	s := q[1 : len(q)-1]
	i := 0
	for i < len(s) && strSafe[s[i]] {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	dst = append(dst, s[:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := getu4(s[i:])
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, getu4(s[i:])); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// keyEqual reports whether the JSON string q (with its quotes) has the value
// key. plain is what str reported for q.
func keyEqual(q []byte, plain bool, key string) bool {
	if plain {
		return string(q[1:len(q)-1]) == key
	}
	var buf [128]byte
	return string(appendUnquote(buf[:0], q)) == key
}

// appendCompact appends the valid JSON value v to dst without insignificant
// whitespace, as json.Compact does.
func appendCompact(dst, v []byte) []byte {
	inStr := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ' ', '\t', '\n', '\r':
			dst = append(dst, v[start:i]...)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}
