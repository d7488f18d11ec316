package engine

//lint:file-ignore SA1019 the engine keeps golang.org/x/net/http2's ClientConn on purpose: see "HTTP/2 and x/net" in doc.go

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// h2pool spreads HTTP/2 streams over Config.Connections connections per
// endpoint, round robin, and replaces a connection that received a GOAWAY or
// broke. GOAWAY frames are seen by a frame sniffer on the connection's read
// side (goawayConn), so they are counted by code even when no request fails.
type h2pool struct {
	e     *Engine
	t     *http2.Transport
	slots [][]*h2slot // [endpoint][connection]
	rr    atomic.Uint64

	mu      sync.Mutex
	goaways map[http2.ErrCode]int64
}

// h2slot is one connection of the pool.
type h2slot struct {
	mu sync.Mutex
	cc *http2.ClientConn
	gc *goawayConn
}

func newH2Pool(e *Engine) *h2pool {
	p := &h2pool{e: e, t: &http2.Transport{AllowHTTP: e.cfg.Protocol == H2C},
		goaways: map[http2.ErrCode]int64{}}
	for range e.eps {
		s := make([]*h2slot, e.cfg.Connections)
		for i := range s {
			s[i] = &h2slot{}
		}
		p.slots = append(p.slots, s)
	}
	return p
}

// dial opens a new HTTP/2 connection to endpoint ep.
func (p *h2pool) dial(ep int, deadline time.Time) (*http2.ClientConn, *goawayConn, error) {
	nc, err := p.e.dialProto(ep, deadline, true)
	if err != nil {
		return nil, nil, err
	}
	if tc, ok := nc.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
		p.closeConn(nc)
		return nil, nil, errNoH2
	}
	gc := &goawayConn{Conn: nc, pool: p}
	cc, err := p.t.NewClientConn(gc)
	if err != nil {
		p.closeConn(nc)
		return nil, nil, err
	}
	return cc, gc, nil
}

func (p *h2pool) closeConn(nc net.Conn) {
	nc.Close()
	p.e.conns.Add(-1)
}

// get returns a usable connection of slot s, dialing a new one when the old
// one is gone, broken or going away.
func (p *h2pool) get(s *h2slot, ep int, deadline time.Time) (*http2.ClientConn, *goawayConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// CanTakeNewRequest alone says yes for a closed connection that never
	// carried a request (x/net lets it fail one, so that an early error is
	// seen): a warmed connection the server closed before the start would
	// then fail every request of the run.
	if s.cc != nil && s.cc.CanTakeNewRequest() && !s.cc.State().Closed {
		return s.cc, s.gc, nil
	}
	if s.cc != nil {
		old := s.cc
		s.cc, s.gc = nil, nil
		go func() { // let its streams finish, then close it
			ctx, cancel := context.WithTimeout(context.Background(), p.e.cfg.Timeout)
			defer cancel()
			old.Shutdown(ctx)
			old.Close()
		}()
	}
	cc, gc, err := p.dial(ep, deadline)
	if err != nil {
		return nil, nil, err
	}
	s.cc, s.gc = cc, gc
	return cc, gc, nil
}

// do sends req over HTTP/2 and records the response in o.
func (p *h2pool) do(w *worker, req *request, o *outcome) error {
	e := p.e
	deadline := e.start.Add(time.Duration(o.sent) + e.cfg.Timeout)
	var cc *http2.ClientConn
	var gc *goawayConn
	var err error
	if e.cfg.KeepAlive {
		slots := p.slots[req.ep]
		s := slots[p.rr.Add(1)%uint64(len(slots))]
		cc, gc, err = p.get(s, req.ep, deadline)
	} else {
		cc, gc, err = p.dial(req.ep, deadline)
		if err == nil {
			defer cc.Close()
		}
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithDeadline(e.abortCtx, deadline)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url.String(), nil)
	if err != nil {
		return err
	}
	hr.Header = req.header
	hr.Host = req.host
	if len(req.body) > 0 {
		hr.Body = io.NopCloser(bytes.NewReader(req.body))
		hr.ContentLength = int64(len(req.body))
	}
	o.bytesOut += int64(len(req.body))
	resp, err := cc.RoundTrip(hr)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		o.bytesIn += n
		o.status = resp.StatusCode
	}
	if err != nil {
		if code, ok := gc.goaway(); ok {
			return &errclass.GoAwayError{Code: code, Err: err}
		}
		if gc.http1.Load() {
			return errHTTP1Answer
		}
	}
	return err
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

// close closes every pooled connection, interrupting requests in flight.
func (p *h2pool) close() {
	for _, slots := range p.slots {
		for _, s := range slots {
			s.mu.Lock()
			if s.cc != nil {
				s.cc.Close()
				s.cc, s.gc = nil, nil
			}
			s.mu.Unlock()
		}
	}
}

// Protocol errors of HTTP/2 connections.
var (
	errNoH2 = &ProtocolError{What: "http2: the server did not negotiate h2 by ALPN (it offered " +
		"no protocol or only http/1.1): it does not speak HTTP/2 over TLS", Detail: "no_h2_alpn"}
	errHTTP1Answer = &ProtocolError{What: "h2c: the server answered the HTTP/2 preface with HTTP/1.1: " +
		"it does not speak HTTP/2 over cleartext (h2c)", Detail: "http1_response"}
)

// goawayConn watches the frames an HTTP/2 server sends for GOAWAY. HTTP/2
// frames start with a 9-byte header: a 24-bit payload length, an 8-bit
// type (GOAWAY is 7), flags and a stream id; a GOAWAY payload starts with
// the last stream id and a 32-bit error code. The server sends no preface,
// so the read side is a plain sequence of frames from its first byte. A
// first "header" that starts with "HTTP/1." is an HTTP/1.1 server answering
// the h2c preface; it is remembered, so the request's error can say so.
type goawayConn struct {
	net.Conn
	pool *h2pool

	hdr      [9]byte
	hn       int  // header bytes collected
	skip     int  // payload bytes left in the current frame
	inGoaway bool // the current frame is a GOAWAY
	ga       [8]byte
	gn       int

	code      atomic.Uint32 // the last GOAWAY code + 1; 0 when none
	frames    int           // frame headers read
	http1     atomic.Bool   // the server's first bytes were "HTTP/1.", not a frame
	closeOnce sync.Once
}

// Read implements net.Conn, scanning what it reads.
func (g *goawayConn) Read(b []byte) (int, error) {
	n, err := g.Conn.Read(b)
	g.scan(b[:n])
	return n, err
}

func (g *goawayConn) scan(b []byte) {
	for len(b) > 0 {
		if g.skip > 0 {
			k := min(g.skip, len(b))
			if g.inGoaway && g.gn < len(g.ga) {
				k = min(k, len(g.ga)-g.gn)
				copy(g.ga[g.gn:], b[:k])
				g.gn += k
				if g.gn == len(g.ga) {
					code := http2.ErrCode(binary.BigEndian.Uint32(g.ga[4:]))
					g.code.Store(uint32(code) + 1)
					g.pool.sawGoAway(code)
				}
			}
			g.skip -= k
			b = b[k:]
			continue
		}
		k := copy(g.hdr[g.hn:], b)
		g.hn += k
		b = b[k:]
		if g.hn == len(g.hdr) {
			if g.frames == 0 && bytes.HasPrefix(g.hdr[:], []byte("HTTP/1.")) {
				g.http1.Store(true)
			}
			g.frames++
			g.hn = 0
			g.skip = int(g.hdr[0])<<16 | int(g.hdr[1])<<8 | int(g.hdr[2])
			g.inGoaway = g.hdr[3] == byte(http2.FrameGoAway)
			g.gn = 0
		}
	}
}

// goaway returns the code of the last GOAWAY received, if any.
func (g *goawayConn) goaway() (http2.ErrCode, bool) {
	c := g.code.Load()
	return http2.ErrCode(c - 1), c != 0
}

// Close implements net.Conn, counting the connection closed once.
func (g *goawayConn) Close() error {
	g.closeOnce.Do(func() { g.pool.e.conns.Add(-1) })
	return g.Conn.Close()
}
