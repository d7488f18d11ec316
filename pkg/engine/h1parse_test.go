package engine

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeConn is a net.Conn that reads data at most step bytes at a time (0:
// no limit), never across a boundary in cuts (offsets into the original
// data, ascending), and then io.EOF; writes are discarded. A cut models a
// server that sends its next response only after the next request.
type fakeConn struct {
	data []byte
	step int
	cuts []int
	off  int
}

func (c *fakeConn) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(b)
	if c.step > 0 {
		n = min(n, c.step)
	}
	for _, cut := range c.cuts {
		if cut > c.off {
			n = min(n, cut-c.off)
			break
		}
	}
	n = copy(b[:n], c.data)
	c.data = c.data[n:]
	c.off += n
	return n, nil
}

func (c *fakeConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

var _ net.Conn = (*fakeConn)(nil)

// newFakeH1 is an h1conn reading s step bytes at a time.
func newFakeH1(s string, step int) *h1conn {
	return &h1conn{nc: &fakeConn{data: []byte(s), step: step}, buf: make([]byte, readBufSize)}
}

// unread is what c has not consumed: its buffer's rest and the conn's rest.
func unread(c *h1conn) string {
	return string(c.buf[c.r:c.w]) + string(c.nc.(*fakeConn).data)
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string // without the final blank line
		want header
		err  error
	}{
		// A plain 200 on HTTP/1.1: keep-alive by default, no length.
		{"minimal", "HTTP/1.1 200 OK", header{200, -1, false, true}, nil},
		// The reason phrase is optional.
		{"no reason", "HTTP/1.1 204", header{204, -1, false, true}, nil},
		// HTTP/1.0 closes by default; keep-alive turns it back on.
		{"1.0", "HTTP/1.0 200 OK", header{200, -1, false, false}, nil},
		{"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive", header{200, -1, false, true}, nil},
		// Connection: close among other tokens, any case.
		{"close token", "HTTP/1.1 200 OK\r\nconnection: Upgrade,  CLOSE ", header{200, -1, false, false}, nil},
		// Header names are case-insensitive; values are trimmed.
		{"length", "HTTP/1.1 200 OK\r\ncontent-LENGTH: \t 42 ", header{200, 42, false, true}, nil},
		// A repeated, equal Content-Length is accepted.
		{"length twice", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5", header{200, 5, false, true}, nil},
		// Chunked is the last transfer coding.
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked", header{200, -1, true, true}, nil},
		// Chunked and a length: chunked wins when reading the body.
		{"chunked and length", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked", header{200, 9, true, true}, nil},
		// Other headers are skipped, an empty value included.
		{"other headers", "HTTP/1.1 404 Not Found\r\nX-Empty:\r\nServer: x:y", header{404, -1, false, true}, nil},
		// Malformed status lines.
		{"short", "HTTP/1.1 20", header{}, errStatusLine},
		{"no space", "HTTP/1.1 200OK", header{}, errStatusLine},
		{"letters", "HTTP/1.1 2O0 OK", header{}, errStatusLine},
		{"http/2", "HTTP/2.0 200 OK", header{}, errStatusLine},
		{"lower case", "http/1.1 200 OK", header{}, errStatusLine},
		// Malformed header lines and lengths.
		{"no colon", "HTTP/1.1 200 OK\r\nnocolon", header{}, errHeaderLine},
		{"empty name", "HTTP/1.1 200 OK\r\n: v", header{}, errHeaderLine},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1", header{}, errLength},
		{"length too long", "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789", header{}, errLength},
		{"empty length", "HTTP/1.1 200 OK\r\nContent-Length: ", header{}, errLength},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2", header{}, errLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeader([]byte(tt.in + "\r\n\r\n"))
			if err != tt.err {
				t.Fatalf("error: got %v, want %v", err, tt.err)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},                       // the last chunk
		{"a", 10, true},                      // lower case
		{"FF", 255, true},                    // upper case
		{"1f;name=value", 31, true},          // a chunk extension
		{"5 ;x", 5, true},                    // whitespace before the extension
		{"fffffffffffffff", 1<<60 - 1, true}, // 15 digits, the most
		{"1000000000000000", 0, false},       // 16 digits could overflow
		{"", 0, false},                       // no digits
		{";ext", 0, false},                   // an extension without a size
		{"0x10", 0, false},                   // no prefix
		{"g", 0, false},                      // not hex
		{"-1", 0, false},                     // no sign
	}
	for _, tt := range tests {
		got, ok := parseHex([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseHex(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestDiscardChunked reads chunked bodies through every read size and
// checks that nothing after the body is consumed.
func TestDiscardChunked(t *testing.T) {
	const next = "HTTP/1.1 200 OK\r\n" // what follows the body on the connection
	big := strings.Repeat("z", 40000)
	tests := []struct {
		name string
		body string
		err  error // nil: the body is consumed exactly
	}{
		{"empty", "0\r\n\r\n", nil},                                    // no data chunks
		{"one chunk", "5\r\nhello\r\n0\r\n\r\n", nil},                  // the usual
		{"extensions", "3;a=b\r\nabc\r\n0;last\r\n\r\n", nil},          // extensions ignored
		{"trailers", "2\r\nok\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", nil},    // trailers skipped
		{"big chunk", "9c40\r\n" + big + "\r\n0\r\n\r\n", nil},         // larger than the buffer
		{"bad size", "zz\r\nhello\r\n0\r\n\r\n", errChunk},             // not hex
		{"missing crlf", "5\r\nhelloX\r\n0\r\n\r\n", errChunk},         // data longer than its size
		{"truncated data", "10\r\nshort", io.ErrUnexpectedEOF},         // EOF in the data
		{"truncated size", "5\r\nhello\r\n", io.ErrUnexpectedEOF},      // EOF before the last chunk
		{"truncated trailers", "0\r\nX-T: 1\r\n", io.ErrUnexpectedEOF}, // EOF in the trailers
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 2, 3, 7, 4096} {
			c := newFakeH1(tt.body+next, step)
			if tt.err != nil {
				c = newFakeH1(tt.body, step)
			}
			err := c.discardChunked()
			if !errors.Is(err, tt.err) {
				t.Errorf("%s, reads of %d: error %v, want %v", tt.name, step, err, tt.err)
				continue
			}
			if tt.err == nil {
				if got := unread(c); got != next {
					t.Errorf("%s, reads of %d: left %q, want %q", tt.name, step, got, next)
				}
			}
		}
	}
}

// TestReadResponseSequence reads two responses from one connection through
// every read size, the second sent only after the first was read (as on a
// keep-alive connection): each must be parsed whole and its bytes counted.
func TestReadResponseSequence(t *testing.T) {
	tests := []struct {
		name      string
		head      bool
		first     string
		status    int
		keepAlive bool
		second    string // "" when the first runs to EOF
	}{
		{"length", false, okLen, 200, true, okLen},
		{"chunked", false, okChunked, 200, true, okLen},
		{"1xx", false, resp1xx, 200, true, okChunked},
		{"head", true, respHead, 200, true, okLen},
		{"204", false, resp204, 204, true, resp304},
		{"304", false, resp304, 304, true, okLen},
		{"close", false, respClose, 200, false, ""},
		{"to eof", false, respToEOF, 200, false, ""},
		{"large", false, respLarge, 200, true, okLen},
		{"large chunked", false, bigChunked, 200, true, okLen},
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 5, 1000} {
			c := newFakeH1(tt.first+tt.second, step)
			c.nc.(*fakeConn).cuts = []int{len(tt.first)}
			res, err := c.readResponse(tt.head)
			if err != nil || res.status != tt.status || res.keepAlive != tt.keepAlive {
				t.Errorf("%s, reads of %d: got %+v, %v; want status %d keep-alive %v",
					tt.name, step, res, err, tt.status, tt.keepAlive)
				continue
			}
			if c.nread != int64(len(tt.first)) {
				t.Errorf("%s, reads of %d: counted %d bytes, want %d", tt.name, step, c.nread, len(tt.first))
			}
			if tt.second == "" {
				continue
			}
			if _, err := c.readResponse(false); err != nil || c.nread != int64(len(tt.second)) {
				t.Errorf("%s, reads of %d: second response: %v, %d bytes, want nil, %d",
					tt.name, step, err, c.nread, len(tt.second))
			}
		}
	}
}

// FuzzReadResponse feeds arbitrary bytes to readResponse as a server's
// responses, read in pieces of a fuzzed size. It must not panic, loop or
// lose track of its buffer, and a success must be a final status. With an
// odd step it keeps what a journey keeps (H1Conn): the header block and up
// to 100 body bytes, counting all of them.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{okLen, okChunked, resp1xx, respHead, resp204, respToEOF, respShort,
		bigChunked[:300], "HTTP/1.1 101 Switching\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", okLen + okChunked,
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nx", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n"} {
		f.Add([]byte(s), uint8(0), false)
		f.Add([]byte(s), uint8(3), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8, head bool) {
		c := newFakeH1(string(data), int(step))
		var k kept
		if step%2 == 1 {
			c.keep = &k
		}
		for range 8 { // a few responses, as on a keep-alive connection
			k.head, k.body, k.limit, k.n = k.head[:0], k.body[:0], 100, 0
			res, err := c.readResponse(head)
			if len(k.body) > 100 || int64(len(k.body)) > k.n || k.n > int64(len(data)) {
				t.Fatalf("kept %d body bytes of %d counted, %d read", len(k.body), k.n, len(data))
			}
			if c.r < 0 || c.r > c.w || c.w > len(c.buf) {
				t.Fatalf("buffer out of bounds: r %d w %d len %d", c.r, c.w, len(c.buf))
			}
			if c.nread < 0 || c.nread > int64(len(data)) {
				t.Fatalf("counted %d bytes of %d", c.nread, len(data))
			}
			if err != nil {
				return
			}
			if res.status < 200 || res.status > 999 {
				t.Fatalf("status %d on success", res.status)
			}
			if !res.keepAlive {
				return
			}
		}
	})
}

// TestReadResponseBurst: when one read brings the first response and the
// start of the next (a server sending ahead, or bytes beyond a response's
// framing), the first readResponse must leave the second intact, and every
// byte must be counted once over the two responses.
func TestReadResponseBurst(t *testing.T) {
	tests := []struct {
		name          string
		head          bool
		first, second string
	}{
		{"length", false, okLen, okLen},      // Content-Length body
		{"chunked", false, okChunked, okLen}, // chunked body
		{"no body", false, resp204, resp304}, // 204 then 304
		{"head", true, respHead, okLen},      // HEAD response
	}
	for _, tt := range tests {
		c := newFakeH1(tt.first+tt.second, 0)
		if _, err := c.readResponse(tt.head); err != nil {
			t.Fatalf("%s: first response: %v", tt.name, err)
		}
		if got := unread(c); got != tt.second {
			t.Errorf("%s: left %.40q, want %.40q", tt.name, got, tt.second)
		}
		n1 := c.nread
		if _, err := c.readResponse(false); err != nil {
			t.Fatalf("%s: second response: %v", tt.name, err)
		}
		if got, want := n1+c.nread, int64(len(tt.first+tt.second)); got != want {
			t.Errorf("%s: counted %d + %d = %d bytes, want %d: the bytes read ahead are counted twice",
				tt.name, n1, c.nread, got, want)
		}
	}
}
