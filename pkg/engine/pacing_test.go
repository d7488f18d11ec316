package engine

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// pipeTarget is an HTTP/1.1 server on in-memory connections: it records
// the (fake) time at which each request arrives and answers 200 at once.
type pipeTarget struct {
	stall time.Duration // how long each response takes
	mu    sync.Mutex
	start time.Time
	times []time.Duration
}

func (p *pipeTarget) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		for {
			for {
				l, err := r.ReadSlice('\n')
				if err != nil {
					return
				}
				if bytes.Equal(l, []byte("\r\n")) {
					break
				}
			}
			p.mu.Lock()
			p.times = append(p.times, time.Since(p.start))
			p.mu.Unlock()
			time.Sleep(p.stall)
			if _, err := server.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
				return
			}
		}
	}()
	return client, nil
}

// TestPacingExact runs the engine on a fake clock (testing/synctest) and
// checks that N arrivals per second over 1 s send exactly N requests, each
// within its own slot [i/N, (i+1)/N), whatever the rate.
func TestPacingExact(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 7, 100, 1000, 4096} {
		synctest.Test(t, func(t *testing.T) {
			target := &pipeTarget{}
			e, err := New(Config{
				Targets:     []events.Target{{Name: "t", Method: "GET", URL: "http://target.test/", Weight: 1}},
				Pacer:       pacer.Constant{R: float64(n), D: time.Second},
				KeepAlive:   true,
				MaxInflight: 8,
				Timeout:     time.Second,
				CoarseTimer: true,
				Dial:        target.dial,
				Resolve:     func(string) []netip.Addr { return nil },
				Proc:        &health.Proc{Root: t.TempDir()}, // no host figures in a bubble
			})
			if err != nil {
				t.Fatal(err)
			}
			target.start = time.Now()
			e.cfg.Start = target.start
			res, err := e.Run(context.Background(), context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.Requests != int64(n) || res.Counts.Success != int64(n) || res.Counts.Dropped != 0 {
				t.Fatalf("N=%d: requests %d, success %d, dropped %d; want %d, %d, 0",
					n, res.Counts.Requests, res.Counts.Success, res.Counts.Dropped, n, n)
			}
			if len(target.times) != n {
				t.Fatalf("N=%d: the target saw %d requests", n, len(target.times))
			}
			slot := time.Second / time.Duration(n)
			for i, at := range target.times {
				lo, hi := time.Duration(i)*time.Second/time.Duration(n), time.Duration(i+1)*time.Second/time.Duration(n)
				if at < lo || at >= hi {
					t.Fatalf("N=%d: request %d arrived at %v, outside its slot [%v, %v) of %v", n, i, at, lo, hi, slot)
				}
			}
			if res.SendSeconds != 1 {
				t.Errorf("N=%d: send window %v s; want 1", n, res.SendSeconds)
			}
		})
	}
}

// TestDropsWhenSlotsBusy checks the open model on a fake clock: with one
// slot and a target that takes 250 ms, arrivals due every 100 ms find the
// slot busy and are dropped, never queued: requests go out at 0, 300, 600
// and 900 ms, and the six others are counted as dropped.
func TestDropsWhenSlotsBusy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		target := &pipeTarget{stall: 250 * time.Millisecond}
		e, err := New(Config{
			Targets:     []events.Target{{Name: "t", Method: "GET", URL: "http://target.test/", Weight: 1}},
			Pacer:       pacer.Constant{R: 10, D: time.Second},
			KeepAlive:   true,
			MaxInflight: 1,
			Timeout:     time.Second,
			CoarseTimer: true,
			Dial:        target.dial,
			Resolve:     func(string) []netip.Addr { return nil },
			Proc:        &health.Proc{Root: t.TempDir()},
		})
		if err != nil {
			t.Fatal(err)
		}
		target.start = time.Now()
		e.cfg.Start = target.start
		res, err := e.Run(context.Background(), context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond}
		if len(target.times) != len(want) {
			t.Fatalf("target saw requests at %v; want %v", target.times, want)
		}
		for i, at := range target.times {
			if at != want[i] {
				t.Errorf("request %d at %v; want %v", i, at, want[i])
			}
		}
		if c := res.Counts; c.Requests != 4 || c.Dropped != 6 || c.DroppedLate != 0 {
			t.Errorf("requests %d, dropped %d (late %d); want 4, 6 (0)", c.Requests, c.Dropped, c.DroppedLate)
		}
		if c := res.Targets[0].Counts; c.Dropped != 6 {
			t.Errorf("target dropped %d; want 6", c.Dropped)
		}
	})
}
