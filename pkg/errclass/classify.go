package errclass

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"

	"golang.org/x/net/http2"
)

// Classer is implemented by errors that know their own class, such as the
// errors of the engine's HTTP/1.1 parser and GoAwayError. Classify asks the
// outermost Classer in an error's chain before any other rule. The detail
// must come from a bounded set of constants, as Classify's own details do.
type Classer interface {
	ErrorClass() (Class, string)
}

// classerError is what errors.AsType needs: a Classer that is an error.
type classerError interface {
	error
	Classer
}

// Classify returns the class of err and a short detail taken from a bounded
// set: an errno name such as "ECONNRESET", an HTTP/2 error code name such as
// "ENHANCE_YOUR_CALM", or one of the Detail constants; "" when there is none.
// It never looks at err.Error(). The order in which the rules are tried is
// documented in the package comment. Classify does not allocate, except when
// an error in the chain has an As method (errors.AsType then allocates the
// target): no common network error has one, net/http's bundled HTTP/2 stream
// error does.
func Classify(err error) (Class, string) {
	if err == nil {
		return None, ""
	}
	if c, ok := errors.AsType[classerError](err); ok {
		class, detail := c.ErrorClass()
		if class == None || !class.Valid() {
			return Other, detail // an error is never "no error"
		}
		return class, detail
	}
	if errors.Is(err, context.Canceled) {
		return Canceled, ""
	}

	errno, _ := errors.AsType[syscall.Errno](err) // 0 when there is none
	name := errnoName(errno)
	switch errno {
	case syscall.EMFILE, syscall.ENFILE:
		return TooManyOpenFiles, name
	}
	if e, ok := errors.AsType[*net.DNSError](err); ok {
		return DNS, dnsDetail(e)
	}
	switch errno {
	case syscall.ECONNREFUSED:
		return ConnectRefused, name
	case syscall.EADDRINUSE, syscall.EADDRNOTAVAIL:
		return AddrInUse, name
	}

	var f facts
	f.scan(err)
	f.timeout = f.timeout || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	timeoutDetail := ""
	if errno == syscall.ETIMEDOUT {
		timeoutDetail = name
	}
	if f.dial {
		switch errno {
		case syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.EAGAIN:
			return Other, name // EAGAIN's Timeout() is true, but a dial never waited for it
		}
		if f.timeout {
			return ConnectTimeout, timeoutDetail
		}
	}
	if f.timeout {
		return Timeout, timeoutDetail
	}
	if detail, ok := tlsDetail(err, &f); ok {
		return TLS, detail
	}
	if class, detail, ok := classifyHTTP2(err); ok {
		return class, detail
	}
	switch errno {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED:
		return Reset, name
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return EOF, ""
	}
	if errors.Is(err, net.ErrClosed) {
		return Other, DetailNetClosed
	}
	return Other, name
}

// facts are what Classify learns from one walk over the chain, for the rules
// that errors.AsType cannot express: a field value or a method's answer
// anywhere in the chain rather than in the first error of a type.
type facts struct {
	dial        bool // a *net.OpError with Op "dial" or an *os.SyscallError from connect(2)
	timeout     bool // an error whose Timeout method reports true
	remoteAlert bool // crypto/tls: &net.OpError{Op: "remote error"}, the peer sent an alert
	localAlert  bool // crypto/tls: &net.OpError{Op: "local error"}, we sent an alert
}

// scan walks err's chain like errors.Is does, depth first through joins.
func (f *facts) scan(err error) {
	for err != nil {
		switch e := err.(type) {
		case *net.OpError:
			switch e.Op {
			case "dial":
				f.dial = true
			case "remote error":
				f.remoteAlert = true
			case "local error":
				f.localAlert = true
			}
		case *os.SyscallError:
			if e.Syscall == "connect" {
				f.dial = true
			}
		}
		if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
			f.timeout = true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				f.scan(e)
			}
			return
		default:
			return
		}
	}
}

// dnsDetail names the kind of resolver failure that net.DNSError flags.
func dnsDetail(e *net.DNSError) string {
	switch {
	case e.IsNotFound:
		return DetailDNSNotFound
	case e.IsTimeout:
		return DetailDNSTimeout
	case e.IsTemporary:
		return DetailDNSTemporary
	}
	return ""
}

// tlsDetail reports whether err is a TLS failure, and which. Certificate
// problems come first: with QUIC a verification error also wraps an
// AlertError, and the certificate says more.
func tlsDetail(err error, f *facts) (string, bool) {
	if e, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		if d := x509Detail(e.Err); d != "" {
			return d, true
		}
		return DetailTLSCertificate, true
	}
	if d := x509Detail(err); d != "" {
		return d, true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return DetailTLSRecordHeader, true
	}
	if errors.Is(err, http.ErrSchemeMismatch) { // net/http's name for the same RecordHeaderError
		return DetailTLSRecordHeader, true
	}
	if _, ok := errors.AsType[*tls.ECHRejectionError](err); ok {
		return DetailTLSECHRejected, true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return DetailTLSAlert, true
	}
	switch {
	case f.remoteAlert:
		return DetailTLSRemoteAlert, true
	case f.localAlert:
		return DetailTLSLocalAlert, true
	}
	return "", false
}

// x509Detail names a certificate verification error, or returns "".
func x509Detail(err error) string {
	if err == nil {
		return ""
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return DetailX509UnknownCA
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return DetailX509Hostname
	}
	if e, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return invalidReasonDetail(e.Reason)
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return DetailX509SystemRoots
	}
	if _, ok := errors.AsType[x509.InsecureAlgorithmError](err); ok {
		return DetailX509InsecureAlgo
	}
	if _, ok := errors.AsType[x509.ConstraintViolationError](err); ok {
		return DetailX509Constraint
	}
	if _, ok := errors.AsType[x509.UnhandledCriticalExtension](err); ok {
		return DetailX509Constraint
	}
	return ""
}

// classifyHTTP2 handles the error types of golang.org/x/net/http2. A
// ConnectionError is what the client's framer returns when the server breaks
// the protocol (a malformed frame, a first frame that is not SETTINGS), and
// ErrFrameTooLarge what it returns for a frame header announcing more than
// it reads, such as an HTTP/1.1 answer to the h2c preface: both are
// Protocol. net/http's bundled copy of that package converts its stream
// errors to http2.StreamError through an As method, but not its GOAWAY or
// connection errors: those end up as Other (see the package comment).
func classifyHTTP2(err error) (Class, string, bool) {
	//lint:ignore SA1019 x/net's deprecated client returns this type; the engine's own client does not (it marks GOAWAYs with GoAwayError), a caller of x/net's may
	if e, ok := errors.AsType[http2.GoAwayError](err); ok {
		return GoAway, codeName(e.ErrCode), true
	}
	if e, ok := errors.AsType[http2.StreamError](err); ok {
		switch e.Code {
		case http2.ErrCodeRefusedStream:
			return RefusedStream, codeName(e.Code), true
		case http2.ErrCodeCancel:
			return Reset, codeName(e.Code), true
		}
		return Other, codeName(e.Code), true
	}
	if e, ok := errors.AsType[http2.ConnectionError](err); ok {
		return Protocol, codeName(http2.ErrCode(e)), true
	}
	if errors.Is(err, http2.ErrFrameTooLarge) {
		return Protocol, DetailFrameTooLarge, true
	}
	return None, "", false
}
