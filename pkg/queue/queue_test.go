package queue

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// queues runs a test against the in-memory queue and against the same
// queue over HTTP.
func queues(t *testing.T, f func(t *testing.T, q Queue)) {
	t.Run("mem", func(t *testing.T) { f(t, NewMem()) })
	t.Run("http", func(t *testing.T) {
		srv := httptest.NewServer(Handler(NewMem()))
		defer srv.Close()
		f(t, &HTTPClient{URL: srv.URL})
	})
}

func TestSendReceiveAck(t *testing.T) {
	queues(t, func(t *testing.T, q Queue) {
		ctx := context.Background()
		var bodies [][]byte
		for i := range 25 {
			bodies = append(bodies, []byte(fmt.Sprint("m", i)))
		}
		if err := q.Send(ctx, bodies); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for len(seen) < 25 {
			ds, err := q.Receive(ctx, 10, 100*time.Millisecond, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 0 {
				t.Fatalf("queue ran dry after %d messages", len(seen))
			}
			for _, d := range ds {
				seen[string(d.Body)]++
				if d.Receives != 1 {
					t.Errorf("%s received %d times", d.Body, d.Receives)
				}
				if err := q.Ack(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		for b, n := range seen {
			if n != 1 {
				t.Errorf("%s delivered %d times", b, n)
			}
		}
		// Empty: a long poll returns nothing after its wait.
		t0 := time.Now()
		ds, err := q.Receive(ctx, 10, 150*time.Millisecond, time.Minute)
		if err != nil || len(ds) != 0 || time.Since(t0) < 140*time.Millisecond {
			t.Errorf("empty receive: %d messages, %v, after %v", len(ds), err, time.Since(t0))
		}
	})
}

// TestVisibility checks redelivery after the visibility timeout, Extend,
// and that an old handle cannot ack a redelivered message.
func TestVisibility(t *testing.T) {
	queues(t, func(t *testing.T, q Queue) {
		ctx := context.Background()
		q.Send(ctx, [][]byte{[]byte("shard")})
		first, _ := q.Receive(ctx, 1, time.Second, 100*time.Millisecond)
		if len(first) != 1 {
			t.Fatal("no delivery")
		}
		// Hidden while the visibility lasts.
		if ds, _ := q.Receive(ctx, 1, 30*time.Millisecond, time.Second); len(ds) != 0 {
			t.Fatal("delivered again while invisible")
		}
		again, _ := q.Receive(ctx, 1, time.Second, 100*time.Millisecond)
		if len(again) != 1 || again[0].Receives != 2 {
			t.Fatalf("redelivery: %+v; want one with Receives 2", again)
		}
		if err := q.Ack(ctx, first[0]); !errors.Is(err, ErrStale) {
			t.Errorf("ack with the first handle: %v; want ErrStale", err)
		}
		if err := q.Extend(ctx, again[0], 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if ds, _ := q.Receive(ctx, 1, 150*time.Millisecond, time.Second); len(ds) != 0 {
			t.Fatal("delivered while extended")
		}
		if err := q.Ack(ctx, again[0]); err != nil {
			t.Fatal(err)
		}
		if ds, _ := q.Receive(ctx, 1, 400*time.Millisecond, time.Second); len(ds) != 0 {
			t.Fatal("delivered after ack")
		}
	})
}

// TestLongPollWakes checks that a waiting receiver gets a message sent
// while it waits, at once.
func TestLongPollWakes(t *testing.T) {
	queues(t, func(t *testing.T, q Queue) {
		ctx := context.Background()
		var wg sync.WaitGroup
		wg.Add(1)
		var got []Delivery
		t0 := time.Now()
		go func() {
			defer wg.Done()
			got, _ = q.Receive(ctx, 1, 5*time.Second, time.Minute)
		}()
		time.Sleep(50 * time.Millisecond)
		q.Send(ctx, [][]byte{[]byte("late")})
		wg.Wait()
		if len(got) != 1 || time.Since(t0) > 2*time.Second {
			t.Errorf("long poll got %d messages after %v", len(got), time.Since(t0))
		}
	})
}
