package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/orchestrator/api"
)

// defaultServeAddr is where barrage serve listens unless --addr says.
const defaultServeAddr = "127.0.0.1:7070"

const serveAbout = `Runs submitted to it run on this host, as barrage run's local backend runs
them; their folders go to --out. barrage run --backend aws --api http://ADDR,
and barrage status and abort with --api http://ADDR, reach it (requests to a
loopback http:// API are not signed). It has no authentication, so it
listens on a loopback address only. SIGINT or SIGTERM stops it: the runs in
progress stop scheduling, and it exits once their reports are written (a
second signal cuts off their requests in flight).`

func defineServe(fs *flagSet) runner {
	var addr, out string
	var quiet bool
	fs.StringVar(&addr, "addr", defaultServeAddr, "listen on `HOST:PORT`, HOST one of 127.0.0.1, ::1 and localhost (port 0 picks a free one)")
	fs.StringVar(&out, "out", "./barrage-runs", "where run folders go: `DIR`/runs/{run_id}/")
	fs.BoolVar(&quiet, "quiet", false, "no log lines")
	return func(pos []string, std stdio) error {
		if len(pos) > 0 {
			return badInput("serve takes no arguments, got %s", strings.Join(pos, " "))
		}
		return cmdServe(addr, out, quiet, std.err)
	}
}

// cmdServe serves the REST API over the local backend until SIGINT or
// SIGTERM: barrage serve [--addr HOST:PORT] [--out DIR].
func cmdServe(addr, out string, quiet bool, stderr io.Writer) error {
	ln, err := listenLoopback("--addr", addr, defaultServeAddr, "barrage serve has no authentication, and whoever reaches it sends load from this host")
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log := slog.New(slog.DiscardHandler)
	if !quiet {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	runs := &orchestrator.LocalRuns{Local: &orchestrator.LocalBackend{
		Options: orchestrator.LocalOptions{Dir: out, Log: workerLog(stderr, quiet)}}}
	srv := &http.Server{Handler: &api.Handler{Backend: runs, Store: runs.Store(), Log: log},
		ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "barrage serve: the REST API on http://%s, run folders in %s\n", ln.Addr(), out)
	var sig os.Signal
	select {
	case err := <-served:
		return err
	case sig = <-sigs:
	}
	fmt.Fprintf(stderr, "\n%s: stopping; the runs in progress stop scheduling and write their reports (again to cut off their requests in flight)\n", sig)
	cut, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-cut.Done():
		}
	}()
	srv.Shutdown(cut) // the API requests in flight finish
	runs.Drain(cut)
	return nil
}

// listenLoopback listens on addr, the value of flag (such as example),
// which must be a loopback address, for the reason why (barrage serve's API and the live
// metrics have no authentication). localhost is taken at its word only if
// it resolves to loopback.
func listenLoopback(flag, addr, example, why string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, badInput("%s: %q is not HOST:PORT (such as %s)", flag, addr, example)
	}
	if !isLoopback(host) {
		return nil, badInput("%s: %q is not a loopback address (127.0.0.1, ::1 or localhost): %s", flag, host, why)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, badInput("%s: %v", flag, err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return nil, badInput("%s: %s listens on %s, which is not a loopback address", flag, addr, ln.Addr())
	}
	return ln, nil
}
