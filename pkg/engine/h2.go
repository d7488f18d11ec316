package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2pool spreads HTTP/2 streams over Config.Connections connections per
// endpoint, round robin, and replaces a connection that received a GOAWAY,
// broke or ran out of stream ids. The connections are the engine's own lean
// client (h2conn.go); doc.go says why.
type h2pool struct {
	e      *Engine
	slots  [][]*h2slot // [endpoint][connection]
	rr     atomic.Uint64
	blocks [][]byte // each target's request header block, HPACK-encoded once
	// maxID is the highest stream id a connection uses before it is
	// replaced; tests lower it to see ids run out.
	maxID uint32

	mu      sync.Mutex
	goaways map[http2.ErrCode]int64
	live    map[*h2conn]struct{} // open connections, pooled or retiring
}

// h2slot is one connection of the pool.
type h2slot struct {
	mu sync.Mutex
	c  *h2conn
}

func newH2Pool(e *Engine) *h2pool {
	p := &h2pool{e: e, maxID: 1<<31 - 1, goaways: map[http2.ErrCode]int64{}, live: map[*h2conn]struct{}{}}
	for range e.eps {
		s := make([]*h2slot, e.cfg.Connections)
		for i := range s {
			s[i] = &h2slot{}
		}
		p.slots = append(p.slots, s)
	}
	scheme := "http"
	if e.cfg.Protocol == HTTP2 {
		scheme = "https"
	}
	for _, r := range e.reqs {
		p.blocks = append(p.blocks, headerBlock(r, scheme))
	}
	return p
}

// headerBlock encodes r's request headers as one HPACK block that is valid
// on any connection: fields are indexed from the static table or sent as
// literals without indexing, never added to the dynamic table, so the block
// does not depend on what was sent before it. Connection-specific headers,
// which HTTP/2 forbids, are left out; names are lower case.
func headerBlock(r *request, scheme string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	// A dynamic table of size 0: nothing is ever indexed. The size update
	// the encoder owes its peer after the change is written before the
	// first field; it is cut off with the dummy field below, as the block
	// must not carry it (the server's table is never used).
	enc.SetMaxDynamicTableSizeLimit(0)
	enc.WriteField(hpack.HeaderField{Name: "x", Value: "x"})
	buf.Reset()
	write := func(name, value string) { enc.WriteField(hpack.HeaderField{Name: name, Value: value}) }
	write(":method", r.method)
	write(":scheme", scheme)
	write(":authority", r.host)
	write(":path", r.url.RequestURI())
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "Connection", "Proxy-Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Content-Length", "Host":
			continue
		}
		for _, v := range r.header[k] {
			if k == "Te" && v != "trailers" {
				continue
			}
			write(strings.ToLower(k), v)
		}
	}
	if len(r.body) > 0 || r.method == http.MethodPost || r.method == http.MethodPut || r.method == http.MethodPatch {
		write("content-length", strconv.Itoa(len(r.body)))
	}
	return bytes.Clone(buf.Bytes())
}

// get returns a usable connection of slot s, dialing a new one when the old
// one is gone, broken, going away or out of stream ids; the old one is
// closed once its streams are done.
func (p *h2pool) get(s *h2slot, ep int, deadline time.Time) (*h2conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil && s.c.usable() {
		return s.c, nil
	}
	if s.c != nil {
		s.c.retire()
		s.c = nil
	}
	c, err := p.dial(ep, deadline)
	if err != nil {
		return nil, err
	}
	s.c = c
	return c, nil
}

// h2Tries is how many connections a request tries when the one it got
// could take no new stream (a GOAWAY or an error came first).
const h2Tries = 3

// do sends req over HTTP/2 and records the response in o.
func (p *h2pool) do(w *worker, req *request, o *outcome) error {
	e := p.e
	due := o.sent + int64(e.cfg.Timeout) // the request's deadline, in ns since the start
	deadline := e.start.Add(time.Duration(due))
	if w.h2s == nil {
		w.h2s = newH2Stream()
	}
	s := w.h2s
	blk := p.blocks[o.target]
	if !e.cfg.KeepAlive {
		c, err := p.dial(req.ep, deadline)
		if err != nil {
			return err
		}
		defer c.retire()
		err, _ = c.roundTrip(s, blk, req.body, o, due)
		return err
	}
	// Requests take the connections in turn; in a closed loop each slot
	// keeps to one (as h2load's clients do), so the requests of the
	// streams one read ended go out together, in one write.
	k := uint64(w.id)
	if e.cfg.Pacer != nil {
		k = p.rr.Add(1)
	}
	slots := p.slots[req.ep]
	sl := slots[k%uint64(len(slots))]
	for try := 1; ; try++ {
		c, err := p.get(sl, req.ep, deadline)
		if err != nil {
			return err
		}
		err, retry := c.roundTrip(s, blk, req.body, o, due)
		if !retry || try == h2Tries {
			return err
		}
	}
}

func (p *h2pool) sawGoAway(code http2.ErrCode) {
	p.mu.Lock()
	p.goaways[code]++
	p.mu.Unlock()
}

// goawayCounts returns the GOAWAY frames received, by code name.
func (p *h2pool) goawayCounts() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.goaways) == 0 {
		return nil
	}
	out := map[string]int64{}
	for c, n := range p.goaways {
		out[c.String()] += n
	}
	return out
}

// close closes every connection, interrupting requests in flight: at the
// end of a run there are none, and on an abort they fail.
func (p *h2pool) close() {
	for _, slots := range p.slots {
		for _, s := range slots {
			s.mu.Lock()
			s.c = nil
			s.mu.Unlock()
		}
	}
	p.mu.Lock()
	var cs []*h2conn
	for c := range p.live {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		c.fail(errAborted)
	}
}

// Errors of HTTP/2 connections and streams.
var (
	errNoH2 = &ProtocolError{What: "http2: the server did not negotiate h2 by ALPN (it offered " +
		"no protocol or only http/1.1): it does not speak HTTP/2 over TLS", Detail: "no_h2_alpn"}
	errHTTP1Answer = &ProtocolError{What: "h2c: the server answered the HTTP/2 preface with HTTP/1.1: " +
		"it does not speak HTTP/2 over cleartext (h2c)", Detail: "http1_response"}
	// errStreamTimeout is a stream reset (CANCEL) by the client when the
	// request's timeout passed: class timeout.
	errStreamTimeout = fmt.Errorf("http2: no whole response within the request timeout, stream reset: %w",
		os.ErrDeadlineExceeded)
	// errGoAwayRefused is a stream above the last stream id of a GOAWAY:
	// the server did not process it (wrapped in an errclass.GoAwayError).
	errGoAwayRefused = errors.New("http2: the server's GOAWAY refused the stream (it was not processed)")
	// errNoStreams: a connection could not take the request, on every try.
	errNoStreams = errors.New("http2: no connection could take a new stream")
)
