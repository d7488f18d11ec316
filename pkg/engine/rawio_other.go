//go:build !linux

package engine

import (
	"net"
	"syscall"
)

// fastConn returns nc: raw reads and writes are Linux's (rawio_linux.go).
func fastConn(nc net.Conn) net.Conn { return nc }

// sysRead reads from socket fd into b.
func sysRead(fd uintptr, b []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), b)
	if err != nil {
		e, _ := err.(syscall.Errno)
		return 0, e
	}
	return n, 0
}
