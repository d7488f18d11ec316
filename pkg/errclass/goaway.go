package errclass

import (
	"fmt"

	"golang.org/x/net/http2"
)

// GoAwayError marks a request error that happened on an HTTP/2 connection
// which had received a GOAWAY frame with Code. The engine's HTTP/2 client
// returns it for a stream the GOAWAY refused (above its last stream id) and
// wraps it around the error of a stream that the connection's end cut off
// after a GOAWAY; callers of x/net/http2's client can wrap its errors after
// a GOAWAY, most of which are not typed (see the package comment). Classify
// reports it as GoAway with Code's name as the detail, whatever Err is.
//
// It is not http2.GoAwayError, which the transport itself returns only when
// the server closed the connection after a GOAWAY; Classify handles both.
// (The name GoAway is taken by the Class constant.)
type GoAwayError struct {
	Code http2.ErrCode // the GOAWAY frame's error code, such as http2.ErrCodeEnhanceYourCalm
	Err  error         // the request's error
}

var _ Classer = (*GoAwayError)(nil)

// Error describes the GOAWAY and the wrapped error.
func (e *GoAwayError) Error() string {
	return fmt.Sprintf("http2: connection received GOAWAY %s: %v", codeName(e.Code), e.Err)
}

// Unwrap returns the request's error.
func (e *GoAwayError) Unwrap() error { return e.Err }

// ErrorClass reports GoAway with the frame's code name, such as
// "ENHANCE_YOUR_CALM" or "NO_ERROR".
func (e *GoAwayError) ErrorClass() (Class, string) { return GoAway, codeName(e.Code) }
