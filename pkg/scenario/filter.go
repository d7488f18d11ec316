package scenario

import (
	"encoding/base64"
	"unicode/utf8"
)

// filter is a transformation applied to a variable in a template, such as
// {{code | urlencode}}. Each appends its output to dst without allocating
// beyond growing dst.
type filter uint8

const (
	filterURL       filter = iota + 1 // urlencode: query and form escaping, as url.QueryEscape
	filterJSON                        // json: the content of a JSON string, without quotes
	filterBase64                      // base64: standard encoding, padded
	filterBase64URL                   // base64url: URL encoding, unpadded
)

// filterNames is in the order error messages list the filters.
var filterNames = []string{"urlencode", "json", "base64", "base64url"}

func filterByName(name string) (filter, bool) {
	for i, n := range filterNames {
		if n == name {
			return filter(i + 1), true
		}
	}
	return 0, false
}

func (f filter) String() string { return filterNames[f-1] }

func (f filter) append(dst, src []byte) []byte {
	switch f {
	case filterURL:
		return appendQueryEscape(dst, src)
	case filterJSON:
		return appendJSONEscape(dst, src)
	case filterBase64:
		return base64.StdEncoding.AppendEncode(dst, src)
	case filterBase64URL:
		return base64.RawURLEncoding.AppendEncode(dst, src)
	}
	return append(dst, src...)
}

// appendFilters appends src with every filter of fs applied in turn. The
// intermediate results live at the end of dst: filter k reads dst[start:mid]
// and appends after mid, then its output is moved down to start. Appending
// never writes below mid, and a reallocation leaves the old array (still
// referenced by the source slice) untouched, so the source is never
// overwritten while it is read.
func appendFilters(dst, src []byte, fs []filter) []byte {
	start := len(dst)
	dst = fs[0].append(dst, src)
	for _, f := range fs[1:] {
		mid := len(dst)
		dst = f.append(dst, dst[start:mid])
		dst = append(dst[:start], dst[mid:]...)
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// queryKeep marks the bytes url.QueryEscape leaves alone: ASCII letters,
// digits and "-_.~".
var queryKeep = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()

// appendQueryEscape escapes src as url.QueryEscape does: ASCII letters,
// digits and "-_.~" stay, a space becomes '+', every other byte becomes %XX.
// Runs of bytes that stay are copied at once.
func appendQueryEscape(dst, src []byte) []byte {
	start := 0
	for i, c := range src {
		if queryKeep[c] {
			continue
		}
		dst = append(dst, src[start:i]...)
		if c == ' ' {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
		start = i + 1
	}
	return append(dst, src[start:]...)
}

const lowerHex = "0123456789abcdef"

// appendJSONEscape writes src as the content of a JSON string, as
// encoding/json does with HTML escaping off: '"', '\\' and control characters
// are escaped (\b \f \n \r \t in short form), invalid UTF-8 becomes \ufffd,
// and U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendJSONEscape(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, src[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, src[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, src[start:]...)
}
