package scenario

import (
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
)

// The finders of the json, regex, header and cookie sources; the form source
// is in form.go.

type jsonFinder struct{ path jsonPath }

func (f jsonFinder) find(dst []byte, r *Response, n int) ([]byte, int, error) {
	out, err := f.path.appendValue(dst, r.Body)
	if err != nil {
		return dst, 0, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return out, 1, nil
}

type regexFinder struct {
	re     *regexp.Regexp
	header string // the canonical name of the header to match in, or "" for the body
}

func (f regexFinder) find(dst []byte, r *Response, n int) ([]byte, int, error) {
	if f.header == "" {
		ms := f.re.FindAllSubmatchIndex(r.Body, limit(n))
		if n >= len(ms) {
			return dst, len(ms), fmt.Errorf("%d matches: %w", len(ms), ErrNotFound)
		}
		lo, hi, ok := group(ms[n])
		if !ok {
			return dst, len(ms), fmt.Errorf("match %d has no capture: %w", n, ErrNotFound)
		}
		return append(dst, r.Body[lo:hi]...), len(ms), nil
	}
	count := 0
	for _, v := range headerValues(r.Header, f.header) {
		ms := f.re.FindAllStringSubmatchIndex(v, limit(n-count))
		if n-count >= len(ms) {
			count += len(ms)
			continue
		}
		lo, hi, ok := group(ms[n-count])
		if !ok {
			return dst, count + len(ms), fmt.Errorf("match %d has no capture: %w", n, ErrNotFound)
		}
		return append(dst, v[lo:hi]...), count + len(ms), nil
	}
	return dst, count, fmt.Errorf("%d matches in header %s: %w", count, f.header, ErrNotFound)
}

// limit is the FindAll limit that finds match n, or -1 for all matches.
func limit(n int) int {
	if n >= int(^uint(0)>>1)-1 {
		return -1
	}
	return n + 1
}

// group returns the bounds of the first capture group of match m, or of the
// whole match if the expression has no group; ok is false if the group did
// not take part in the match.
func group(m []int) (lo, hi int, ok bool) {
	if len(m) > 2 {
		m = m[2:4]
	}
	return m[0], m[1], m[0] >= 0
}

type headerFinder struct{ key string } // canonical

func (f headerFinder) find(dst []byte, r *Response, n int) ([]byte, int, error) {
	vs := headerValues(r.Header, f.key)
	if n >= len(vs) {
		return dst, len(vs), fmt.Errorf("%d values: %w", len(vs), ErrNotFound)
	}
	return append(dst, vs[n]...), len(vs), nil
}

// headerValues returns the values of the header with the canonical name key,
// also from a header map not built by net/http, whose keys may not be
// canonical.
func headerValues(h http.Header, key string) []string {
	if vs, ok := h[key]; ok {
		return vs
	}
	for k, vs := range h {
		if strings.EqualFold(k, key) {
			return vs
		}
	}
	return nil
}

type cookieFinder struct{ name string }

func (f cookieFinder) find(dst []byte, r *Response, n int) ([]byte, int, error) {
	count := 0
	lines := func(lines []string) ([]byte, bool) {
		for _, line := range lines {
			v, ok := cookieValue(line, f.name)
			if !ok {
				continue
			}
			if count == n {
				count++
				return append(dst, v...), true
			}
			count++
		}
		return dst, false
	}
	if out, ok := lines(r.Header["Set-Cookie"]); ok {
		return out, count, nil
	}
	for k, ls := range r.Header { // a header map not built by net/http
		if k != "Set-Cookie" && strings.EqualFold(k, "Set-Cookie") {
			if out, ok := lines(ls); ok {
				return out, count, nil
			}
		}
	}
	return dst, count, fmt.Errorf("%d cookies of that name: %w", count, ErrNotFound)
}

// cookieValue returns the value of the Set-Cookie line if it sets the cookie
// name: the text between '=' and the first ';', trimmed, without surrounding
// double quotes, as net/http reads it.
func cookieValue(line, name string) (string, bool) {
	pair, _, _ := strings.Cut(line, ";")
	k, v, ok := strings.Cut(pair, "=")
	if !ok || textproto.TrimString(k) != name {
		return "", false
	}
	v = textproto.TrimString(v)
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v, true
}
