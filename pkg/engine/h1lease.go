package engine

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Leased read buffers. A slot's connection holds a read buffer only while
// bytes of a response are in it: it waits for the response's first bytes
// without one (through the connection's syscall.RawConn, whose read
// function is called when the socket may be readable), takes a buffer from
// a pool to read them into, and gives it back once the response is read
// and nothing more is buffered. A stall of the process puts up to
// MaxInflight arrivals in flight at once, each on its own connection and
// each waiting for its response: with buffers held for the life of a
// connection, that spell costs readBufSize each (4 MB for 1,000) for the
// rest of the run; leased, only the few being parsed at a time hold one.
//
// Only plain TCP connections lease (a *net.TCPConn, or rawTCP over one); others (TLS, which
// buffers records itself, and connections from Config.Dial other than TCP)
// take a buffer when first read and give it back when closed. A buffer
// grown for a large response (grow) is the connection's own, as before.

// bufPool holds read buffers of readBufSize bytes; buffersLeased counts
// those connections hold.
var (
	bufPool       = sync.Pool{New: func() any { return new([readBufSize]byte) }}
	buffersLeased atomic.Int64
)

// attach makes c a connection over nc, its buffer given back.
func (c *h1conn) attach(nc net.Conn) {
	c.r, c.w = 0, 0
	c.release()
	c.nc, c.served, c.rc = nc, 0, nil
	switch tc := nc.(type) {
	case *rawTCP:
		c.rc = tc.rc
	case *net.TCPConn:
		c.rc, _ = tc.SyscallConn()
	}
	if c.rc != nil && c.readFn == nil {
		c.readFn = c.readRaw // allocated once per slot and endpoint, not per read
	}
}

// lease gives c buffer p from the pool.
func (c *h1conn) lease(p *[readBufSize]byte) {
	c.buf, c.r, c.w, c.leased = p[:], 0, 0, true
	buffersLeased.Add(1)
}

// release gives c's leased buffer back to the pool if it holds no unread
// bytes.
func (c *h1conn) release() {
	if !c.leased || c.r < c.w {
		return
	}
	bufPool.Put((*[readBufSize]byte)(c.buf))
	buffersLeased.Add(-1)
	c.buf, c.r, c.w, c.leased = nil, 0, 0, false
}

// readLeased waits for c's connection to have bytes, then reads them into
// a buffer from the pool, which c keeps if it read any. Its errors are
// those nc.Read would return.
func (c *h1conn) readLeased() (int, error) {
	c.rn, c.rerr = 0, nil
	if err := c.rc.Read(c.readFn); err != nil {
		if oe, ok := err.(*net.OpError); ok && oe.Op == "raw-read" {
			oe.Op = "read" // as net.Conn.Read says it: a deadline, a closed connection
		}
		return 0, err
	}
	switch {
	case c.rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(),
			Err: os.NewSyscallError("read", c.rerr)}
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

// readRaw is c.rc's read function: it reads what the socket holds, if
// anything, into a buffer taken from the pool for it, and reports false
// (wait and call again) when there was nothing to read.
func (c *h1conn) readRaw(fd uintptr) bool {
	p := bufPool.Get().(*[readBufSize]byte)
	n, errno := sysRead(fd, p[:])
	switch {
	case errno == syscall.EAGAIN:
		bufPool.Put(p)
		return false
	case errno != 0:
		bufPool.Put(p)
		c.rerr = errno
	case n == 0:
		bufPool.Put(p)
	default:
		c.lease(p)
		c.rn = n
	}
	return true
}
