package engine

import (
	"bytes"
	"io"
	"net"
	"syscall"

	"github.com/barrage-load/barrage/pkg/errclass"
)

// ProtocolError is a server not speaking the protocol asked for: a response
// barrage could not parse as HTTP/1.1, or an HTTP/2 connection the server
// answered in another protocol. Its class is errclass.Protocol.
type ProtocolError struct {
	What string
	// Detail is the error's detail in reports, from a bounded set of
	// constants; empty means "malformed_response".
	Detail string
}

func (e *ProtocolError) Error() string {
	if e.Detail == "" {
		return "malformed HTTP response: " + e.What
	}
	return e.What
}

// ErrorClass implements errclass.Classer.
func (e *ProtocolError) ErrorClass() (errclass.Class, string) {
	if e.Detail == "" {
		return errclass.Protocol, "malformed_response"
	}
	return errclass.Protocol, e.Detail
}

// Protocol errors; constants so the hot path never allocates one.
var (
	errStatusLine   = &ProtocolError{What: "bad status line"}
	errHeaderLine   = &ProtocolError{What: "bad header line"}
	errHeaderTooBig = &ProtocolError{What: "header block larger than 64 KiB"}
	errLength       = &ProtocolError{What: "bad Content-Length"}
	errChunk        = &ProtocolError{What: "bad chunked encoding"}
	errUpgrade      = &ProtocolError{What: "unexpected 101 Switching Protocols"}
)

// Read buffers: each connection starts with readBufSize bytes, enough for
// the headers of most responses, and grows (doubling) up to maxReadBuf when
// a header block does not fit, or when it discards bodies larger than the
// buffer, to read them in fewer system calls. A header block larger than
// maxReadBuf is an error.
const (
	readBufSize = 4 << 10
	maxReadBuf  = 64 << 10
)

// h1conn is one HTTP/1.1 connection with its read buffer: its own, or
// leased while a response is read (h1lease.go).
type h1conn struct {
	nc     net.Conn
	buf    []byte // nil when leased and given back
	r, w   int    // unread bytes are buf[r:w]
	served int    // responses read on this connection
	nread  int64  // bytes read for the current response
	keep   *kept  // what a journey keeps of a response; nil discards all

	leased bool                  // buf is from bufPool
	rc     syscall.RawConn       // nc's, when it is plain TCP: its buffer is leased
	readFn func(fd uintptr) bool // readRaw, for rc.Read
	rn     int                   // what readRaw read
	rerr   error                 // and its error
}

// kept is what a journey's exchange keeps of a response (H1Conn): its header
// block, copied before the body is read, and the first limit bytes of its
// body; n counts every body byte read.
type kept struct {
	head  []byte
	body  []byte
	limit int
	n     int64
}

// take hands body bytes p to c.keep, if any. The plain path passes nil
// checks only.
func (c *h1conn) take(p []byte) {
	k := c.keep
	if k == nil {
		return
	}
	k.n += int64(len(p))
	if room := k.limit - len(k.body); room > 0 {
		k.body = append(k.body, p[:min(room, len(p))]...)
	}
}

// fill reads more bytes into the buffer, compacting it first if needed.
// Without a buffer, it leases one (h1lease.go).
func (c *h1conn) fill() error {
	var n int
	var err error
	if c.buf == nil && c.rc != nil {
		n, err = c.readLeased()
	} else {
		if c.buf == nil {
			c.lease(bufPool.Get().(*[readBufSize]byte))
		}
		if c.r > 0 && c.w == len(c.buf) {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		if c.w == len(c.buf) {
			if len(c.buf) >= maxReadBuf {
				return errHeaderTooBig
			}
			c.grow()
		}
		n, err = c.nc.Read(c.buf[c.w:])
	}
	c.w += n
	c.nread += int64(n)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// grow doubles the read buffer, keeping its unread bytes. A leased buffer
// goes back to the pool: the larger one is the connection's own.
func (c *h1conn) grow() {
	b := make([]byte, min(2*len(c.buf), maxReadBuf))
	n := copy(b, c.buf[c.r:c.w])
	c.r, c.w = 0, 0
	c.release()
	c.buf, c.w = b, n
}

// response is what barrage keeps of a response.
type response struct {
	status    int
	keepAlive bool // the connection may carry another request
}

var crlf = []byte("\r\n")

// readResponse reads one response (skipping 1xx interim responses) and
// discards its body. head says the request was HEAD, whose response has no
// body whatever its headers say.
func (c *h1conn) readResponse(head bool) (response, error) {
	c.nread = 0 // bytes already buffered were counted when they were read
	for {
		end, err := c.headerEnd()
		if err != nil {
			return response{}, err
		}
		h, err := parseHeader(c.buf[c.r:end])
		if err != nil {
			return response{}, err
		}
		if c.keep != nil {
			c.keep.head = append(c.keep.head[:0], c.buf[c.r:end]...)
		}
		c.r = end
		if h.status == 101 {
			return response{}, errUpgrade
		}
		if h.status < 200 {
			continue // 100 Continue, 103 Early Hints: the real response follows
		}
		res := response{status: h.status, keepAlive: h.keepAlive}
		switch {
		case head || h.status == 204 || h.status == 304:
		case h.chunked:
			err = c.discardChunked()
		case h.length >= 0:
			err = c.discard(h.length)
		default: // the body runs to the end of the connection
			res.keepAlive = false
			err = c.discardToEOF()
		}
		return res, err
	}
}

// headerEnd returns the index just past the blank line ending the header
// block at buf[r:], reading more as needed.
func (c *h1conn) headerEnd() (int, error) {
	from := c.r
	for {
		if i := bytes.Index(c.buf[from:c.w], []byte("\r\n\r\n")); i >= 0 {
			return from + i + 4, nil
		}
		from = max(c.r, c.w-3)
		before := c.r
		if err := c.fill(); err != nil {
			if err == io.EOF && c.w > c.r {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		from -= before - c.r // fill may have compacted the buffer
	}
}

// discard skips n body bytes.
func (c *h1conn) discard(n int64) error {
	for {
		avail := int64(c.w - c.r)
		if avail >= n {
			c.take(c.buf[c.r : c.r+int(n)])
			c.r += int(n)
			return nil
		}
		c.take(c.buf[c.r:c.w])
		n -= avail
		c.r, c.w = 0, 0
		if n > int64(len(c.buf)) && len(c.buf) < maxReadBuf {
			c.grow() // a large body: read it in larger pieces
		}
		// Read no further than this body, so nothing of a later message is lost.
		lim := len(c.buf)
		if n < int64(lim) {
			lim = int(n)
		}
		m, err := c.nc.Read(c.buf[:lim])
		c.w = m
		c.nread += int64(m)
		if m == 0 {
			if err == io.EOF || err == nil {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// discardToEOF reads until the server closes the connection.
func (c *h1conn) discardToEOF() error {
	c.take(c.buf[c.r:c.w])
	c.r, c.w = 0, 0
	for {
		m, err := c.nc.Read(c.buf)
		c.nread += int64(m)
		c.take(c.buf[:m])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line returns the next CRLF-terminated line (without CRLF) and consumes it.
func (c *h1conn) line() ([]byte, error) {
	from := c.r
	for {
		if i := bytes.Index(c.buf[from:c.w], crlf); i >= 0 {
			l := c.buf[c.r : from+i]
			c.r = from + i + 2
			return l, nil
		}
		before := c.r
		from = max(c.r, c.w-1)
		if err := c.fill(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		from -= before - c.r
	}
}

// discardChunked skips a chunked body and its trailers.
func (c *h1conn) discardChunked() error {
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		size, ok := parseHex(l)
		if !ok {
			return errChunk
		}
		if size == 0 {
			for { // trailers, up to the blank line
				l, err := c.line()
				if err != nil {
					return err
				}
				if len(l) == 0 {
					return nil
				}
			}
		}
		if err := c.discard(size); err != nil {
			return err
		}
		if l, err := c.line(); err != nil {
			return err
		} else if len(l) != 0 {
			return errChunk
		}
	}
}

// parseHex reads a chunk size, ignoring chunk extensions after ';'.
func parseHex(b []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, ch := range b {
		var d byte
		switch {
		case '0' <= ch && ch <= '9':
			d = ch - '0'
		case 'a' <= ch && ch <= 'f':
			d = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			d = ch - 'A' + 10
		case ch == ';' || ch == ' ' || ch == '\t':
			return n, digits > 0
		default:
			return 0, false
		}
		if digits == 15 {
			return 0, false // would overflow int64
		}
		n = n<<4 | int64(d)
		digits++
	}
	return n, digits > 0
}

// header is what barrage reads from a response header block.
type header struct {
	status    int
	length    int64 // -1 when absent
	chunked   bool
	keepAlive bool
}

// parseHeader parses a status line and header fields ending in a blank line.
func parseHeader(b []byte) (header, error) {
	h := header{length: -1}
	i := bytes.Index(b, crlf)
	sl := b[:i]
	// "HTTP/1.x NNN reason"
	if len(sl) < 12 || !bytes.HasPrefix(sl, []byte("HTTP/1.")) || sl[8] != ' ' ||
		(len(sl) > 12 && sl[12] != ' ') {
		return h, errStatusLine
	}
	for _, d := range sl[9:12] {
		if d < '0' || d > '9' {
			return h, errStatusLine
		}
		h.status = h.status*10 + int(d-'0')
	}
	h.keepAlive = sl[7] == '1' // HTTP/1.1 defaults to keep-alive, 1.0 to close
	rest := b[i+2:]
	for {
		name, v, next, ok, err := nextField(rest)
		if !ok {
			return h, err
		}
		rest = next
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseDecimal(v)
			if !ok || (h.length >= 0 && h.length != n) {
				return h, errLength
			}
			h.length = n
		case equalFold(name, "transfer-encoding"):
			h.chunked = hasSuffixFold(v, "chunked")
		case equalFold(name, "connection"):
			if containsTokenFold(v, "close") {
				h.keepAlive = false
			} else if containsTokenFold(v, "keep-alive") {
				h.keepAlive = true
			}
		}
	}
}

// nextField splits the first header field off the lines b: its name and
// its value without surrounding blanks, and the lines after it. ok is false
// at the blank line ending the block or at its end (err nil), and for a
// line that is no field (err errHeaderLine).
func nextField(b []byte) (name, value, rest []byte, ok bool, err error) {
	j := bytes.Index(b, crlf)
	if j <= 0 {
		return nil, nil, nil, false, nil
	}
	l := b[:j]
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return nil, nil, nil, false, errHeaderLine
	}
	return l[:colon], trimSpace(l[colon+1:]), b[j+2:], true, nil
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int64(d-'0')
	}
	return n, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares b with the lower-case ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func hasSuffixFold(b []byte, s string) bool {
	return len(b) >= len(s) && equalFold(b[len(b)-len(s):], s)
}

// containsTokenFold reports whether the comma-separated list b holds token s.
func containsTokenFold(b []byte, s string) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, ',')
		var tok []byte
		if i < 0 {
			tok, b = b, nil
		} else {
			tok, b = b[:i], b[i+1:]
		}
		if equalFold(trimSpace(tok), s) {
			return true
		}
	}
	return false
}
