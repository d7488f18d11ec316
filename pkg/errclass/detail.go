package errclass

import (
	"crypto/x509"
	"syscall"

	"golang.org/x/net/http2"
)

// The details that Classify returns are constants from this file (or the
// Detail* constants below), never text taken from an error, so that a report
// keyed by (class, detail) stays bounded.

// Details that are not an errno or HTTP/2 code name.
const (
	DetailDNSNotFound  = "not_found" // DNS: the name does not exist
	DetailDNSTimeout   = "timeout"   // DNS: the resolver did not answer in time
	DetailDNSTemporary = "temporary" // DNS: a temporary failure, such as SERVFAIL

	DetailTLSRecordHeader  = "record_header"           // TLS: the peer does not speak TLS (tls.RecordHeaderError)
	DetailTLSRemoteAlert   = "remote_alert"            // TLS: the peer sent an alert
	DetailTLSLocalAlert    = "local_alert"             // TLS: we sent an alert
	DetailTLSAlert         = "alert"                   // TLS: a tls.AlertError (QUIC)
	DetailTLSECHRejected   = "ech_rejected"            // TLS: the server rejected ECH
	DetailTLSCertificate   = "certificate"             // TLS: verification failed for another reason
	DetailX509UnknownCA    = "x509_unknown_authority"  // TLS: the chain ends at an untrusted root
	DetailX509Hostname     = "x509_hostname"           // TLS: the certificate is not valid for the host name
	DetailX509Expired      = "x509_expired"            // TLS: the certificate has expired or is not yet valid
	DetailX509Usage        = "x509_incompatible_usage" // TLS: the certificate may not be used for this purpose
	DetailX509Invalid      = "x509_invalid"            // TLS: another x509.CertificateInvalidError reason
	DetailX509SystemRoots  = "x509_system_roots"       // TLS: the system roots could not be loaded
	DetailX509InsecureAlgo = "x509_insecure_algorithm" // TLS: the certificate is signed with a broken algorithm
	DetailX509Constraint   = "x509_constraint"         // TLS: ConstraintViolationError, UnhandledCriticalExtension

	DetailNetClosed = "use_of_closed_connection" // Other: net.ErrClosed, our side closed the connection

	// Protocol: a frame header announced more than the client reads
	// (http2.ErrFrameTooLarge), most often an HTTP/1.1 answer to the h2c
	// preface, whose "HTT" reads as a 24-bit frame length.
	DetailFrameTooLarge = "frame_too_large"
	DetailHTTP2Code     = "UNKNOWN_CODE" // an HTTP/2 error code outside RFC 9113's list
)

// errnoName returns the symbolic name of the errnos a load generator meets,
// and "" for the rest.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	case syscall.ECONNRESET:
		return "ECONNRESET"
	case syscall.ECONNABORTED:
		return "ECONNABORTED"
	case syscall.EPIPE:
		return "EPIPE"
	case syscall.EADDRINUSE:
		return "EADDRINUSE"
	case syscall.EADDRNOTAVAIL:
		return "EADDRNOTAVAIL"
	case syscall.EMFILE:
		return "EMFILE"
	case syscall.ENFILE:
		return "ENFILE"
	case syscall.ETIMEDOUT:
		return "ETIMEDOUT"
	case syscall.ENETUNREACH:
		return "ENETUNREACH"
	case syscall.EHOSTUNREACH:
		return "EHOSTUNREACH"
	case syscall.ENETDOWN:
		return "ENETDOWN"
	case syscall.ENOBUFS:
		return "ENOBUFS"
	case syscall.ENOMEM:
		return "ENOMEM"
	case syscall.EAGAIN:
		return "EAGAIN"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EPERM:
		return "EPERM"
	case syscall.ENOTCONN:
		return "ENOTCONN"
	case syscall.EINVAL:
		return "EINVAL"
	}
	return ""
}

// codeName returns RFC 9113's name of an HTTP/2 error code, the same text as
// http2.ErrCode.String for the codes it knows. Unlike that method it returns
// the constant DetailHTTP2Code, not a formatted string, for other codes.
func codeName(c http2.ErrCode) string {
	switch c {
	case http2.ErrCodeNo:
		return "NO_ERROR"
	case http2.ErrCodeProtocol:
		return "PROTOCOL_ERROR"
	case http2.ErrCodeInternal:
		return "INTERNAL_ERROR"
	case http2.ErrCodeFlowControl:
		return "FLOW_CONTROL_ERROR"
	case http2.ErrCodeSettingsTimeout:
		return "SETTINGS_TIMEOUT"
	case http2.ErrCodeStreamClosed:
		return "STREAM_CLOSED"
	case http2.ErrCodeFrameSize:
		return "FRAME_SIZE_ERROR"
	case http2.ErrCodeRefusedStream:
		return "REFUSED_STREAM"
	case http2.ErrCodeCancel:
		return "CANCEL"
	case http2.ErrCodeCompression:
		return "COMPRESSION_ERROR"
	case http2.ErrCodeConnect:
		return "CONNECT_ERROR"
	case http2.ErrCodeEnhanceYourCalm:
		return "ENHANCE_YOUR_CALM"
	case http2.ErrCodeInadequateSecurity:
		return "INADEQUATE_SECURITY"
	case http2.ErrCodeHTTP11Required:
		return "HTTP_1_1_REQUIRED"
	}
	return DetailHTTP2Code
}

// invalidReasonDetail maps the reason of an x509.CertificateInvalidError.
func invalidReasonDetail(r x509.InvalidReason) string {
	switch r {
	case x509.Expired:
		return DetailX509Expired
	case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
		return DetailX509Usage
	}
	return DetailX509Invalid
}
