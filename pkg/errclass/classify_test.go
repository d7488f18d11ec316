package errclass

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"golang.org/x/net/http2"
)

// Constructors for the shapes the standard library produces.

// dialErr is what net.Dialer returns when connect(2) fails with errno.
func dialErr(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
}

// opErr is what a read or write on a net.Conn returns when the syscall fails.
func opErr(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
}

// urlErr is how net/http's Client wraps every error.
func urlErr(err error) error {
	return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: err}
}

// classed is an error of our own code that picks its class.
type classed struct {
	class  Class
	detail string
}

func (e classed) Error() string               { return "classed" }
func (e classed) ErrorClass() (Class, string) { return e.class, e.detail }
func (e classed) Unwrap() error               { return io.EOF } // the class must win over this
var _ Classer = classed{}

// netErr is a third-party net.Error.
type netErr struct{ timeout bool }

func (e netErr) Error() string   { return "net error" }
func (e netErr) Timeout() bool   { return e.timeout }
func (e netErr) Temporary() bool { return false }

// standInAlert stands for crypto/tls's unexported alert type, which the
// package wraps in &net.OpError{Op: "remote error"} or "local error".
type standInAlert uint8

func (standInAlert) Error() string { return "tls: alert" }

func TestClassifyTable(t *testing.T) {
	certErr := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	tests := []struct {
		name       string
		err        error
		wantClass  Class
		wantDetail string
	}{
		// No error is the only thing that is None.
		{"nil", nil, None, ""},
		// Plain errors are Other with no detail.
		{"errors.New", errors.New("boom"), Other, ""},
		// Our own errors choose their class, over the io.EOF they wrap.
		{"classer", classed{Reset, "http1_parse"}, Reset, "http1_parse"},
		// ... also when wrapped.
		{"wrapped classer", fmt.Errorf("request: %w", classed{Timeout, ""}), Timeout, ""},
		// A Classer that claims None still reports an error.
		{"classer none", classed{None, "x"}, Other, "x"},
		// ... and an out-of-range class too.
		{"classer invalid", classed{NumClasses + 3, ""}, Other, ""},
		// The engine's GOAWAY marker wins over the transport error it wraps.
		{"GoAwayError", &GoAwayError{Code: http2.ErrCodeEnhanceYourCalm, Err: io.EOF}, GoAway, "ENHANCE_YOUR_CALM"},
		// ... also inside url.Error.
		{"url GoAwayError", urlErr(&GoAwayError{Code: http2.ErrCodeNo, Err: errors.New("x")}), GoAway, "NO_ERROR"},

		// Cancellation.
		{"context.Canceled", context.Canceled, Canceled, ""},
		// net/http wraps the context's error.
		{"url canceled", urlErr(context.Canceled), Canceled, ""},
		// A canceled dial is canceled, not a connect error.
		{"dial canceled", &net.OpError{Op: "dial", Err: context.Canceled}, Canceled, ""},
		// Cancellation beats what it caused.
		{"join canceled eof", errors.Join(io.EOF, context.Canceled), Canceled, ""},
		// A canceled lookup is canceled, not DNS.
		{"dns canceled", &net.DNSError{Err: "operation was canceled", UnwrapErr: context.Canceled}, Canceled, ""},

		// Deadlines.
		{"context.DeadlineExceeded", context.DeadlineExceeded, Timeout, ""},
		// During a dial it is a connect timeout.
		{"dial deadline", &net.OpError{Op: "dial", Err: context.DeadlineExceeded}, ConnectTimeout, ""},
		// ... also inside url.Error, with the poller's deadline error.
		{"url dial poll deadline", urlErr(&net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}), ConnectTimeout, ""},
		// connect(2) gave up after its SYN retries.
		{"dial ETIMEDOUT", dialErr(syscall.ETIMEDOUT), ConnectTimeout, "ETIMEDOUT"},
		// The engine's own dialer, without net.OpError, is still a dial.
		{"syscall connect ETIMEDOUT", os.NewSyscallError("connect", syscall.ETIMEDOUT), ConnectTimeout, "ETIMEDOUT"},
		// A read deadline.
		{"read deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, Timeout, ""},
		// A write deadline, wrapped by net/http.
		{"url write deadline", urlErr(&net.OpError{Op: "write", Err: os.ErrDeadlineExceeded}), Timeout, ""},
		// A TCP retransmission timeout on an established connection.
		{"read ETIMEDOUT", opErr("read", syscall.ETIMEDOUT), Timeout, "ETIMEDOUT"},
		// Any net.Error that says Timeout.
		{"net.Error timeout", fmt.Errorf("x: %w", netErr{timeout: true}), Timeout, ""},
		// A net.Error that does not is Other.
		{"net.Error no timeout", netErr{}, Other, ""},

		// Connection setup errnos.
		{"dial ECONNREFUSED", dialErr(syscall.ECONNREFUSED), ConnectRefused, "ECONNREFUSED"},
		// ... the way http.Client returns it.
		{"url dial ECONNREFUSED", urlErr(dialErr(syscall.ECONNREFUSED)), ConnectRefused, "ECONNREFUSED"},
		// Ephemeral ports exhausted.
		{"dial EADDRNOTAVAIL", dialErr(syscall.EADDRNOTAVAIL), AddrInUse, "EADDRNOTAVAIL"},
		// bind(2) of a fixed local address.
		{"dial bind EADDRINUSE", &net.OpError{Op: "dial", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}, AddrInUse, "EADDRINUSE"},
		// No route: Other, keeping the errno.
		{"dial ENETUNREACH", dialErr(syscall.ENETUNREACH), Other, "ENETUNREACH"},
		// No route to the host.
		{"dial EHOSTUNREACH", dialErr(syscall.EHOSTUNREACH), Other, "EHOSTUNREACH"},
		// EAGAIN says Timeout() but a dial did not wait for it.
		{"dial EAGAIN", dialErr(syscall.EAGAIN), Other, "EAGAIN"},

		// File descriptors, from wherever.
		{"dial socket EMFILE", &net.OpError{Op: "dial", Err: os.NewSyscallError("socket", syscall.EMFILE)}, TooManyOpenFiles, "EMFILE"},
		// From accept(2).
		{"accept EMFILE", opErr("accept", syscall.EMFILE), TooManyOpenFiles, "EMFILE"},
		// System-wide, from open(2).
		{"open ENFILE", &os.PathError{Op: "open", Path: "/x", Err: syscall.ENFILE}, TooManyOpenFiles, "ENFILE"},

		// DNS.
		{"dns not found", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, DNS, "not_found"},
		// net.Dial wraps the lookup error; the resolver's timeout is DNS, not connect_timeout.
		{"dial dns timeout", &net.OpError{Op: "dial", Err: &net.DNSError{IsTimeout: true}}, DNS, "timeout"},
		// SERVFAIL and the like.
		{"dns temporary", urlErr(&net.DNSError{IsTemporary: true}), DNS, "temporary"},
		// A resolver that could not be reached is still DNS.
		{"dns refused", &net.DNSError{UnwrapErr: opErr("read", syscall.ECONNREFUSED)}, DNS, ""},

		// TLS.
		{"cert unknown authority", urlErr(certErr), TLS, "x509_unknown_authority"},
		// A bare x509 error from a manual Verify.
		{"x509 hostname", x509.HostnameError{}, TLS, "x509_hostname"},
		// An expired certificate.
		{"x509 expired", &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}, TLS, "x509_expired"},
		// Another invalid reason.
		{"x509 not CA", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, TLS, "x509_invalid"},
		// No system roots.
		{"x509 system roots", x509.SystemRootsError{}, TLS, "x509_system_roots"},
		// Verification failed in VerifyPeerCertificate.
		{"cert other", &tls.CertificateVerificationError{Err: errors.New("pinned key mismatch")}, TLS, "certificate"},
		// The server does not speak TLS.
		{"record header", urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), TLS, "record_header"},
		// ECH rejected.
		{"ech", &tls.ECHRejectionError{}, TLS, "ech_rejected"},
		// QUIC wraps both the handshake error and the alert; the certificate says more.
		{"quic cert and alert", fmt.Errorf("%w%.0w", certErr, tls.AlertError(42)), TLS, "x509_unknown_authority"},
		// An alert alone.
		{"alert", tls.AlertError(40), TLS, "alert"},
		// The peer sent an alert (crypto/tls's unexported alert type inside).
		{"remote alert", urlErr(&net.OpError{Op: "remote error", Err: standInAlert(116)}), TLS, "remote_alert"},
		// We sent one.
		{"local alert", &net.OpError{Op: "local error", Err: standInAlert(80)}, TLS, "local_alert"},

		// HTTP/2.
		{"h2 goaway calm", xnetGoAway(1, http2.ErrCodeEnhanceYourCalm), GoAway, "ENHANCE_YOUR_CALM"},
		// A graceful GOAWAY followed by a close.
		{"h2 goaway graceful", urlErr(xnetGoAway(0, http2.ErrCodeNo)), GoAway, "NO_ERROR"},
		// A code outside the RFC keeps the detail bounded.
		{"h2 goaway unknown code", xnetGoAway(0, 0xff), GoAway, "UNKNOWN_CODE"},
		// RST_STREAM REFUSED_STREAM.
		{"h2 refused stream", http2.StreamError{StreamID: 3, Code: http2.ErrCodeRefusedStream}, RefusedStream, "REFUSED_STREAM"},
		// RST_STREAM CANCEL from the peer: the request was abandoned.
		{"h2 stream cancel", urlErr(http2.StreamError{StreamID: 3, Code: http2.ErrCodeCancel}), Reset, "CANCEL"},
		// Other stream codes.
		{"h2 stream internal", http2.StreamError{Code: http2.ErrCodeInternal}, Other, "INTERNAL_ERROR"},
		// A per-stream ENHANCE_YOUR_CALM is not a GOAWAY.
		{"h2 stream calm", http2.StreamError{Code: http2.ErrCodeEnhanceYourCalm}, Other, "ENHANCE_YOUR_CALM"},
		// A connection-level error: the server broke the protocol (a malformed
		// frame, a first frame that is not SETTINGS).
		{"h2 connection error", http2.ConnectionError(http2.ErrCodeProtocol), Protocol, "PROTOCOL_ERROR"},
		// A frame header announcing more than the client reads: most often an
		// HTTP/1.1 answer to the h2c preface ("HTT" read as a 24-bit length).
		{"h2 frame too large", fmt.Errorf("http2: failed reading the frame payload: %w", http2.ErrFrameTooLarge), Protocol, "frame_too_large"},

		// Resets.
		{"read ECONNRESET", opErr("read", syscall.ECONNRESET), Reset, "ECONNRESET"},
		// Through net/http's HTTP/1.x wrapper.
		{"h1 broken ECONNRESET", urlErr(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", opErr("write", syscall.ECONNRESET))), Reset, "ECONNRESET"},
		// Writing to a closed socket.
		{"write EPIPE", opErr("write", syscall.EPIPE), Reset, "EPIPE"},
		// Aborted by the local stack.
		{"ECONNABORTED", opErr("read", syscall.ECONNABORTED), Reset, "ECONNABORTED"},
		// Reset beats EOF when both show.
		{"join eof reset", errors.Join(io.EOF, opErr("read", syscall.ECONNRESET)), Reset, "ECONNRESET"},

		// EOF.
		{"io.EOF", io.EOF, EOF, ""},
		// net/http's HTTP/1 client when the server closes before answering.
		{"url EOF", urlErr(io.EOF), EOF, ""},
		// A short body.
		{"unexpected EOF", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), EOF, ""},

		// Everything else.
		{"net.ErrClosed", &net.OpError{Op: "read", Err: net.ErrClosed}, Other, "use_of_closed_connection"},
		// net/http's version of a record header error.
		{"scheme mismatch", urlErr(http.ErrSchemeMismatch), TLS, "record_header"},
		// A typed net/http error with no class of its own.
		{"use last response", urlErr(http.ErrUseLastResponse), Other, ""},
		// An errno with no class keeps its name.
		{"ENOBUFS", opErr("write", syscall.ENOBUFS), Other, "ENOBUFS"},
		// An errno without a name gets no detail.
		{"unnamed errno", opErr("read", syscall.Errno(250)), Other, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotClass, gotDetail := Classify(tt.err)
			if gotClass != tt.wantClass || gotDetail != tt.wantDetail {
				t.Errorf("Classify(%v) = %v, %q; want %v, %q", tt.err, gotClass, gotDetail, tt.wantClass, tt.wantDetail)
			}
		})
	}
}

// TestCodeNameMatchesHTTP2 pins our table of HTTP/2 code names to x/net's.
func TestCodeNameMatchesHTTP2(t *testing.T) {
	for c := http2.ErrCode(0); c <= http2.ErrCodeHTTP11Required; c++ {
		if got, want := codeName(c), c.String(); got != want {
			t.Errorf("codeName(%d) = %q, want %q", c, got, want)
		}
	}
	if got := codeName(http2.ErrCodeHTTP11Required + 1); got != DetailHTTP2Code {
		t.Errorf("codeName(unknown) = %q, want %q", got, DetailHTTP2Code)
	}
}
