package errclass

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/net/http2"
)

// commonErrors are the errors a load test produces by the thousand; Classify
// must not allocate for them (STYLE.md rule 5).
func commonErrors() map[string]error {
	return map[string]error{
		"dial ECONNREFUSED":  urlErr(dialErr(syscall.ECONNREFUSED)),
		"dial EADDRNOTAVAIL": dialErr(syscall.EADDRNOTAVAIL),
		"dial EMFILE":        &net.OpError{Op: "dial", Err: os.NewSyscallError("socket", syscall.EMFILE)},
		"dial deadline":      &net.OpError{Op: "dial", Err: context.DeadlineExceeded},
		"read deadline":      urlErr(&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}),
		"context deadline":   context.DeadlineExceeded,
		"canceled":           urlErr(context.Canceled),
		"read ECONNRESET":    opErr("read", syscall.ECONNRESET),
		"write EPIPE":        opErr("write", syscall.EPIPE),
		"io.EOF":             io.EOF,
		"url EOF":            urlErr(io.EOF),
		"joined":             errors.Join(io.ErrUnexpectedEOF, errors.New("x")),
		"h2 goaway":          xnetGoAway(0, http2.ErrCodeEnhanceYourCalm),
		"h2 refused stream":  http2.StreamError{Code: http2.ErrCodeRefusedStream},
		"GoAwayError":        &GoAwayError{Code: http2.ErrCodeNo, Err: io.EOF},
		"dns":                &net.DNSError{IsNotFound: true},
		"other":              errors.New("boom"),
		"nil":                nil,
	}
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	for name, err := range commonErrors() {
		if allocs := testing.AllocsPerRun(100, func() { Classify(err) }); allocs != 0 {
			t.Errorf("Classify(%s) allocates %v times per call, want 0", name, allocs)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	err := urlErr(dialErr(syscall.ECONNREFUSED))
	b.ReportAllocs()
	for b.Loop() {
		Classify(err)
	}
}
