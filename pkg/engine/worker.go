package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// arrival is one scheduled request: its index in the schedule and its due
// time in nanoseconds since the start.
type arrival struct {
	i   int64
	due int64
}

// worker is one in-flight slot: it sends one request at a time and owns its
// connections (which lease their read buffers, h1lease.go) and statistics
// stripe.
type worker struct {
	e  *Engine
	id int
	st *stripe
	ch chan arrival

	mu  sync.Mutex // guards the connections' net.Conn against interrupt
	h1  []*h1conn  // per endpoint
	h2s *h2stream  // its HTTP/2 stream, reused for every request (h2conn.go)
	o   outcome    // reused for every request
}

func (w *worker) loopOpen() {
	defer w.e.wg.Done()
	defer w.closeAll()
	e := w.e
	for a := range w.ch {
		w.do(a)
		// Take the next arrival at once if it is due (see schedule.go).
		for {
			now := e.now()
			next, ok := e.claim(now)
			if !ok {
				break
			}
			if !e.tooLate(next, now) {
				w.do(next)
			}
		}
		e.release(w)
	}
}

func (w *worker) loopClosed() {
	defer w.e.wg.Done()
	defer w.closeAll()
	for !w.e.stopping.Load() {
		i := w.e.next.Add(1) - 1
		w.do(arrival{i: i, due: w.e.now()})
	}
}

// do sends arrival a and records its outcome.
func (w *worker) do(a arrival) {
	e := w.e
	e.begin()
	defer e.inflight.Add(-1)
	ti := int(e.table[a.i%int64(len(e.table))])
	if ti >= len(e.reqs) {
		w.doJourney(ti-len(e.reqs), a)
		return
	}
	req := e.reqs[ti]
	o := &w.o
	*o = outcome{target: ti, due: a.due}
	o.sent = e.now()
	e.sent.Add(1)
	var err error
	if e.aborted.Load() {
		err = errAborted
	} else if e.h2 != nil {
		err = e.h2.do(w, req, o)
	} else {
		err = w.doH1(req, o)
	}
	o.end = e.now()
	if err != nil {
		e.fail(o, err)
	}
	w.st.record(o)
}

// doH1 sends req over HTTP/1.1 on the worker's connection to its endpoint,
// dialing one if needed. A request that fails on a reused connection before
// any byte of a response arrived is retried once on a new connection: the
// server most likely closed the idle connection, which is not the target
// failing (net/http does the same).
func (w *worker) doH1(req *request, o *outcome) error {
	e := w.e
	deadline := e.start.Add(time.Duration(o.sent) + e.cfg.Timeout)
	retried := false
	for {
		c := w.h1[req.ep]
		if c == nil || c.nc == nil {
			nc, err := e.dial(req.ep, deadline)
			if err != nil {
				return err
			}
			if c == nil {
				c = new(h1conn)
			}
			w.mu.Lock()
			c.attach(nc)
			w.h1[req.ep] = c
			w.mu.Unlock()
		}
		if err := c.nc.SetDeadline(deadline); err != nil {
			w.closeConn(c)
			return err
		}
		if e.aborted.Load() {
			w.closeConn(c)
			return errAborted
		}
		c.nread = 0
		n, err := c.nc.Write(req.raw)
		o.bytesOut += int64(n)
		var res response
		if err == nil {
			res, err = c.readResponse(req.head)
		}
		o.bytesIn += c.nread
		if err != nil {
			reused := c.served > 0
			w.closeConn(c)
			if reused && !retried && c.nread == 0 && retryable(err) {
				retried = true
				continue
			}
			return err
		}
		o.status = res.status
		c.served++
		if !res.keepAlive || !e.cfg.KeepAlive {
			w.closeConn(c)
		} else if c.rc != nil {
			c.release() // plain TCP: waits for the next response without a buffer
		}
		return nil
	}
}

// retryable reports whether err looks like a server having closed an idle
// keep-alive connection before reading the request.
func retryable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dial opens an HTTP/1.1 connection to endpoint ep (TLS for https) by
// deadline, on a goroutine of its own. Dialing needs the deepest stack a
// slot ever uses: 8 KB against the 4 KB of sending a request and reading
// its response (more for a TLS handshake). A goroutine's stack grows at
// once and shrinks only at a collection, so a slot that dialed itself
// would hold twice the stack, and a spell of MaxInflight slots (a stall of
// the process puts up to that many arrivals in flight at once, each on
// its own connection) twice the memory; the dialing goroutine's stack is
// freed when it ends. It costs a goroutine and a channel per dial, which
// is little beside the dial's system calls.
func (e *Engine) dial(ep int, deadline time.Time) (net.Conn, error) {
	ch := make(chan dialed, 1)
	go func() {
		nc, err := e.dialProto(ep, deadline, false)
		ch <- dialed{nc, err}
	}()
	d := <-ch
	return d.nc, d.err
}

// dialed is what a dial returned.
type dialed struct {
	nc  net.Conn
	err error
}

// dialProto opens a connection to endpoint epi by deadline, offering h2 by
// ALPN when h2 is set. Aborting the run cancels the dial.
func (e *Engine) dialProto(epi int, deadline time.Time, h2 bool) (net.Conn, error) {
	ep := e.eps[epi]
	if ep.refused != nil {
		return nil, ep.refused // the guard refuses the host, or what it resolved to: nothing is sent
	}
	ctx, cancel := context.WithDeadline(e.abortCtx, deadline)
	defer cancel()
	var nc net.Conn
	var err error
	switch {
	case len(ep.addrs) > 0:
		nc, err = e.dialCounted(ctx, "tcp", ep.dialAddr) // an address the guard checked
	case e.cfg.Dial != nil:
		nc, err = e.dialCounted(ctx, "tcp", ep.dialAddr) // in memory (tests): a name, which the guard checked
	default:
		nc, err = e.guard.DialContext(ctx, "tcp", ep.dialAddr) // a name: resolved and checked now
	}
	if err != nil {
		return nil, err
	}
	e.conns.Add(1)
	nc = fastConn(nc)
	if !ep.tls {
		return nc, nil
	}
	cfg := ep.tlsH1
	if h2 {
		cfg = ep.tlsH2
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		e.dialErrs.Add(1)
		e.conns.Add(-1)
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// dialCounted opens a TCP connection to addr (Config.Dial, else a
// net.Dialer), counted in the dials and dial errors of the health
// samples. Callers check addr with the guard first.
func (e *Engine) dialCounted(ctx context.Context, network, addr string) (net.Conn, error) {
	e.dials.Add(1)
	var nc net.Conn
	var err error
	if dial := e.cfg.Dial; dial != nil {
		nc, err = dial(ctx, network, addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		e.dialErrs.Add(1)
	}
	return nc, err
}

// closeConn closes c's connection and forgets it.
func (w *worker) closeConn(c *h1conn) {
	w.mu.Lock()
	nc := c.nc
	c.nc = nil
	w.mu.Unlock()
	if nc != nil {
		nc.Close()
		w.e.conns.Add(-1)
	}
	c.r, c.w = 0, 0 // what is left of a response on a closed connection is of no use
	c.release()
}

func (w *worker) closeAll() {
	for _, c := range w.h1 {
		if c != nil {
			w.closeConn(c)
		}
	}
}

// interrupt makes any blocked read or write on the worker's connections
// return at once.
func (w *worker) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.h1 {
		if c != nil && c.nc != nil {
			c.nc.SetDeadline(time.Unix(1, 0))
		}
	}
}
