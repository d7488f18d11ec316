package monitor

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// Defaults of a Config's zero fields, and the bound on a scrape's body.
const (
	Interval       = time.Second // one scrape per endpoint a second
	DefaultTimeout = Interval
	MaxBody        = 8 << 20 // bytes read of one answer
)

// Config says what a Scraper scrapes, and when.
type Config struct {
	// Endpoints are the spec's monitor section.
	Endpoints []events.Monitor
	// RunStart is the run's start: points count their seconds from it, and
	// scrape k is due at RunStart + k seconds.
	RunStart time.Time
	// From and To bound the scrapes to the whole seconds k with From ≤ k <
	// To (a shard's window); WithEnd scrapes at To too (the run's last
	// window).
	From, To time.Duration
	WithEnd  bool
	// Dialer dials the endpoints: the run's host guard.
	Dialer *hostguard.Dialer
	// Insecure skips verifying an https endpoint's certificate (the spec's
	// insecure).
	Insecure bool
	// Timeout bounds one scrape; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Scraper scrapes a Config's endpoints in the background, from Start to
// Stop.
type Scraper struct {
	stop   chan struct{} // closed by Stop: no scrape begins after it
	wg     sync.WaitGroup
	done   chan struct{}
	eps    []*endpoint
	client *http.Client
}

// Start starts scraping cfg's endpoints, each on a goroutine of its own,
// until the last second is scraped, Stop, or ctx ends (which cuts a scrape
// in progress short). An error is a series pattern that does not compile
// (events.RunSpec.Validate refuses it before).
func Start(ctx context.Context, cfg Config) (*Scraper, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &hostguard.Dialer{}
	}
	s := &Scraper{client: client(cfg), stop: make(chan struct{}), done: make(chan struct{})}
	for i, m := range cfg.Endpoints {
		re, err := m.Matcher()
		if err != nil {
			return nil, fmt.Errorf("monitor[%d].%w", i, err)
		}
		s.eps = append(s.eps, newEndpoint(m.URL, re))
	}
	for _, e := range s.eps {
		s.wg.Go(func() { s.loop(ctx, cfg, e) })
	}
	go func() { s.wg.Wait(); close(s.done) }()
	return s, nil
}

// Done is closed once every endpoint's last second is scraped (or ctx
// ended).
func (s *Scraper) Done() <-chan struct{} { return s.done }

// Stop ends the scraping and returns what was scraped, one entry per
// endpoint in the Config's order. No scrape begins after it; one in
// progress is finished (within Timeout) and counted.
func (s *Scraper) Stop() []events.MonitorReport {
	close(s.stop)
	s.wg.Wait()
	s.client.CloseIdleConnections()
	out := make([]events.MonitorReport, len(s.eps))
	for i, e := range s.eps {
		out[i] = e.rep
	}
	return out
}

// loop scrapes e at each whole second of cfg's window, on the absolute
// schedule RunStart + k s; a second already past when the previous scrape
// ends is skipped.
func (s *Scraper) loop(ctx context.Context, cfg Config, e *endpoint) {
	first := int64(math.Ceil(cfg.From.Seconds()))
	last := int64(math.Ceil(cfg.To.Seconds())) - 1
	if cfg.WithEnd && cfg.To%time.Second == 0 {
		last++
	}
	t := time.NewTimer(Interval)
	t.Stop()
	defer t.Stop()
	for k := first; k <= last; k++ { // bounded: one iteration a second of the window
		due := cfg.RunStart.Add(time.Duration(k) * Interval)
		wait := time.Until(due)
		if wait < -Interval/2 {
			continue // this second is gone: the last scrape overran it
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
		}
		select {
		case <-s.stop: // stopped as the timer fired: Stop wins
			return
		default:
		}
		at := time.Since(cfg.RunStart)
		samples, err := s.scrape(ctx, cfg.Timeout, e)
		if ctx.Err() != nil {
			return // cut short (the run was aborted or interrupted): not counted
		}
		e.record(at, samples, err)
	}
}

// scrape fetches e once and parses what it kept.
func (s *Scraper) scrape(ctx context.Context, timeout time.Duration, e *endpoint) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.rep.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", e.rep.URL, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %w", e.rep.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection if the rest is short
		return nil, fmt.Errorf("GET %s: %s", e.rep.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("GET %s: reading the answer: %w", e.rep.URL, err)
	case len(body) > MaxBody:
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes", e.rep.URL, MaxBody)
	}
	samples, err := Parse(bytes.NewReader(body), e.keep)
	if err != nil {
		return nil, fmt.Errorf("GET %s: not Prometheus text: %w", e.rep.URL, err)
	}
	return samples, nil
}

// client is the HTTP client of cfg's scrapes: dialing through the guard,
// no proxy, no redirect followed (its status is a failure), one idle
// connection per endpoint kept between scrapes.
func client(cfg Config) *http.Client {
	tr := &http.Transport{
		DialContext:         cfg.Dialer.DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: cfg.Insecure}, //nolint:gosec // the spec's insecure
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     3 * Interval,
	}
	return &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
