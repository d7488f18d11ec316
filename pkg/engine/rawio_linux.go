package engine

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawTCP is a TCP connection whose reads and writes are raw system calls
// on its non-blocking socket: they never block (the runtime's poller
// waits for the socket when it has nothing to give or no room), so they
// need not tell the scheduler they are in a system call. Telling it costs
// more than the call on a pinned generator: after each spell in which the
// process was idle, the first system call wakes the runtime's monitor
// thread, which then polls every 20 µs for a millisecond, on the same CPU
// (bench/README.md, "HTTP/2 against h2load").
//
// One goroutine reads and one writes at a time, as the engine's clients
// and crypto/tls do.
type rawTCP struct {
	*net.TCPConn
	rc syscall.RawConn

	rb      []byte // what a read reads into
	rn      int
	rerr    syscall.Errno
	readFn  func(fd uintptr) bool // c.read, made once
	wb      []byte                // what a write has left to write
	werr    syscall.Errno
	writeFn func(fd uintptr) bool // c.write, made once
}

// fastConn returns nc with raw reads and writes when it is a TCP
// connection, else nc.
func fastConn(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &rawTCP{TCPConn: tc, rc: rc}
	c.readFn, c.writeFn = c.read, c.write
	return c
}

// sysRead reads from socket fd into b (not empty) without telling the
// runtime; rawTCP says why.
func sysRead(fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		switch e {
		case 0:
			raceWrote(b[:r])
			return int(r), 0
		case syscall.EINTR:
		default:
			return 0, e
		}
	}
}

// sysWrite writes b (not empty) to socket fd without telling the runtime.
func sysWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	raceReads(b)
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

// read is rc.Read's function for Read: false means nothing to read yet.
func (c *rawTCP) read(fd uintptr) bool {
	c.rn, c.rerr = sysRead(fd, c.rb)
	return c.rerr != syscall.EAGAIN
}

// write is rc.Write's function for Write: false means no room yet.
func (c *rawTCP) write(fd uintptr) bool {
	for len(c.wb) > 0 {
		n, e := sysWrite(fd, c.wb)
		if e == syscall.EAGAIN {
			return false
		}
		if e != 0 {
			c.werr = e
			return true
		}
		c.wb = c.wb[n:]
	}
	return true
}

func (c *rawTCP) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.rb = b
	err := c.rc.Read(c.readFn)
	c.rb = nil
	switch {
	case err != nil:
		return 0, c.opErr("read", err)
	case c.rerr != 0:
		return 0, c.opErr("read", c.rerr)
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

func (c *rawTCP) Write(b []byte) (int, error) {
	c.wb, c.werr = b, 0
	err := c.rc.Write(c.writeFn)
	done := len(b) - len(c.wb)
	c.wb = nil
	if err == nil && c.werr != 0 {
		err = c.werr
	}
	if err != nil {
		return done, c.opErr("write", err)
	}
	return done, nil
}

// opErr wraps err as the net package does (a system call's error in an
// *os.SyscallError, all in a *net.OpError), so that errors classify alike.
func (c *rawTCP) opErr(op string, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
