package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Handler serves q over HTTP, so that worker processes on this host share
// the parent's queue (barrage run --procs). The protocol is JSON over POST:
// /send, /receive, /ack, /extend, mirroring the Queue methods. Serve it on
// 127.0.0.1 only.
func Handler(q Queue) http.Handler {
	mux := http.NewServeMux()
	handle := func(path string, f func(ctx context.Context, r *httpRequest) (any, error)) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, req *http.Request) {
			var r httpRequest
			if err := json.NewDecoder(req.Body).Decode(&r); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			out, err := f(req.Context(), &r)
			switch {
			case errors.Is(err, ErrStale):
				http.Error(w, err.Error(), http.StatusConflict)
				return
			case errors.Is(err, ErrClosed):
				http.Error(w, err.Error(), http.StatusGone)
				return
			case err != nil:
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(out)
		})
	}
	handle("/send", func(ctx context.Context, r *httpRequest) (any, error) { return struct{}{}, q.Send(ctx, r.Bodies) })
	handle("/receive", func(ctx context.Context, r *httpRequest) (any, error) {
		ds, err := q.Receive(ctx, r.Max, time.Duration(r.WaitMs)*time.Millisecond, time.Duration(r.VisibilityMs)*time.Millisecond)
		if ds == nil {
			ds = []Delivery{}
		}
		return ds, err
	})
	handle("/ack", func(ctx context.Context, r *httpRequest) (any, error) {
		return struct{}{}, q.Ack(ctx, Delivery{Handle: r.Handle})
	})
	handle("/extend", func(ctx context.Context, r *httpRequest) (any, error) {
		return struct{}{}, q.Extend(ctx, Delivery{Handle: r.Handle}, time.Duration(r.VisibilityMs)*time.Millisecond)
	})
	return mux
}

type httpRequest struct {
	Bodies       [][]byte `json:"bodies,omitempty"`
	Max          int      `json:"max,omitempty"`
	WaitMs       int64    `json:"wait_ms,omitempty"`
	VisibilityMs int64    `json:"visibility_ms,omitempty"`
	Handle       string   `json:"handle,omitempty"`
}

// HTTPClient is a Queue served by Handler at URL.
type HTTPClient struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient
}

var _ Queue = (*HTTPClient)(nil)

func (c *HTTPClient) call(ctx context.Context, path string, in httpRequest, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("queue %s: %w", path, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return json.NewDecoder(resp.Body).Decode(out)
	case http.StatusConflict:
		return fmt.Errorf("queue %s: %w", path, ErrStale)
	case http.StatusGone:
		return fmt.Errorf("queue %s: %w", path, ErrClosed)
	}
	return fmt.Errorf("queue %s: %s", path, resp.Status)
}

// Send implements Queue.
func (c *HTTPClient) Send(ctx context.Context, bodies [][]byte) error {
	return c.call(ctx, "/send", httpRequest{Bodies: bodies}, &struct{}{})
}

// Receive implements Queue.
func (c *HTTPClient) Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]Delivery, error) {
	var out []Delivery
	err := c.call(ctx, "/receive", httpRequest{Max: max, WaitMs: wait.Milliseconds(), VisibilityMs: visibility.Milliseconds()}, &out)
	return out, err
}

// Ack implements Queue.
func (c *HTTPClient) Ack(ctx context.Context, d Delivery) error {
	return c.call(ctx, "/ack", httpRequest{Handle: d.Handle}, &struct{}{})
}

// Extend implements Queue.
func (c *HTTPClient) Extend(ctx context.Context, d Delivery, visibility time.Duration) error {
	return c.call(ctx, "/extend", httpRequest{Handle: d.Handle, VisibilityMs: visibility.Milliseconds()}, &struct{}{})
}
