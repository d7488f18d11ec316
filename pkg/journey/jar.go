package journey

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// jar is the cookie jar of one iteration of the lean client (lean.go): a
// user's browser for one visit. It keeps what login flows rely on, as
// net/http/cookiejar without a public suffix list does (the jar of the
// net/http path, which jar_test.go holds it against):
//
//   - a cookie without Domain is host-only, sent back to its host alone; one
//     whose Domain is its host or a parent of it is sent to that domain and
//     its subdomains; any other Domain, and any Domain on an IP address but
//     the address itself, is refused;
//   - Path, else the directory of the request's path (RFC 6265 5.1.4),
//     matched as a prefix at a '/';
//   - Max-Age (0 or less deletes) before Expires (in the past deletes);
//     expired cookies are not sent;
//   - Secure cookies go over TLS only, or to localhost and loopback
//     addresses, as browsers do;
//   - cookies are sent longest path first (by path, descending), then
//     oldest first; setting one again keeps its age.
//
// Cookies are kept under their host's last two labels (or its address),
// as cookiejar keeps them, and sent only to hosts with the same key.
type jar struct {
	cookies []jarCookie
	seq     int64
}

type jarCookie struct {
	key, name, value, domain, path string
	hostOnly, secure, quoted       bool
	expires                        time.Time // zero: for the session
	seq                            int64     // creation order
}

// reset empties j for a new iteration.
func (j *jar) reset() { j.cookies, j.seq = j.cookies[:0], 0 }

// set stores the cookie of Set-Cookie line, received for u at now.
func (j *jar) set(u *url.URL, line string, now time.Time) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return
	}
	c, err := http.ParseSetCookie(line)
	if err != nil {
		return
	}
	host, ok := canonicalHost(u.Host)
	if !ok {
		return
	}
	e := jarCookie{key: jarKey(host), name: c.Name, value: c.Value, quoted: c.Quoted, secure: c.Secure, path: c.Path}
	if e.path == "" || e.path[0] != '/' {
		e.path = defaultPath(u.Path)
	}
	if e.domain, e.hostOnly, ok = cookieDomain(host, c.Domain); !ok {
		return
	}
	remove := false
	switch {
	case c.MaxAge < 0:
		remove = true
	case c.MaxAge > 0:
		e.expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	case !c.Expires.IsZero():
		e.expires, remove = c.Expires, !c.Expires.After(now)
	}
	i := slices.IndexFunc(j.cookies, func(o jarCookie) bool {
		return o.key == e.key && o.domain == e.domain && o.path == e.path && o.name == e.name
	})
	switch {
	case remove && i >= 0:
		j.cookies = slices.Delete(j.cookies, i, i+1)
	case remove:
	case i >= 0:
		e.seq = j.cookies[i].seq
		j.cookies[i] = e
	default:
		e.seq = j.seq
		j.seq++
		j.cookies = append(j.cookies, e)
	}
}

// appendHeader appends the value of the Cookie header for a request to u
// at now ("a=1; b=2"), dropping expired cookies; it returns dst as it was
// when no cookie goes to u.
func (j *jar) appendHeader(dst []byte, u *url.URL, now time.Time) []byte {
	if len(j.cookies) == 0 || (u.Scheme != "http" && u.Scheme != "https") {
		return dst
	}
	host, ok := canonicalHost(u.Host)
	if !ok {
		return dst
	}
	j.cookies = slices.DeleteFunc(j.cookies, func(c jarCookie) bool { return !c.expires.IsZero() && !c.expires.After(now) })
	slices.SortStableFunc(j.cookies, func(a, b jarCookie) int {
		if a.path != b.path {
			return strings.Compare(b.path, a.path)
		}
		return int(a.seq - b.seq)
	})
	key, https, path := jarKey(host), u.Scheme == "https", u.Path
	if path == "" {
		path = "/"
	}
	n := 0
	for _, c := range j.cookies {
		if c.key != key || !c.domainMatch(host) || !pathMatch(c.path, path) || c.secure && !https && !secureOrigin(c.domain) {
			continue
		}
		if n > 0 {
			dst = append(dst, "; "...)
		}
		n++
		dst = append(dst, c.name...)
		dst = append(dst, '=')
		dst = appendCookieValue(dst, c.value, c.quoted)
	}
	return dst
}

func (c *jarCookie) domainMatch(host string) bool {
	return c.domain == host || !c.hostOnly && hasDotSuffix(host, c.domain)
}

// pathMatch is RFC 6265 5.1.4's path-match.
func pathMatch(cookiePath, path string) bool {
	if path == cookiePath {
		return true
	}
	return strings.HasPrefix(path, cookiePath) && (cookiePath[len(cookiePath)-1] == '/' || path[len(cookiePath)] == '/')
}

// defaultPath is RFC 6265 5.1.4's default path of a request's path.
func defaultPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if p == "" || p[0] != '/' || i == 0 {
		return "/"
	}
	return p[:i]
}

// canonicalHost is u.Host lower-case, without its port and trailing dot.
func canonicalHost(host string) (string, bool) {
	if c := strings.Count(host, ":"); c == 1 || c > 1 && host[0] == '[' && strings.Contains(host, "]:") {
		h, _, err := net.SplitHostPort(host)
		if err != nil {
			return "", false
		}
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), true
}

// cookieDomain decides a cookie's domain from its Domain attribute and
// whether it is host-only; ok is false when host may not set it.
func cookieDomain(host, domain string) (string, bool, bool) {
	switch {
	case domain == "":
		return host, true, true
	case isIP(host):
		return host, true, host == domain
	}
	domain = strings.ToLower(strings.TrimPrefix(domain, "."))
	if domain == "" || domain[0] == '.' || domain[len(domain)-1] == '.' || (host != domain && !hasDotSuffix(host, domain)) {
		return "", false, false
	}
	return domain, false, true
}

// jarKey is the last two labels of host, or host when it is an address.
func jarKey(host string) string {
	if isIP(host) {
		return host
	}
	i := strings.LastIndexByte(host, '.')
	if i <= 0 {
		return host
	}
	return host[strings.LastIndexByte(host[:i-1], '.')+1:]
}

func isIP(host string) bool { return strings.ContainsAny(host, ":%") || net.ParseIP(host) != nil }

func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// secureOrigin reports whether domain is localhost or a loopback address,
// where Secure cookies go without TLS.
func secureOrigin(domain string) bool {
	d := strings.TrimSuffix(domain, ".")
	if strings.EqualFold(d[strings.LastIndexByte(d, '.')+1:], "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(domain)
	return err == nil && ip.IsLoopback()
}

// appendCookieValue appends a cookie's value as net/http sends it: quoted
// when it was quoted or holds a space or a comma.
func appendCookieValue(dst []byte, v string, quoted bool) []byte {
	if quoted || strings.ContainsAny(v, " ,") {
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	}
	return append(dst, v...)
}
