// Package errclass sorts the errors of a load generator's requests into the
// bounded set of classes that report.json counts under "errors": timeout,
// connect_refused, connect_timeout, addr_in_use, too_many_open_files, dns,
// tls, reset, eof, goaway, refused_stream, canceled, other, protocol, and
// for scenario iterations unexpected_status and extract.
//
// Classify looks only at types and values, with errors.AsType and errors.Is
// on *net.OpError, syscall.Errno, *net.DNSError, the crypto/tls and
// crypto/x509 error types and the golang.org/x/net/http2 error types, never
// at the text of err.Error(). Wrappers such as *url.Error, *os.SyscallError,
// fmt.Errorf("…: %w") and errors.Join are seen through. Besides the class it
// returns a detail from a bounded set (an errno name, an HTTP/2 error code
// name or one of the Detail constants) so that "goaway ENHANCE_YOUR_CALM" and
// "goaway NO_ERROR" can be told apart without letting the set grow.
//
// # Precedence
//
// An error chain often holds several clues: a dial timeout is a *net.OpError
// and a timeout; a canceled request may also show a closed connection. The
// rules are tried in this order and the first that matches decides:
//
//  1. nil is None.
//  2. The outermost error in the chain that implements Classer decides, so
//     the engine's own errors and GoAwayError win over whatever they wrap.
//     A Classer that answers None (or an invalid class) counts as Other.
//  3. context.Canceled is Canceled: when we cancel, whatever else broke is a
//     consequence.
//  4. EMFILE or ENFILE is TooManyOpenFiles, wherever it came from: socket(2)
//     in a dial, accept(2), open(2).
//  5. A *net.DNSError is DNS, with detail "not_found", "timeout",
//     "temporary" or "". It comes before the timeout rules: a slow resolver
//     is a DNS problem even when the deadline that expired was the request's.
//  6. ECONNREFUSED is ConnectRefused; EADDRINUSE and EADDRNOTAVAIL are
//     AddrInUse (the ephemeral ports are used up). Only connect(2) and bind(2)
//     return these errnos, so no dial marker is needed.
//  7. During a dial, that is when the chain holds a *net.OpError with Op
//     "dial" or an *os.SyscallError from "connect": ENETUNREACH, EHOSTUNREACH
//     and EAGAIN are Other with the errno name; any timeout (rule 8's tests,
//     ETIMEDOUT included) is ConnectTimeout.
//  8. A timeout is Timeout: an error in the chain whose Timeout method reports
//     true (net.Error, os.ErrDeadlineExceeded, ETIMEDOUT, net/http's "timeout
//     awaiting response headers" and Client.Timeout, TLS handshake timeouts),
//     or context.DeadlineExceeded. The detail is "ETIMEDOUT" or "".
//  9. TLS: *tls.CertificateVerificationError and the x509 error types
//     (detail "x509_unknown_authority", "x509_hostname", "x509_expired", …),
//     tls.RecordHeaderError and net/http's http.ErrSchemeMismatch
//     ("record_header": the peer does not speak TLS),
//     *tls.ECHRejectionError, tls.AlertError, and crypto/tls's
//     &net.OpError{Op: "remote error"} ("remote_alert") and "local error".
//  10. HTTP/2 (golang.org/x/net/http2): http2.GoAwayError is GoAway with the
//     code name as the detail; a http2.StreamError with REFUSED_STREAM is
//     RefusedStream; one with CANCEL is Reset, because a peer that cancels a
//     stream abandons the request as a TCP reset would over HTTP/1.1 (our own
//     cancellations reach the caller as context errors, rule 3); other
//     StreamError codes are Other with the code name. A ConnectionError (the
//     server broke the protocol: a malformed frame, a first frame that is
//     not SETTINGS) is Protocol with the code name, and so is
//     http2.ErrFrameTooLarge, with detail "frame_too_large": a frame header
//     announcing more than the client reads, which is what an HTTP/1.1
//     answer to the h2c preface looks like. The engine's HTTP/2 client
//     returns these types (StreamError for RST_STREAM, ConnectionError and
//     ErrFrameTooLarge when the server breaks the protocol) and GoAwayError
//     after a GOAWAY. The engine's own protocol errors (a malformed HTTP/1.1
//     response, no h2 by ALPN, an HTTP/1.1 answer to the h2c preface) are
//     Classers (rule 2) of class Protocol.
//  11. ECONNRESET, EPIPE and ECONNABORTED are Reset.
//  12. io.EOF and io.ErrUnexpectedEOF are EOF.
//  13. net.ErrClosed is Other with detail "use_of_closed_connection".
//  14. Anything else is Other, with the errno name if the chain has a known
//     errno, else "".
//
// # Limits
//
// Errors that are only told apart by their text fall into Other, by design.
// The ones a load test meets: net/http's "http: server closed idle
// connection"; x/net/http2's unexported errors after a GOAWAY, which is why
// GoAwayError exists; and net/http's bundled HTTP/2 (h2_bundle.go), whose
// GOAWAY and connection errors are unexported types without an As method (its
// stream errors do convert to http2.StreamError). Use the x/net/http2
// transport to get typed HTTP/2 errors. A TLS handshake timeout is a Timeout,
// not a TLS error: net/http reports it only as a net.Error. Errno names are
// the Unix ones; Windows' WSA error numbers fall into Other.
package errclass
