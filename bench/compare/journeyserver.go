package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// The journey scenario's server (journey.go): a small token service in a
// process of its own, this program started again with journeyServerEnv
// set, pinned to serverCPU with GOMAXPROCS=1 as nginx is:
//
//	POST /token    form grant_type=password, username, password → JSON access_token, refresh_token
//	GET  /api      needs Authorization: Bearer at-… → {"ok":true}
//	POST /refresh  form grant_type=refresh_token, refresh_token=rt-… → JSON access_token, refresh_token
//	GET  /ping     {"ok":true} without a token (vegeta's new-connection reference)
//
// on an HTTP/1.1 port and a TLS port (a self-signed ECDSA certificate;
// clients skip verification). It prints "h1 ADDR" and "tls ADDR" and serves
// until its standard input closes.
const journeyServerEnv = "BARRAGE_BENCH_JOURNEY_SERVER"

func init() {
	if os.Getenv(journeyServerEnv) == "" {
		return
	}
	if err := serveJourney(); err != nil {
		fmt.Fprintln(os.Stderr, "journey server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serveJourney() error {
	var n atomic.Int64
	token := func(w http.ResponseWriter) {
		i := strconv.FormatInt(n.Add(1), 36)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-`+i+`","token_type":"Bearer","expires_in":300,"refresh_token":"rt-`+i+`","scope":"api"}`)
	}
	ok := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("grant_type") != "password" || r.PostFormValue("username") == "" || r.PostFormValue("password") == "" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		token(w)
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("grant_type") != "refresh_token" || !strings.HasPrefix(r.PostFormValue("refresh_token"), "rt-") {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		token(w)
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		ok(w)
	})
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { ok(w) })
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	h1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}}
	go srv.Serve(h1)
	go srv.Serve(tls.NewListener(tl, srv.TLSConfig))
	fmt.Printf("h1 %s\ntls %s\n", h1.Addr(), tl.Addr())
	io.Copy(io.Discard, os.Stdin) // until the harness goes
	return srv.Close()
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// journeyServer is the running server process.
type journeyServer struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	h1, tls  string // base URLs, ending in /
	exited   chan struct{}
	stopOnce bool
}

// startJourneyServer starts the server pinned to serverCPU and reads its
// addresses.
func startJourneyServer(ctx context.Context) (*journeyServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	s := &journeyServer{exited: make(chan struct{})}
	s.cmd = exec.Command("taskset", "-c", serverCPU, self)
	s.cmd.Env = append(os.Environ(), journeyServerEnv+"=1", "GOMAXPROCS=1")
	s.cmd.Stderr = os.Stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the journey server: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for range 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				s.stop()
				return nil, fmt.Errorf("the journey server exited at start")
			}
			kind, addr, _ := strings.Cut(l, " ")
			if kind == "h1" {
				s.h1 = "http://" + addr + "/"
			} else {
				s.tls = "https://" + addr + "/"
			}
		case <-time.After(10 * time.Second):
			s.stop()
			return nil, fmt.Errorf("the journey server did not start within 10 s")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		}
	}
	return s, nil
}

// cpuTime is the server's CPU time so far (see nginxServer.cpuTime).
func (s *journeyServer) cpuTime() time.Duration {
	return (&nginxServer{cmd: s.cmd}).cpuTime()
}

// stop ends the server: its standard input closes; SIGKILL after 5 s.
func (s *journeyServer) stop() {
	if s.stopOnce {
		return
	}
	s.stopOnce = true
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
