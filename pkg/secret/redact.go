package secret

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Redacted is what a Redactor writes in place of what it hides.
const Redacted = "[REDACTED]"

// MinRedactLen is the length, in bytes, below which Add ignores a value.
//
// Substring redaction of a short value does more harm than good. A value
// of one to three bytes ("1", "ok", "abc") occurs by chance in most text,
// so redacting it would shred every log line and report. Worse, it would
// reveal the value: if every "e" in a report turns into [REDACTED], the
// secret is "e". Such a value is also too short to be worth guessing-
// protection at all. Values named by header or field (Header, Body, URL)
// are redacted whatever their length.
const MinRedactLen = 4

// Redactor hides known secret values, and the values of headers and fields
// that carry credentials, in text meant for people: debug output, logs,
// error messages. It learns values with Add (a Resolver adds each value it
// resolves). It is safe for concurrent use.
//
// A nil *Redactor knows no values; its Header, Body and URL still redact by
// name.
type Redactor struct {
	mu    sync.RWMutex
	known []string // the values and their escaped forms, each once
	seen  map[string]bool
}

// NewRedactor returns a Redactor that knows no values.
func NewRedactor() *Redactor { return &Redactor{seen: map[string]bool{}} }

// Add teaches r values to hide; values shorter than MinRedactLen are
// ignored (see MinRedactLen). Besides each value, r hides the forms it
// takes escaped in a URL query or form body, in a JSON string, and in a Go
// quoted string (error messages quote URLs with %q).
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < MinRedactLen {
			continue
		}
		for _, form := range []string{v, url.QueryEscape(v), jsonEscape(v), goEscape(v)} {
			if !r.seen[form] {
				r.seen[form] = true
				r.known = append(r.known, form)
			}
		}
	}
}

// Len returns how many values and escaped forms r hides.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.known)
}

// tokenShaped matches what looks like a JSON Web Token (a JWS of three
// base64url parts, a JWE of five), whoever's it is: its header, base64url
// JSON, begins with eyJ ({").
var tokenShaped = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?`)

// String returns s with every occurrence of a known value, and every
// token-shaped value (a JWT: an ID token, an id_token_hint, a client
// assertion), replaced by Redacted. Overlapping or adjacent occurrences
// become one Redacted, so that no part of either value shows.
func (r *Redactor) String(s string) string {
	var hide []bool // hide[i]: byte i of s is part of a known value
	if strings.Contains(s, "eyJ") {
		for _, m := range tokenShaped.FindAllStringIndex(s, -1) {
			if hide == nil {
				hide = make([]bool, len(s))
			}
			for k := m[0]; k < m[1]; k++ {
				hide[k] = true
			}
		}
	}
	if r == nil {
		return redactMask(s, hide)
	}
	r.mu.RLock()
	for _, v := range r.known {
		for i := 0; i+len(v) <= len(s); {
			j := strings.Index(s[i:], v)
			if j < 0 {
				break
			}
			if hide == nil {
				hide = make([]bool, len(s))
			}
			for k := i + j; k < i+j+len(v); k++ {
				hide[k] = true
			}
			i += j + 1
		}
	}
	r.mu.RUnlock()
	return redactMask(s, hide)
}

// redactMask returns s with each run of the bytes hide marks replaced by
// Redacted.
func redactMask(s string, hide []bool) string {
	if hide == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case !hide[i]:
			b.WriteByte(s[i])
		case i == 0 || !hide[i-1]:
			b.WriteString(Redacted)
		}
	}
	return b.String()
}

// Bytes is String for a byte slice. It returns b itself when b holds no
// known value.
func (r *Redactor) Bytes(b []byte) []byte {
	s := string(b)
	if out := r.String(s); out != s {
		return []byte(out)
	}
	return b
}

// Error returns the text of err with known values redacted, or "" for a
// nil err: for logging an error whose origin is not this package.
func (r *Redactor) Error(err error) string {
	if err == nil {
		return ""
	}
	return r.String(err.Error())
}

// goEscape returns s as it appears inside a string quoted by strconv.Quote
// (fmt's %q).
func goEscape(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// jsonEscape returns s as it appears inside a JSON string written by
// encoding/json (which escapes <, > and &, and invalid UTF-8).
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
