package journey

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/scenario"
)

// This file writes the lean client's requests (lean.go) as net/http wrote
// them for the journeys, and dumps them for --debug.

// serialize writes the request into l.req.
func (l *lean) serialize(o *leanOut, method string, u *url.URL, body []byte, strip, noBodyHeaders bool, referer string) error {
	b := append(l.req[:0], method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\n"...)
	agent, ctype := false, false
	cookie := l.cookie[:0]
	if o.s != nil {
		for _, h := range o.s.header {
			switch h.name {
			case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
				continue // net/http writes these itself
			case "Authorization", "Cookie", "Www-Authenticate", "Proxy-Authorization", "Proxy-Authenticate":
				if strip {
					continue
				}
			case "Content-Type", "Content-Encoding", "Content-Language", "Content-Location":
				if noBodyHeaders {
					continue
				}
			case "Referer":
				if referer != "" {
					continue
				}
			}
			l.val = h.val.Append(l.val[:0], o.v)
			if !validValue(l.val) {
				l.req = b
				return fmt.Errorf("net/http: invalid header field value for %q", h.name)
			}
			switch h.name {
			case "User-Agent":
				agent = true
				if len(l.val) == 0 {
					continue // an empty User-Agent sends none
				}
			case "Content-Type":
				ctype = true
			case "Cookie":
				cookie = append(cookie[:0], l.val...) // sent with the jar's
				l.cookie = cookie
				continue
			}
			b = appendField(b, h.name, l.val)
		}
	}
	if !agent {
		b = appendField(b, "User-Agent", []byte(engine.UserAgent))
	}
	if o.form && !ctype && !noBodyHeaders {
		b = append(b, "Content-Type: application/x-www-form-urlencoded\r\n"...)
	}
	if o.origin != "" {
		b = append(b, "Origin: "...)
		b = append(b, o.origin...)
		b = append(b, "\r\n"...)
	}
	if referer != "" {
		b = append(b, "Referer: "...)
		b = append(b, referer...)
		b = append(b, "\r\n"...)
	}
	l.ck = append(l.ck[:0], cookie...)
	if n := len(l.ck); n > 0 {
		l.ck = append(l.ck, "; "...)
		if l.ck = l.jar.appendHeader(l.ck, u, time.Now()); len(l.ck) == n+2 {
			l.ck = l.ck[:n] // nothing from the jar
		}
	} else {
		l.ck = l.jar.appendHeader(l.ck, u, time.Now())
	}
	if len(l.ck) > 0 {
		b = appendField(b, "Cookie", l.ck)
	}
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	l.req = append(b, body...)
	return nil
}

func appendField(b []byte, name string, value []byte) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// validValue reports whether v may be a header field's value: no control
// byte but tab (net/http refuses to send others).
func validValue(v []byte) bool {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// equalFold compares a field name with a canonical name, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// domainOrSubdomain reports whether sub is parent or a subdomain of it,
// where net/http keeps a request's Authorization and Cookie on a redirect.
func domainOrSubdomain(sub, parent string) bool {
	if sub == parent {
		return true
	}
	for _, c := range sub {
		if c == ':' || c == '%' {
			return false
		}
	}
	return hasDotSuffix(sub, parent)
}

// dump writes the exchange of a request to the debug dump: the request as
// net/http would have sent it, and its answer.
func (l *lean) dump(name string, o *leanOut, method string, u *url.URL, body, shown []byte, a *leanAnswer, err error) {
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	req.Header.Set("User-Agent", engine.UserAgent)
	if o.form {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if o.origin != "" {
		req.Header.Set("Origin", o.origin)
	}
	if o.s != nil {
		for _, h := range o.s.header {
			req.Header.Set(h.name, string(h.val.Append(nil, o.v)))
		}
	}
	if shown == nil {
		shown = body
	}
	var res *http.Response
	var rb []byte
	if err == nil {
		res = &http.Response{Proto: "HTTP/1.1", Status: strconv.Itoa(a.status) + " " + http.StatusText(a.status), Header: a.header}
		rb = a.body
	}
	l.j.opts.Debug.dump(l.j.sc.Name, name, req, shown, res, rb, err)
}

// appendForm appends step s's form, encoded, to dst.
func appendForm(dst []byte, s *step, v *scenario.Vars, buf *[]byte) []byte {
	for i, f := range s.form {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = appendQueryEscape(dst, f.key)
		dst = append(dst, '=')
		*buf = f.val.Append((*buf)[:0], v)
		dst = appendQueryEscape(dst, string(*buf))
	}
	return dst
}

// appendQueryEscape appends s escaped as url.QueryEscape escapes it.
func appendQueryEscape(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// validMethod reports whether method is an HTTP token, as net/http wants.
func validMethod(method string) bool {
	for i := 0; i < len(method); i++ {
		c := method[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return method != ""
}
