package secret

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// sensitiveFields are the JSON and form fields whose values Body and URL
// hide, compared without regard to case: OAuth 2 and OpenID Connect tokens,
// codes, client credentials and the values that bind a login to its
// browser (RFC 6749, 7636, 7523, 8693; OpenID Connect Core and
// RP-Initiated Logout), and passwords.
var sensitiveFields = []string{
	"access_token", "refresh_token", "id_token", "token", "subject_token", "id_token_hint",
	"client_secret", "client_assertion", "password", "code", "code_verifier", "state", "nonce",
}

// jsonField matches a sensitive field of a JSON object with its string or
// number value; a string cut off at the end of the text (a truncated body)
// matches too.
var jsonField = regexp.MustCompile(`(?i)("(?:` + strings.Join(sensitiveFields, "|") + `)"\s*:\s*)("(?:[^"\\]|\\.)*"?|-?[0-9][0-9.eE+-]*)`)

// Header returns a copy of h for debug output: the values of
// Authorization and Proxy-Authorization (all but the scheme), Cookie and
// Set-Cookie (all but the cookie names and attributes), X-Api-Key,
// X-Auth-Token and X-Amz-Security-Token are Redacted; sensitive query
// fields of Location, Content-Location and Referer are hidden as by URL;
// known values are redacted in every header.
func (r *Redactor) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		name := http.CanonicalHeaderKey(k)
		hidden := make([]string, len(vs))
		for i, v := range vs {
			hidden[i] = r.String(headerValue(name, v))
		}
		out[k] = hidden
	}
	return out
}

// headerValue hides the parts of one value of the header name that carry
// credentials by their position.
func headerValue(name, v string) string {
	switch name {
	case "Authorization", "Proxy-Authorization":
		if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && scheme != "" {
			return scheme + " " + Redacted
		}
		return Redacted
	case "Cookie":
		pairs := strings.Split(v, ";")
		for i, p := range pairs {
			pairs[i] = cookiePair(strings.TrimSpace(p))
		}
		return strings.Join(pairs, "; ")
	case "Set-Cookie":
		pair, attrs, ok := strings.Cut(v, ";")
		if ok {
			return cookiePair(strings.TrimSpace(pair)) + ";" + attrs
		}
		return cookiePair(strings.TrimSpace(pair))
	case "X-Api-Key", "X-Auth-Token", "X-Amz-Security-Token":
		return Redacted
	case "Location", "Content-Location", "Referer":
		return redactURL(v)
	}
	return v
}

// cookiePair returns name=Redacted for name=value.
func cookiePair(p string) string {
	if name, _, ok := strings.Cut(p, "="); ok {
		return name + "=" + Redacted
	}
	return Redacted
}

// Body returns body, of the given Content-Type, for debug output: the
// values of sensitive fields (access_token, refresh_token, id_token,
// token, subject_token, id_token_hint, client_secret, client_assertion,
// password, code, code_verifier, state, nonce) are Redacted in a JSON body, at any depth, and in a form
// body (application/x-www-form-urlencoded, or a body without a Content-Type
// that looks like one), and known values are redacted throughout. JSON
// fields are found by pattern, not by decoding, so that a truncated body
// is redacted too and the rest keeps its layout. Body returns body itself
// when it hides nothing.
func (r *Redactor) Body(contentType string, body []byte) []byte {
	s := string(body)
	out := jsonField.ReplaceAllString(s, `${1}"`+Redacted+`"`)
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || (contentType == "" && looksLikeForm(s)) {
		out = redactForm(out)
	}
	out = r.String(out)
	if out == s {
		return body
	}
	return []byte(out)
}

// URL returns u for debug output: a password in its user information and
// the values of sensitive fields in its query and fragment (where the
// implicit flow returns tokens) are hidden, and known values are redacted.
func (r *Redactor) URL(u string) string { return r.String(redactURL(u)) }

// urlInText finds URLs in free text: a scheme, "://", and what follows up to
// white space or a quote (net/http's *url.Error quotes its URL).
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)

// Message returns an error message for a report or a log: every URL in it
// is hidden as by URL, and known values are redacted throughout.
// Punctuation that ends a URL ("…/cb?code=x: refused") is taken to be the
// sentence's.
func (r *Redactor) Message(s string) string {
	return r.String(urlInText.ReplaceAllStringFunc(s, func(u string) string {
		body := strings.TrimRight(u, ".,;:!?)]}")
		return redactURL(body) + u[len(body):]
	}))
}

// redactURL is URL without known values.
func redactURL(u string) string {
	rest, frag, hasFrag := strings.Cut(u, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	if p, err := url.Parse(base); err == nil && p.User != nil {
		if _, ok := p.User.Password(); ok {
			base = p.Redacted()
		}
	}
	if hasQuery {
		base += "?" + redactForm(query)
	}
	if hasFrag {
		base += "#" + redactForm(frag)
	}
	return base
}

// redactForm hides the values of sensitive fields in a form body or query,
// keeping the order and encoding of the rest.
func redactForm(s string) string {
	pairs := strings.Split(s, "&")
	for i, p := range pairs {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if key, err := url.QueryUnescape(k); err == nil && sensitive(key) {
			pairs[i] = k + "=" + Redacted
		}
	}
	return strings.Join(pairs, "&")
}

// looksLikeForm reports whether s, of no stated type, is a form body:
// name=value pairs without white space.
func looksLikeForm(s string) bool {
	return strings.Contains(s, "=") && !strings.ContainsAny(s, " \t\r\n{}<>\"")
}

func sensitive(key string) bool {
	for _, f := range sensitiveFields {
		if strings.EqualFold(key, f) {
			return true
		}
	}
	return false
}
