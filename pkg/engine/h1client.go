package engine

import (
	"bytes"
	"net"
)

// H1Conn is the engine's lean HTTP/1.1 client lent to a journey
// (pkg/journey): a request the journey serialized is written in one write
// and its response parsed in place by the parser of the engine's own
// requests (h1parse.go), which keeps the response's header block and the
// first bytes of its body for the journey's extractors and checks, and
// discards the rest. A journey dials the connection itself, with
// Iteration.Dial (and TLS over it when it needs), and reuses an H1Conn's
// buffers from one connection to the next with Reset.
type H1Conn struct {
	c h1conn
	k kept
}

// NewH1Conn returns a client over nc.
func NewH1Conn(nc net.Conn) *H1Conn {
	c := &H1Conn{c: h1conn{buf: make([]byte, readBufSize)}}
	c.c.keep = &c.k
	c.Reset(nc)
	return c
}

// Reset makes c a client over nc (nil: none), keeping its buffers.
func (c *H1Conn) Reset(nc net.Conn) {
	c.c.nc, c.c.served, c.c.r, c.c.w = nc, 0, 0, 0
}

// Conn is the connection c reads and writes, nil after Reset(nil).
func (c *H1Conn) Conn() net.Conn { return c.c.nc }

// Served is how many responses c read on its connection.
func (c *H1Conn) Served() int { return c.c.served }

// H1Response is a response H1Conn.RoundTrip read. Its slices are c's
// buffers, valid until the next RoundTrip.
type H1Response struct {
	Status int
	// KeepAlive says the connection may carry another request.
	KeepAlive bool
	// Header holds the header fields after the status line, each line
	// ending in CRLF; Fields iterates them.
	Header []byte
	// Body is the first bytes of the body, up to the limit asked for;
	// BodyBytes counts all of them.
	Body      []byte
	BodyBytes int64
	// Read counts the bytes read for the response, headers included.
	Read int64
}

// RoundTrip writes req, a whole HTTP/1.1 request, and reads its response,
// keeping up to limit bytes of its body. head says req is a HEAD request.
// A malformed response is a *ProtocolError (errclass.Protocol); the
// connection must then be closed, as after any error.
func (c *H1Conn) RoundTrip(req []byte, head bool, limit int) (H1Response, error) {
	c.k.head, c.k.body, c.k.limit, c.k.n = c.k.head[:0], c.k.body[:0], limit, 0
	c.c.nread = 0
	_, err := c.c.nc.Write(req)
	var res response
	if err == nil {
		res, err = c.c.readResponse(head)
	}
	out := H1Response{Status: res.status, KeepAlive: res.keepAlive, Body: c.k.body, BodyBytes: c.k.n, Read: c.c.nread}
	if i := bytes.Index(c.k.head, crlf); i >= 0 {
		out.Header = c.k.head[i+2:]
	}
	if err != nil {
		return out, err
	}
	c.c.served++
	return out, nil
}

// Fields calls yield with the name and value of each header field of r, in
// order, until yield returns false: for name, value := range r.Fields.
func (r *H1Response) Fields(yield func(name, value []byte) bool) {
	rest := r.Header
	for {
		name, value, next, ok, _ := nextField(rest)
		if !ok || !yield(name, value) {
			return
		}
		rest = next
	}
}

// Stale reports whether err, which RoundTrip returned with res, came on a
// connection that had served responses before and before any byte of an
// answer: the server most likely closed the idle connection, and the
// request may go again on a new one, as the engine's own requests do once.
func (c *H1Conn) Stale(err error, res H1Response) bool {
	return c.c.served > 0 && res.Read == 0 && retryable(err)
}
