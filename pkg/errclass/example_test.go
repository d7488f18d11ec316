package errclass_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"

	"github.com/barrage-load/barrage/pkg/errclass"
	"golang.org/x/net/http2"
)

func ExampleClassify() {
	errs := []error{
		// What http.Client returns when nothing listens on the port.
		&url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: &net.OpError{
			Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}},
		// A read deadline.
		&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded},
		// The server sent GOAWAY ENHANCE_YOUR_CALM and closed the connection.
		//lint:ignore SA1019 x/net's deprecated client returns this type, which Classify still knows
		http2.GoAwayError{LastStreamID: 1, ErrCode: http2.ErrCodeEnhanceYourCalm},
		// The engine knew its connection had received a GOAWAY.
		&errclass.GoAwayError{Code: http2.ErrCodeNo, Err: errors.New("stream aborted")},
		io.ErrUnexpectedEOF,
	}
	var counts [errclass.NumClasses]int64
	for _, err := range errs {
		class, detail := errclass.Classify(err)
		counts[class]++
		fmt.Printf("%s %q\n", class, detail)
	}
	fmt.Println(counts[errclass.GoAway], "goaway")
	// Output:
	// connect_refused "ECONNREFUSED"
	// timeout ""
	// goaway "ENHANCE_YOUR_CALM"
	// goaway "NO_ERROR"
	// eof ""
	// 2 goaway
}

func ExampleParse() {
	c, ok := errclass.Parse("too_many_open_files")
	fmt.Println(c == errclass.TooManyOpenFiles, ok)
	_, ok = errclass.Parse("EMFILE")
	fmt.Println(ok)
	// Output:
	// true true
	// false
}
