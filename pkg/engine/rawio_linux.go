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
// more than the call: each wakes the runtime's monitor thread when the
// process was idle, which then polls every 20 µs for a millisecond, on
// the one CPU a pinned load generator has (bench/README.md, HTTP/2).
type rawTCP struct {
	*net.TCPConn
	rc syscall.RawConn
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
	return &rawTCP{TCPConn: tc, rc: rc}
}

func (c *rawTCP) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		if e == syscall.EAGAIN {
			return false
		}
		n, errno = int(r), e
		return true
	})
	switch {
	case err != nil:
		return 0, c.opErr("read", err)
	case errno != 0:
		return 0, c.opErr("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	raceWrote(b[:n])
	return n, nil
}

func (c *rawTCP) Write(b []byte) (int, error) {
	raceReads(b)
	done := 0
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for done < len(b) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[done])), uintptr(len(b)-done))
			switch e {
			case 0:
				done += int(r)
			case syscall.EAGAIN:
				return false
			case syscall.EINTR:
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = errno
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
