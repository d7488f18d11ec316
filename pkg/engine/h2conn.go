package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// h2conn is one HTTP/2 connection of the engine's lean client. Workers
// open streams on it and wait for their end; three goroutines serve it:
//
//   - the reader parses every frame the server sends (h2read.go) and
//     completes streams: the response's status, its body counted and
//     discarded, flow-control credit given back;
//   - the writer sends what the workers and the reader queued in one
//     buffer: after it is woken it yields once, so that the other streams
//     due at the same moment queue their HEADERS too, and they go out in
//     one write;
//   - the sweeper resets streams whose timeout passed (RST_STREAM CANCEL).
//
// Everything shared is guarded by mu. Streams are found by id in a ring
// of slots (a power of two, more than the streams that may be open), so
// opening and ending one allocates nothing.
type h2conn struct {
	p  *h2pool
	nc interface {
		io.ReadWriteCloser
		SetDeadline(time.Time) error
	}
	closeOnce sync.Once
	done      chan struct{} // closed when the connection ends
	kick      chan struct{} // wakes the writer

	mu         sync.Mutex
	fr         *http2.Framer // writes frames into out
	out        h2buf         // frames queued for the writer
	kicked     bool          // the writer has been woken for what is in out
	ring       []*h2stream   // open streams by (id/2) & (len-1)
	active     int           // open streams
	waiters    []*h2stream   // requests waiting for a free stream, first come first served
	blocked    int           // open streams with request body left to send
	nextID     uint32
	maxStreams int   // the server's SETTINGS_MAX_CONCURRENT_STREAMS
	sendWin    int64 // the connection's send window
	initWin    int64 // the server's SETTINGS_INITIAL_WINDOW_SIZE
	maxFrame   int   // the server's SETTINGS_MAX_FRAME_SIZE
	recvUnack  int64 // body bytes received on the connection, not yet credited back
	goaway     bool
	goawayCode http2.ErrCode
	err        error // the connection ended: why
	retiring   bool  // replaced: close it when its last stream ends

	// The reader's own state (h2read.go).
	rbuf    []byte
	r, w    int
	hp      h2status      // the HPACK decoder (h2hpack.go)
	hblk    []byte        // a header block continued in CONTINUATION frames, collected
	contID  uint32        // its stream; 0 if none
	contEnd bool          // that block's HEADERS frame ended the stream
	spare   []byte        // the writer's: the buffer it last wrote, reused
	sweepAt int64         // when the sweeper wakes next (ns since the start; under mu)
	rearm   chan struct{} // a stream's deadline comes before sweepAt
}

// Flow control of what the server sends: each stream may receive
// h2StreamWindow bytes, the connection h2ConnWindow, before credit is
// given back; credit goes back when half of a window is used.
const (
	h2StreamWindow = 1 << 20
	h2ConnWindow   = 1 << 30
	h2DefaultWin   = 65535 // RFC 9113's initial windows
	h2MaxRecvFrame = 16384 // the SETTINGS_MAX_FRAME_SIZE we accept (the default)
	// h2InitialStreams is the most streams open at once on a connection
	// whose server's SETTINGS set no MAX_CONCURRENT_STREAMS (no limit);
	// the client reads the server's SETTINGS before its first stream.
	h2InitialStreams = 1000
)

// h2buf collects frames: the Framer writes into it.
type h2buf struct{ b []byte }

func (b *h2buf) Write(p []byte) (int, error) {
	b.b = append(b.b, p...)
	return len(p), nil
}

// h2stream is one request's stream. Each worker owns one and reuses it for
// every HTTP/2 request it sends, so a request allocates nothing.
type h2stream struct {
	wake chan struct{} // something changed: look again (under the connection's mu)

	id       uint32
	deadline int64 // ns since the engine's start
	open     bool  // it has an id (and a ring slot)
	waiting  bool  // in the connection's waiters
	done     bool
	err      error
	status   int
	bytesIn  int64
	body     []byte // request body left to send
	sendWin  int64
	recvUsed int64 // body bytes received, not yet credited back
}

func newH2Stream() *h2stream { return &h2stream{wake: make(chan struct{}, 1)} }

func (s *h2stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dial opens a new HTTP/2 connection to endpoint ep: the connection
// preface and the SETTINGS exchange happen here, by deadline, so that a
// server that answers in HTTP/1.1 is told apart at once and the server's
// limits are known before the first stream.
func (p *h2pool) dial(ep int, deadline time.Time) (*h2conn, error) {
	e := p.e
	nc, err := e.dialProto(ep, deadline, true)
	if err != nil {
		return nil, err
	}
	c := &h2conn{p: p, nc: nc, done: make(chan struct{}), kick: make(chan struct{}, 1),
		nextID: 1, maxStreams: h2InitialStreams, sendWin: h2DefaultWin, initWin: h2DefaultWin,
		maxFrame: h2MaxRecvFrame, rbuf: make([]byte, 64<<10), rearm: make(chan struct{}, 1)}
	if tc, ok := nc.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
		c.closeConn()
		return nil, errNoH2
	}
	c.fr = http2.NewFramer(&c.out, nil)
	c.hp.max = h2TableSize
	c.sweepAt = e.now() + int64(e.cfg.Timeout) // the sweeper's first wake-up
	c.setRing(h2InitialStreams)
	// Aborting the run ends the handshake too.
	stop := context.AfterFunc(e.abortCtx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	nc.SetDeadline(deadline)
	c.out.b = append(c.out.b, http2.ClientPreface...)
	c.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow})
	c.fr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWin)
	if _, err := nc.Write(c.out.b); err != nil {
		c.closeConn()
		return nil, err
	}
	c.out.b = c.out.b[:0]
	if err := c.handshake(); err != nil {
		c.closeConn()
		return nil, err
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		c.closeConn()
		return nil, err
	}
	p.mu.Lock()
	p.live[c] = struct{}{}
	p.mu.Unlock()
	go c.readLoop()
	go c.writeLoop()
	go c.sweepLoop()
	c.mu.Lock()
	c.kickLocked() // the SETTINGS ack
	c.mu.Unlock()
	return c, nil
}

// setRing makes the ring big enough for n open streams; mu is held (or
// the connection is not shared yet).
func (c *h2conn) setRing(n int) {
	size := 64
	for size < 2*n {
		size *= 2
	}
	if size <= len(c.ring) {
		return
	}
	ring := make([]*h2stream, size)
	for _, s := range c.ring {
		if s != nil {
			ring[(s.id>>1)&uint32(size-1)] = s
		}
	}
	c.ring = ring
}

// stream returns the open stream with id, or nil; mu is held.
func (c *h2conn) stream(id uint32) *h2stream {
	s := c.ring[(id>>1)&uint32(len(c.ring)-1)]
	if s == nil || s.id != id {
		return nil
	}
	return s
}

// usable reports whether the connection takes new streams.
func (c *h2conn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil && !c.goaway && !c.retiring && c.nextID <= c.p.maxID
}

// roundTrip sends a request on stream s, HEADERS with the header block blk
// then body in DATA frames, and waits until its response ended, it failed
// or its deadline (ns since the start) passed. retry means the connection
// took no new stream (it is going away, out of ids or broken) and nothing
// was sent: the caller may try another connection.
func (c *h2conn) roundTrip(s *h2stream, blk, body []byte, o *outcome, deadline int64) (err error, retry bool) {
	select { // a wake-up left from an earlier request
	case <-s.wake:
	default:
	}
	*s = h2stream{wake: s.wake, deadline: deadline, body: body}
	c.mu.Lock()
	for {
		if s.done { // timed out while waiting
			c.mu.Unlock()
			return s.err, false
		}
		if c.err != nil || c.goaway || c.retiring || c.nextID > c.p.maxID {
			c.dropWaiter(s)
			err := c.err
			if c.goaway {
				err = &errclass.GoAwayError{Code: c.goawayCode, Err: errGoAwayRefused}
			} else if err == nil {
				err = errNoStreams
			}
			c.mu.Unlock()
			return err, true
		}
		if c.active < c.maxStreams && !s.waiting {
			break
		}
		if !s.waiting {
			s.waiting = true
			c.waiters = append(c.waiters, s)
			c.watch(s)
		}
		c.mu.Unlock()
		<-s.wake
		c.mu.Lock()
	}
	c.open(s)
	c.writeHeaders(s.id, blk, len(body) == 0)
	o.bytesOut += int64(len(body))
	if len(body) > 0 {
		c.blocked++
		c.sendBody(s)
	}
	c.kickLocked()
	for !s.done {
		c.mu.Unlock()
		<-s.wake
		c.mu.Lock()
		if !s.done && len(s.body) > 0 && c.sendBody(s) {
			c.kickLocked()
		}
	}
	c.mu.Unlock()
	o.status = s.status
	o.bytesIn += s.bytesIn
	return s.err, false
}

// open gives s the next free stream id; mu is held and a stream is free.
func (c *h2conn) open(s *h2stream) {
	mask := uint32(len(c.ring) - 1)
	for c.ring[(c.nextID>>1)&mask] != nil {
		c.nextID += 2 // a slot still held by an older stream: skip the id (ids may have gaps)
	}
	s.id = c.nextID
	c.nextID += 2
	c.ring[(s.id>>1)&mask] = s
	s.open = true
	s.sendWin = c.initWin
	c.active++
	c.watch(s)
}

// writeHeaders queues HEADERS (and CONTINUATION frames when the block is
// larger than a frame) for stream id; mu is held.
func (c *h2conn) writeHeaders(id uint32, blk []byte, end bool) {
	n := min(len(blk), c.maxFrame)
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk[:n], EndStream: end,
		EndHeaders: n == len(blk)})
	for blk = blk[n:]; len(blk) > 0; blk = blk[n:] {
		n = min(len(blk), c.maxFrame)
		c.fr.WriteContinuation(id, n == len(blk), blk[:n])
	}
}

// sendBody queues as much of s's request body as the flow-control windows
// allow, in DATA frames; it reports whether it queued any. mu is held.
func (c *h2conn) sendBody(s *h2stream) bool {
	sent := false
	for len(s.body) > 0 {
		n := int(min(int64(len(s.body)), int64(c.maxFrame), c.sendWin, s.sendWin))
		if n <= 0 {
			break
		}
		c.fr.WriteData(s.id, n == len(s.body), s.body[:n])
		s.body = s.body[n:]
		c.sendWin -= int64(n)
		s.sendWin -= int64(n)
		sent = true
	}
	if len(s.body) == 0 && sent {
		c.blocked--
	}
	return sent
}

// finish ends open stream s with err (nil: its response is complete),
// hands its place to the first waiting request, and closes a retiring
// connection whose last stream this was. mu is held.
func (c *h2conn) finish(s *h2stream, err error) {
	c.ring[(s.id>>1)&uint32(len(c.ring)-1)] = nil
	c.active--
	if len(s.body) > 0 {
		// The response ended before the request body was all sent: the
		// server needs no more of it.
		c.blocked--
		s.body = nil
		if err == nil {
			c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel)
			c.kickLocked()
		}
	}
	s.open, s.done, s.err = false, true, err
	s.signal()
	if len(c.waiters) > 0 {
		w := c.waiters[0]
		copy(c.waiters, c.waiters[1:])
		c.waiters[len(c.waiters)-1] = nil
		c.waiters = c.waiters[:len(c.waiters)-1]
		w.waiting = false
		w.signal()
	}
	if c.active == 0 && (c.retiring || c.goaway) && c.err == nil {
		c.err = errAborted
		go c.closeConn() // not under mu: closing a TLS connection writes
	}
}

// dropWaiter removes s from the waiters if it is there; mu is held.
func (c *h2conn) dropWaiter(s *h2stream) {
	if !s.waiting {
		return
	}
	s.waiting = false
	for i, w := range c.waiters {
		if w == s {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			return
		}
	}
}

// wakeWaiters wakes every waiting request to look again; mu is held.
func (c *h2conn) wakeWaiters() {
	for _, w := range c.waiters {
		w.signal()
	}
}

// wakeBlocked wakes the streams with request body left to send, after
// their windows grew; mu is held.
func (c *h2conn) wakeBlocked() {
	if c.blocked == 0 {
		return
	}
	for _, s := range c.ring {
		if s != nil && len(s.body) > 0 {
			s.signal()
		}
	}
}

// kickLocked wakes the writer for what is queued; mu is held.
func (c *h2conn) kickLocked() {
	if c.kicked || len(c.out.b) == 0 {
		return
	}
	c.kicked = true
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// retire closes the connection once its open streams are done; it takes
// no new ones.
func (c *h2conn) retire() {
	c.mu.Lock()
	c.retiring = true
	idle := c.active == 0 && c.err == nil
	if idle {
		c.err = errAborted
	}
	c.wakeWaiters()
	c.mu.Unlock()
	if idle {
		c.closeConn()
	}
}

// fail ends the connection with err: every open stream fails with it (as
// a GOAWAY error when the server sent one), waiting requests look for
// another connection, and the connection is closed.
func (c *h2conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		c.closeConn()
		return
	}
	c.err = err
	serr := err
	if c.goaway {
		serr = &errclass.GoAwayError{Code: c.goawayCode, Err: err}
	}
	for _, s := range c.ring {
		if s != nil {
			c.finish(s, serr)
		}
	}
	c.wakeWaiters()
	c.mu.Unlock()
	c.closeConn()
}

// closeConn closes the network connection once, counting it closed.
func (c *h2conn) closeConn() {
	c.closeOnce.Do(func() {
		c.nc.Close()
		c.p.e.conns.Add(-1)
		close(c.done)
		c.p.mu.Lock()
		delete(c.p.live, c)
		c.p.mu.Unlock()
	})
}

// be32 reads a 31-bit stream id or a 32-bit value.
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

var http1Prefix = []byte("HTTP/1.")

// isHTTP1 reports whether the server's first bytes are an HTTP/1.x status
// line rather than a frame.
func isHTTP1(b []byte) bool { return bytes.HasPrefix(b, http1Prefix) }
