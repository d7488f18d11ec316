package monitor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/promtest"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// metrics is a gauge that is n at scrape n, a counter, and a series the
// test's patterns do not keep.
func metrics(n int64, w http.ResponseWriter) {
	fmt.Fprintf(w, "# TYPE db_pool_active gauge\ndb_pool_active{pool=\"main\"} %d\n", n)
	fmt.Fprintf(w, "# TYPE http_5xx_total counter\nhttp_5xx_total %d\n", 10*n)
	fmt.Fprintf(w, "# TYPE jvm_gc_pause_seconds gauge\njvm_gc_pause_seconds 0.5\n")
}

// scrapeAll scrapes url for the seconds 0 to last of a run starting now,
// until the scraper is done by itself.
func scrapeAll(t *testing.T, url string, last time.Duration, g hostguard.Guard) events.MonitorReport {
	t.Helper()
	s, err := Start(context.Background(), Config{Endpoints: []events.Monitor{{URL: url, Series: []string{"db_pool_.*", "http_5xx_total"}}},
		RunStart: time.Now(), From: 0, To: last, WithEnd: true, Dialer: &hostguard.Dialer{Guard: g}})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Done() // bounded: two seconds of scrapes
	reps := s.Stop()
	if len(reps) != 1 {
		t.Fatalf("got %d endpoints, want 1", len(reps))
	}
	return reps[0]
}

func TestScrape(t *testing.T) {
	srv, served := promtest.Server(t, metrics)
	rep := scrapeAll(t, srv.URL, time.Second, hostguard.Guard{})
	if rep.Scrapes < 2 || rep.Scrapes != served.Load() || rep.Failures != 0 {
		t.Fatalf("scrapes %d, failures %d (%s); the server answered %d; want ≥ 2 scrapes, one per request, no failure",
			rep.Scrapes, rep.Failures, rep.LastError, served.Load())
	}
	if len(rep.Series) != 2 || rep.Series[0].Metric != "db_pool_active" || rep.Series[0].Type != "gauge" ||
		rep.Series[0].Labels["pool"] != "main" || rep.Series[1].Metric != "http_5xx_total" || rep.Series[1].Type != "counter" {
		t.Fatalf("series %+v; want db_pool_active{pool=main} (gauge) and http_5xx_total (counter), not jvm_gc_pause_seconds", rep.Series)
	}
	for i, s := range rep.Series {
		if int64(len(s.Points)) != rep.Scrapes {
			t.Fatalf("%s has %d points; want one per scrape, %d", s.Metric, len(s.Points), rep.Scrapes)
		}
		for k, p := range s.Points {
			n := float64(k + 1) // the server's answer k+1
			if want := n * float64(1+9*i); p.Value != want {
				t.Errorf("%s point %d: %v; want %v as served", s.Metric, k, p.Value, want)
			}
			if k > 0 && p.ElapsedS <= s.Points[k-1].ElapsedS {
				t.Errorf("%s point %d at %v s, after %v s: want increasing", s.Metric, k, p.ElapsedS, s.Points[k-1].ElapsedS)
			}
		}
	}
}

func TestScrapeFailures(t *testing.T) {
	srv, served := promtest.Server(t, func(n int64, w http.ResponseWriter) {
		switch n {
		case 1:
			http.Error(w, "down", http.StatusInternalServerError)
		case 2:
			fmt.Fprintln(w, "<html>not metrics</html>")
		default:
			metrics(n, w)
		}
	})
	rep := scrapeAll(t, srv.URL, 2*time.Second, hostguard.Guard{})
	if rep.Scrapes != served.Load() || rep.Scrapes < 2 {
		t.Fatalf("scrapes %d; the server answered %d; want one per request, at least 2", rep.Scrapes, served.Load())
	}
	wantFailures := min(rep.Scrapes, 2)
	if rep.Failures != wantFailures {
		t.Errorf("failures %d of %d scrapes; want %d (a 500, then garbage)", rep.Failures, rep.Scrapes, wantFailures)
	}
	lastErr := "500 Internal Server Error"
	if rep.Scrapes >= 2 {
		lastErr = "not Prometheus text"
	}
	if !strings.Contains(rep.LastError, lastErr) || !strings.Contains(rep.LastError, srv.URL) {
		t.Errorf("last error %q; want GET %s: …%s…", rep.LastError, srv.URL, lastErr)
	}
	if ok := rep.Scrapes - rep.Failures; ok > 0 && len(rep.Series) != 2 {
		t.Errorf("%d scrapes succeeded and %d series were kept; want 2", ok, len(rep.Series))
	}
	for _, s := range rep.Series {
		if int64(len(s.Points)) != rep.Scrapes-rep.Failures {
			t.Errorf("%s has %d points; want one per successful scrape, %d", s.Metric, len(s.Points), rep.Scrapes-rep.Failures)
		}
	}
}

// TestScrapeGuarded: an endpoint the guard refuses is never contacted;
// each scrape fails and says why.
func TestScrapeGuarded(t *testing.T) {
	srv, served := promtest.Server(t, metrics)
	rep := scrapeAll(t, srv.URL, 0, hostguard.Guard{Allow: [][]string{{"kc.example.com"}}})
	if served.Load() != 0 {
		t.Errorf("the server answered %d requests; want none", served.Load())
	}
	if rep.Scrapes < 1 || rep.Failures != rep.Scrapes || !strings.Contains(rep.LastError, "not on the allow-list") {
		t.Errorf("scrapes %d, failures %d, last error %q; want every scrape refused by the guard", rep.Scrapes, rep.Failures, rep.LastError)
	}
}

// TestScrapeStopped: a scraper stopped before its first second scrapes
// nothing, and its endpoints are still reported.
func TestScrapeStopped(t *testing.T) {
	srv, served := promtest.Server(t, metrics)
	s, err := Start(context.Background(), Config{Endpoints: []events.Monitor{{URL: srv.URL, Series: []string{"x"}}},
		RunStart: time.Now().Add(time.Hour), To: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	reps := s.Stop()
	if len(reps) != 1 || reps[0].Scrapes != 0 || reps[0].URL != srv.URL || reps[0].Series == nil || served.Load() != 0 {
		t.Errorf("got %+v, %d requests; want the endpoint, no scrape, an empty series list", reps, served.Load())
	}
}
