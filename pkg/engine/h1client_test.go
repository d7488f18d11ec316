package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestH1ConnKeeps: H1Conn.RoundTrip keeps a response's header fields and
// the first limit bytes of its body, whatever its framing and however the
// bytes arrive, counts the whole body, and leaves the next response
// intact; the plain path's parser is the one that reads it.
func TestH1ConnKeeps(t *testing.T) {
	body := strings.Repeat("0123456789", 2000) // 20,000 bytes: more than a read buffer
	var chunked strings.Builder
	for i := 0; i < len(body); i += 3000 {
		part := body[i:min(i+3000, len(body))]
		fmt.Fprintf(&chunked, "%X;ext=1\r\n%s\r\n", len(part), part)
	}
	chunked.WriteString("0\r\nTrailer: x\r\n\r\n")
	next := "HTTP/1.1 204 No Content\r\nX-Next: 1\r\n\r\n"
	for _, tt := range []struct {
		name, response string
		limit          int
		keepAlive      bool
	}{
		// Content-Length, kept in full.
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /x\r\n\r\n" + body, 1 << 20, true},
		// Chunked with extensions and a trailer, kept in part.
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /x\r\n\r\n" + chunked.String(), 5000, true},
		// To the end of the connection, not kept at all.
		{"to EOF", "HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /x\r\n\r\n" + body, 0, false},
		// An interim 100 Continue first: the final response's fields only.
		{"after 100", "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 20000\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /x\r\n\r\n" + body, 7, true},
	} {
		for _, step := range []int{0, 1, 7, 4096} {
			resp := tt.response
			if tt.keepAlive {
				resp += next
			}
			c := NewH1Conn(&fakeConn{data: []byte(resp), step: step})
			res, err := c.RoundTrip([]byte("GET / HTTP/1.1\r\n\r\n"), false, tt.limit)
			if err != nil {
				t.Fatalf("%s, step %d: %v", tt.name, step, err)
			}
			var fields []string
			for name, value := range res.Fields {
				fields = append(fields, string(name)+"="+string(value))
			}
			got := strings.Join(fields, ",")
			if !strings.Contains(got, "Set-Cookie=a=1,Set-Cookie=b=2,Location=/x") || strings.Contains(got, "Interim") {
				t.Errorf("%s, step %d: fields %s", tt.name, step, got)
			}
			if want := body[:min(tt.limit, len(body))]; string(res.Body) != want || res.BodyBytes != int64(len(body)) ||
				res.Status != 200 || res.KeepAlive != tt.keepAlive {
				t.Errorf("%s, step %d: status %d, keep-alive %v, %d bytes kept of %d (want %d of %d)", tt.name, step,
					res.Status, res.KeepAlive, len(res.Body), res.BodyBytes, len(want), len(body))
			}
			if !tt.keepAlive {
				continue
			}
			res, err = c.RoundTrip([]byte("GET / HTTP/1.1\r\n\r\n"), false, 100)
			if err != nil || res.Status != 204 || string(res.Header) != "X-Next: 1\r\n\r\n" || c.Served() != 2 {
				t.Errorf("%s, step %d: next response %d %q, %v (served %d)", tt.name, step, res.Status, res.Header, err, c.Served())
			}
		}
	}
}
