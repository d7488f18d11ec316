// Package promtest serves Prometheus endpoints on 127.0.0.1 for the tests
// of the monitor section (pkg/monitor, and the command's end-to-end test).
package promtest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Server serves an endpoint whose answer n (from 1) is answer(n); it
// counts the requests. It closes when the test ends.
func Server(t *testing.T, answer func(n int64, w http.ResponseWriter)) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(n.Add(1), w) }))
	t.Cleanup(srv.Close)
	return srv, &n
}
