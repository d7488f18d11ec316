package main

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// demoServer is the small target of --demo: it answers every request with
// "hello from barrage\n" after an optional ?sleep=DURATION (at most 10 s),
// and ?status=CODE picks the status.
type demoServer struct {
	URL string
	srv *http.Server
}

func startDemo() (*demoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if d, err := time.ParseDuration(q.Get("sleep")); err == nil && d > 0 {
			time.Sleep(min(d, 10*time.Second))
		}
		code := http.StatusOK
		if c, err := strconv.Atoi(q.Get("status")); err == nil && c >= 200 && c <= 599 {
			code = c
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(code)
		w.Write([]byte("hello from barrage\n"))
	})
	d := &demoServer{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go d.srv.Serve(ln)
	return d, nil
}

func (d *demoServer) Close() { d.srv.Close() }
