//go:build !linux

package engine

import "net"

// fastConn returns nc: raw reads and writes are Linux's (rawio_linux.go).
func fastConn(nc net.Conn) net.Conn { return nc }
