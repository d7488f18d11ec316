package engine

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// UserAgent is sent when a target sets no User-Agent header.
const UserAgent = "barrage/0.1"

// request is a target prepared for sending: the whole HTTP/1.1 message is
// serialized once, so the hot path writes a ready byte slice.
type request struct {
	name   string
	method string
	url    *url.URL
	header http.Header // for HTTP/2
	host   string      // Host header value
	body   []byte
	raw    []byte // HTTP/1.1 request line, headers and body
	head   bool   // a HEAD request: the response has no body
	ep     int    // index of the request's endpoint
}

// endpoint is where connections go: one per distinct scheme://host:port.
type endpoint struct {
	key        string // scheme://host:port
	tls        bool
	serverName string
	dialAddr   string           // IP:port when the host resolved, else host:port
	addrs      []netip.AddrPort // resolved addresses, for TIME_WAIT accounting
	refused    error            // why the guard refuses the host or one of its addresses; nil if it does not
	tlsH1      *tls.Config      // for https: ALPN http/1.1
	tlsH2      *tls.Config      // for https: ALPN h2
}

// prepare builds requests and endpoints from targets (defaults applied).
func prepare(targets []events.Target, resolve func(host string) []netip.Addr) ([]*request, []*endpoint, error) {
	var reqs []*request
	var eps []*endpoint
	byKey := map[string]int{}
	for i, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("target %d: bad URL %q", i, t.URL)
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		key := u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
		epi, ok := byKey[key]
		if !ok {
			ep := &endpoint{key: key, tls: u.Scheme == "https", serverName: u.Hostname(),
				dialAddr: net.JoinHostPort(u.Hostname(), port)}
			if p, err := strconv.ParseUint(port, 10, 16); err == nil {
				if resolve != nil {
					for _, a := range resolve(u.Hostname()) {
						ep.addrs = append(ep.addrs, netip.AddrPortFrom(a.Unmap(), uint16(p)))
					}
				}
				if len(ep.addrs) > 0 {
					ep.dialAddr = ep.addrs[0].String()
				}
			}
			epi = len(eps)
			byKey[key] = epi
			eps = append(eps, ep)
		}
		r := &request{name: t.Name, method: t.Method, url: u, body: []byte(t.Body), ep: epi,
			head: t.Method == http.MethodHead, header: http.Header{}, host: u.Host}
		for k, v := range t.Headers {
			if strings.EqualFold(k, "Host") {
				r.host = v
				continue
			}
			r.header[http.CanonicalHeaderKey(k)] = []string{v}
		}
		if r.header.Get("User-Agent") == "" {
			r.header.Set("User-Agent", UserAgent)
		}
		r.raw = serialize(r)
		reqs = append(reqs, r)
	}
	return reqs, eps, nil
}

// serialize writes r as an HTTP/1.1 request with headers in sorted order.
func serialize(r *request) []byte {
	var b bytes.Buffer
	b.WriteString(r.method)
	b.WriteByte(' ')
	b.WriteString(r.url.RequestURI())
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(r.host)
	b.WriteString("\r\n")
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Content-Length" || k == "Transfer-Encoding" {
			continue // we frame the body ourselves
		}
		for _, v := range r.header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if len(r.body) > 0 || r.method == http.MethodPost || r.method == http.MethodPut || r.method == http.MethodPatch {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	return b.Bytes()
}

// maxTable bounds the weighted round-robin table; weights whose reduced sum
// exceeds it are scaled down proportionally (each target keeps at least 1).
const maxTable = 1 << 20

// weightTable returns a sequence in which target t appears weight[t] times
// (after dividing all weights by their GCD), spread evenly: the j-th
// occurrence of t is placed at virtual time (j+½)/weight[t], ties broken by
// target index. Arrival i goes to target table[i % len(table)], a pure
// function of i, so shards and workers agree without coordination.
func weightTable(weights []int) []int32 {
	g := 0
	for _, w := range weights {
		g = gcd(g, max(w, 1))
	}
	ws := make([]int, len(weights))
	sum := 0
	for i, w := range weights {
		ws[i] = max(w, 1) / g
		sum += ws[i]
	}
	if sum > maxTable {
		scaled := 0
		for i := range ws {
			ws[i] = max(1, int(int64(ws[i])*maxTable/int64(sum)))
			scaled += ws[i]
		}
		sum = scaled
	}
	type slot struct {
		at float64
		t  int32
	}
	slots := make([]slot, 0, sum)
	for t, w := range ws {
		for j := 0; j < w; j++ {
			slots = append(slots, slot{(float64(j) + 0.5) / float64(w), int32(t)})
		}
	}
	sort.Slice(slots, func(a, b int) bool {
		if slots[a].at != slots[b].at {
			return slots[a].at < slots[b].at
		}
		return slots[a].t < slots[b].t
	})
	table := make([]int32, len(slots))
	for i, s := range slots {
		table[i] = s.t
	}
	return table
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
