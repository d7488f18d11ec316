package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/live"
)

// metricsServer serves a run's live metrics (live.Metrics) in Prometheus's
// text format at http://ADDR/metrics, ADDR being --metrics-addr: a
// loopback address only, as barrage serve's, since it has no
// authentication.
type metricsServer struct {
	m   *live.Metrics
	srv *http.Server
	url string
}

// serveMetrics listens on addr and serves the metrics until Close; it
// says where on stderr.
func serveMetrics(addr string, stderr io.Writer) (*metricsServer, error) {
	ln, err := listenLoopback("--metrics-addr", addr, "127.0.0.1:9464", "the metrics endpoint has no authentication")
	if err != nil {
		return nil, err
	}
	s := &metricsServer{m: live.NewMetrics(), url: "http://" + ln.Addr().String() + "/metrics"}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.m)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	fmt.Fprintf(stderr, "metrics: %s\n", s.url)
	return s, nil
}

// Close stops serving, at once.
func (s *metricsServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// metricsDisplay is a run's display that also hands each look at the run
// to its live metrics.
type metricsDisplay struct {
	orchestrator.Display
	m   *live.Metrics
	run string
}

func (d metricsDisplay) Update(u orchestrator.Update) {
	if u.Err == nil && u.Status != nil {
		d.m.See(d.run, u.Status.Live)
	}
	d.Display.Update(u)
}
