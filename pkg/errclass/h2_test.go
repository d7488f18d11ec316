package errclass

//lint:file-ignore SA1019 this file pins what golang.org/x/net/http2's deprecated client returns, for its callers; the engine's own client (pkg/engine/h2conn.go) returns the types its tests pin

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// These tests pin what an HTTP/2 client really returns when the server sends
// GOAWAY or RST_STREAM, with a scripted server on 127.0.0.1 (h2c, prior
// knowledge). Several rows pin limitations (Other): if one starts failing, a
// library now returns a typed error and Classify can say more.

// h2Server runs a scripted HTTP/2 server. For every connection it reads the
// client preface, sends its SETTINGS, waits for the first request's HEADERS
// and calls script with the connection's number (from 1) and the stream id.
// Then it half-closes and drains, so the client reads EOF rather than a RST.
func h2Server(t *testing.T, script func(fr *http2.Framer, conn int, id uint32)) string {
	var conns atomic.Int32
	return serve(t, func(c *net.TCPConn) {
		defer c.Close()
		n := int(conns.Add(1))
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, make([]byte, len(http2.ClientPreface))); err != nil {
			return
		}
		fr := http2.NewFramer(c, c)
		if err := fr.WriteSettings(); err != nil {
			return
		}
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if h, ok := f.(*http2.HeadersFrame); ok {
				script(fr, n, h.StreamID)
				break
			}
		}
		c.CloseWrite()
		io.Copy(io.Discard, c)
	})
}

// respond sends response headers with status 200, ending the stream if end.
func respond(fr *http2.Framer, id uint32, end bool) {
	var buf bytes.Buffer
	hpack.NewEncoder(&buf).WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: buf.Bytes(), EndHeaders: true, EndStream: end})
}

// xnetGoAway is x/net's GoAwayError: what its client returns when the server
// closes the connection after a GOAWAY.
func xnetGoAway(last uint32, code http2.ErrCode) error {
	return http2.GoAwayError{LastStreamID: last, ErrCode: code}
}

// xnetTransport is golang.org/x/net/http2's Transport speaking h2c.
func xnetTransport() *http2.Transport {
	return &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// xnetGet does a GET through http.Client and x/net's Transport, which
// retries some failures on a new connection.
func xnetGet(addr string) error {
	return get(&http.Client{Transport: xnetTransport()}, "http://"+addr+"/")
}

// xnetConnGet does a GET on one x/net ClientConn, which never retries.
func xnetConnGet(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	cc, err := xnetTransport().NewClientConn(c)
	if err != nil {
		return err
	}
	defer cc.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	resp, err := cc.RoundTrip(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return err
}

// stdGet does a GET with net/http's own HTTP/2 (h2_bundle.go) in h2c mode.
func stdGet(addr string) error {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return get(&http.Client{Transport: tr}, "http://"+addr+"/")
}

func TestClassifyHTTP2Live(t *testing.T) {
	goAway := func(last uint32, code http2.ErrCode) func(*http2.Framer, int, uint32) {
		return func(fr *http2.Framer, _ int, _ uint32) { fr.WriteGoAway(last, code, nil) }
	}
	tests := []struct {
		name       string
		client     func(addr string) error
		script     func(fr *http2.Framer, conn int, id uint32)
		wantClass  Class
		wantDetail string
	}{
		// GOAWAY with a code, our stream accepted (last stream 1), then close:
		// the one typed case, http2.GoAwayError.
		{"xnet calm accepted", xnetGet, goAway(1, http2.ErrCodeEnhanceYourCalm), GoAway, "ENHANCE_YOUR_CALM"},
		// Graceful GOAWAY after the response headers, close mid-body: the body
		// read returns http2.GoAwayError.
		{"xnet graceful mid-body", xnetGet, func(fr *http2.Framer, _ int, id uint32) {
			respond(fr, id, false)
			fr.WriteGoAway(id, http2.ErrCodeNo, nil)
		}, GoAway, "NO_ERROR"},
		// GOAWAY with a code that rejects our stream, the connection's first:
		// x/net returns a plain fmt.Errorf, so Other. The engine must wrap it.
		{"xnet calm rejected first stream", xnetGet, goAway(0, http2.ErrCodeEnhanceYourCalm), Other, ""},
		// Graceful GOAWAY that rejects our stream, on a bare ClientConn: the
		// unexported errClientConnGotGoAway, so Other.
		{"xnet conn graceful rejected", xnetConnGet, goAway(0, http2.ErrCodeNo), Other, ""},
		// The same through Transport: retried at once on a new connection,
		// the caller sees no error at all.
		{"xnet graceful rejected retried", xnetGet, func(fr *http2.Framer, conn int, id uint32) {
			if conn == 1 {
				fr.WriteGoAway(0, http2.ErrCodeNo, nil)
				return
			}
			respond(fr, id, true)
		}, None, ""},
		// RST_STREAM REFUSED_STREAM on a bare ClientConn (Transport would retry).
		{"xnet conn refused stream", xnetConnGet, func(fr *http2.Framer, _ int, id uint32) {
			fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
		}, RefusedStream, "REFUSED_STREAM"},
		// RST_STREAM CANCEL: the server abandoned the request.
		{"xnet stream cancel", xnetGet, func(fr *http2.Framer, _ int, id uint32) {
			fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}, Reset, "CANCEL"},
		// net/http's bundled stream errors convert to http2.StreamError.
		{"std stream cancel", stdGet, func(fr *http2.Framer, _ int, id uint32) {
			fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}, Reset, "CANCEL"},
		// net/http's bundled GoAwayError is an unexported type: Other.
		{"std calm accepted", stdGet, goAway(1, http2.ErrCodeEnhanceYourCalm), Other, ""},
		// A malformed frame (DATA on stream 0) is the server's protocol error.
		{"xnet conn malformed frame", xnetConnGet, func(fr *http2.Framer, _ int, _ uint32) {
			fr.WriteRawFrame(http2.FrameData, 0, 0, []byte("x"))
		}, Protocol, "PROTOCOL_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.client(h2Server(t, tt.script))
			if err == nil && tt.wantClass != None {
				t.Fatal("request succeeded, want an error")
			}
			t.Logf("error: %#v: %v", err, err)
			gotClass, gotDetail := Classify(err)
			if gotClass != tt.wantClass || gotDetail != tt.wantDetail {
				t.Errorf("Classify(%#v) = %v, %q; want %v, %q\nerror: %v", err, gotClass, gotDetail, tt.wantClass, tt.wantDetail, err)
			}
			if tt.wantClass == Other || tt.wantClass == Protocol {
				// The engine, knowing its connection got a GOAWAY, wraps the error.
				wrapped := &GoAwayError{Code: http2.ErrCodeEnhanceYourCalm, Err: err}
				if c, d := Classify(wrapped); c != GoAway || d != "ENHANCE_YOUR_CALM" {
					t.Errorf("Classify(GoAwayError{%v}) = %v, %q; want goaway, ENHANCE_YOUR_CALM", err, c, d)
				}
			}
		})
	}
}

// TestClassifyHTTP1AnswerToH2C: an HTTP/1.1 server answers the h2c preface
// with an HTTP/1.1 response, which x/net reads as a frame header announcing
// a frame far larger than it accepts: a protocol error, not "other".
func TestClassifyHTTP1AnswerToH2C(t *testing.T) {
	addr := serve(t, func(c *net.TCPConn) {
		defer c.Close()
		readRequest(c)
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	})
	err := xnetConnGet(addr)
	if err == nil {
		t.Fatal("request succeeded, want an error")
	}
	if c, d := Classify(err); c != Protocol || d != DetailFrameTooLarge {
		t.Errorf("Classify(%v) = %v, %q; want protocol, %q", err, c, d, DetailFrameTooLarge)
	}
}
