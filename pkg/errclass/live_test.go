package errclass

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The tests in this file provoke real errors on 127.0.0.1 and classify what
// the standard library returns, so that a change in its error shapes shows.

// closedAddr returns a 127.0.0.1 address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serve accepts connections on 127.0.0.1 and hands each to handle.
func serve(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c.(*net.TCPConn))
		}
	}()
	return ln.Addr().String()
}

// readRequest reads what the client sent first, so that closing the socket
// afterwards does not turn a FIN into a RST.
func readRequest(c net.Conn) {
	buf := make([]byte, 4096)
	c.Read(buf)
}

// resetConn closes c with a RST.
func resetConn(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// holdConn keeps c open until the client goes away.
func holdConn(c *net.TCPConn) {
	io.Copy(io.Discard, c)
	c.Close()
}

func quietTLSServer(t *testing.T, cfg *tls.Config) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cfg
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return err
}

func fresh() *http.Client { return &http.Client{Transport: &http.Transport{}} }

func readOnce(addr string, deadline time.Duration) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err // a RST can beat connect(2)'s return: "connect: connection reset by peer"
	}
	defer c.Close()
	if deadline > 0 {
		c.SetReadDeadline(time.Now().Add(deadline))
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

func TestClassifyLive(t *testing.T) {
	tests := []struct {
		name       string
		provoke    func(t *testing.T) error
		wantClass  Class
		wantDetail string
	}{
		// Dial a port nobody listens on.
		{"dial refused", func(t *testing.T) error {
			_, err := net.Dial("tcp", closedAddr(t))
			return err
		}, ConnectRefused, "ECONNREFUSED"},
		// The same through http.Client.
		{"http refused", func(t *testing.T) error {
			return get(fresh(), "http://"+closedAddr(t)+"/")
		}, ConnectRefused, "ECONNREFUSED"},
		// A dial whose context deadline has passed.
		{"dial deadline", func(t *testing.T) error {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			_, err := (&net.Dialer{}).DialContext(ctx, "tcp", serve(t, holdConn))
			return err
		}, ConnectTimeout, ""},
		// A dial whose context was canceled.
		{"dial canceled", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := (&net.Dialer{}).DialContext(ctx, "tcp", serve(t, holdConn))
			return err
		}, Canceled, ""},
		// A request whose context was canceled.
		{"http canceled", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+serve(t, holdConn)+"/", nil)
			_, err := fresh().Do(req)
			return err
		}, Canceled, ""},
		// A read deadline on a silent server.
		{"read deadline", func(t *testing.T) error {
			return readOnce(serve(t, holdConn), 20*time.Millisecond)
		}, Timeout, ""},
		// http.Client.Timeout on a server that never answers.
		{"client timeout", func(t *testing.T) error {
			c := fresh()
			c.Timeout = 50 * time.Millisecond
			return get(c, "http://"+serve(t, holdConn)+"/")
		}, Timeout, ""},
		// The server resets the connection.
		{"read reset", func(t *testing.T) error {
			return readOnce(serve(t, resetConn), 0)
		}, Reset, "ECONNRESET"},
		// The server reads the request, then resets.
		{"http reset", func(t *testing.T) error {
			return get(fresh(), "http://"+serve(t, func(c *net.TCPConn) { readRequest(c); resetConn(c) })+"/")
		}, Reset, "ECONNRESET"},
		// The server closes the connection.
		{"read eof", func(t *testing.T) error {
			return readOnce(serve(t, func(c *net.TCPConn) { c.Close() }), 0)
		}, EOF, ""},
		// The server reads the request, then closes without answering.
		{"http eof", func(t *testing.T) error {
			return get(fresh(), "http://"+serve(t, func(c *net.TCPConn) { readRequest(c); c.Close() })+"/")
		}, EOF, ""},
		// A self-signed server and a client without its CA.
		{"tls unknown authority", func(t *testing.T) error {
			return get(fresh(), quietTLSServer(t, nil).URL)
		}, TLS, "x509_unknown_authority"},
		// The right CA, the wrong name.
		{"tls hostname", func(t *testing.T) error {
			ts := quietTLSServer(t, nil)
			tr := ts.Client().Transport.(*http.Transport).Clone()
			tr.TLSClientConfig.ServerName = "wrong.invalid"
			return get(&http.Client{Transport: tr}, ts.URL)
		}, TLS, "x509_hostname"},
		// https:// to a plain HTTP server.
		{"tls record header", func(t *testing.T) error {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			t.Cleanup(ts.Close)
			return get(fresh(), "https://"+ts.Listener.Addr().String()+"/")
		}, TLS, "record_header"},
		// tls.Dial to a plain HTTP server.
		{"tls dial record header", func(t *testing.T) error {
			addr := serve(t, func(c *net.TCPConn) {
				readRequest(c)
				io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
				c.Close()
			})
			_, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost"})
			return err
		}, TLS, "record_header"},
		// The server wants a client certificate and says so with an alert.
		{"tls remote alert", func(t *testing.T) error {
			ts := quietTLSServer(t, &tls.Config{ClientAuth: tls.RequireAnyClientCert})
			return get(ts.Client(), ts.URL)
		}, TLS, "remote_alert"},
		// A resolver that cannot be reached, inside a dial.
		{"dns", func(t *testing.T) error {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			dnsAddr := pc.LocalAddr().String()
			pc.Close()
			r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "udp", dnsAddr)
			}}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = (&net.Dialer{Resolver: r}).DialContext(ctx, "tcp", "barrage-errclass.test:80")
			return err
		}, DNS, "temporary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.provoke(t)
			if err == nil {
				t.Fatal("provoke returned no error")
			}
			gotClass, gotDetail := Classify(err)
			if gotClass != tt.wantClass || gotDetail != tt.wantDetail {
				t.Errorf("Classify(%#v) = %v, %q; want %v, %q\nerror: %v", err, gotClass, gotDetail, tt.wantClass, tt.wantDetail, err)
			}
			if allocs := testing.AllocsPerRun(10, func() { Classify(err) }); allocs != 0 {
				t.Errorf("Classify allocates %v times per call, want 0", allocs)
			}
		})
	}
}
