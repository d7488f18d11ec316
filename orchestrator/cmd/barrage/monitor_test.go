package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/promtest"
)

// TestMonitor: a local run with a monitor section scrapes the server's
// endpoint every second and reports the matching series beside the load;
// an endpoint that fails (a 500, then garbage) counts its failures, and
// the run still passes. Of its two shards, stripe 0 scrapes, alone.
func TestMonitor(t *testing.T) {
	target, _ := countingServer(t)
	good, goodHits := promtest.Server(t, func(n int64, w http.ResponseWriter) {
		fmt.Fprintf(w, "# TYPE agroal_active_count gauge\nagroal_active_count{datasource=\"default\"} %d\n", n) // changes each scrape
		fmt.Fprintf(w, "# TYPE http_server_errors_total counter\nhttp_server_errors_total{status=\"500\"} %d\n", 100+n)
		fmt.Fprintf(w, "# TYPE jvm_threads_live_threads gauge\njvm_threads_live_threads 42\n") // not kept
	})
	bad, badHits := promtest.Server(t, func(n int64, w http.ResponseWriter) {
		if n == 1 {
			http.Error(w, "starting", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "<html>not metrics</html>")
	})
	dir := t.TempDir()
	spec := filepath.Join(dir, "monitor.yaml")
	os.WriteFile(spec, []byte("targets: [{url: '"+target.URL+"/'}]\nload: {rate: 10}\nduration: 3s\nworkers: 2\nallow_hosts: ['127.0.0.1']\n"+
		"monitor:\n  - {url: '"+good.URL+"/metrics', series: ['agroal_.*', http_server_errors_total]}\n"+
		"  - {url: '"+bad.URL+"/metrics', series: [process_cpu_usage]}\n"), 0o644)
	r := barrage(t, 60*time.Second, "run", spec, "--json", "--quiet", "--out", filepath.Join(dir, "out"))
	if r.code != 0 {
		t.Fatalf("exit %d; want 0 (scrape failures are never fatal)\nstderr: %s", r.code, r.stderr)
	}
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not report.json: %v\n%s", err, r.stdout)
	}
	if len(rep.Monitor) != 2 || rep.Monitor[0].URL != good.URL+"/metrics" || rep.Monitor[1].URL != bad.URL+"/metrics" {
		t.Fatalf("monitor %+v; want the two endpoints in the spec's order", rep.Monitor)
	}
	m := rep.Monitor[0]
	if m.Scrapes < 2 || m.Scrapes != goodHits.Load() || m.Failures != 0 {
		t.Fatalf("scrapes %d, failures %d (%s), the endpoint answered %d; want ≥ 2 scrapes, one per request, none failed",
			m.Scrapes, m.Failures, m.LastError, goodHits.Load())
	}
	if len(m.Series) != 2 || m.Series[0].Metric != "agroal_active_count" || m.Series[0].Type != "gauge" ||
		m.Series[0].Labels["datasource"] != "default" || m.Series[1].Metric != "http_server_errors_total" || m.Series[1].Type != "counter" {
		t.Fatalf("series %+v; want agroal_active_count{datasource=default} and http_server_errors_total{status=500}, nothing else", m.Series)
	}
	for i, s := range m.Series {
		if int64(len(s.Points)) != m.Scrapes {
			t.Fatalf("%s: %d points; want one per scrape (%d)", s.Metric, len(s.Points), m.Scrapes)
		}
		for k, p := range s.Points {
			if want := float64(k+1) + float64(100*i); p.Value != want {
				t.Errorf("%s point %d: %v; want %v, as served", s.Metric, k, p.Value, want)
			}
			if p.ElapsedS < 0 || p.ElapsedS > 4 || k > 0 && p.ElapsedS <= s.Points[k-1].ElapsedS {
				t.Errorf("%s point %d at %v s; want increasing seconds within the 3 s run", s.Metric, k, p.ElapsedS)
			}
		}
	}
	b := rep.Monitor[1]
	if b.Scrapes < 2 || b.Failures != b.Scrapes || b.Scrapes != badHits.Load() || len(b.Series) != 0 ||
		!strings.Contains(b.LastError, "not Prometheus text") {
		t.Errorf("failing endpoint: scrapes %d, failures %d, answered %d, series %d, last error %q; want every scrape failed, last on garbage",
			b.Scrapes, b.Failures, badHits.Load(), len(b.Series), b.LastError)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "monitor "+bad.URL+"/metrics: every scrape failed") {
		t.Errorf("warnings %q; want one on the failing endpoint", rep.Warnings)
	}
	for shard, want := range map[string]int{"s0000": 2, "s0001": 0} {
		var res events.ShardResult
		b, err := os.ReadFile(filepath.Join(dir, "out", "runs", rep.RunID, "shards", shard, "result.json"))
		if err == nil {
			err = json.Unmarshal(b, &res)
		}
		if err != nil || len(res.Monitor) != want {
			t.Errorf("shard %s: %v, %d endpoints scraped; want %d", shard, err, len(res.Monitor), want)
		}
	}
	// report.html charts the server's metrics beside the load.
	if html, err := os.ReadFile(filepath.Join(dir, "out", "runs", rep.RunID, "report.html")); err != nil || !strings.Contains(string(html), "agroal_active_count") {
		t.Errorf("report.html: %v; want it to chart agroal_active_count", err)
	}
	if !rep.Passed || rep.Requests == 0 {
		t.Errorf("passed %v with %d requests; want a passing run", rep.Passed, rep.Requests)
	}
}
