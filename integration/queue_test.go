//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
)

// receiveOne long-polls for up to wait and wants at most one message.
func receiveOne(t *testing.T, q *sqsqueue.Queue, wait, visibility time.Duration) *queue.Delivery {
	t.Helper()
	ds, err := q.Receive(context.Background(), 1, wait, visibility)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) > 1 {
		t.Fatalf("%d messages; asked for one", len(ds))
	}
	if len(ds) == 0 {
		return nil
	}
	return &ds[0]
}

func TestSQSSend1000(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	ctx := context.Background()
	var bodies [][]byte
	for i := range 1000 {
		bodies = append(bodies, fmt.Appendf(nil, `{"shard_id":"s%04d"}`, i))
	}
	if err := q.Send(ctx, bodies); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for len(seen) < 1000 {
		ds, err := q.Receive(ctx, 10, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			t.Fatalf("queue ran dry after %d of 1,000", len(seen))
		}
		for _, d := range ds {
			seen[string(d.Body)]++
			if d.Receives != 1 {
				t.Errorf("%s: Receives %d; want 1", d.Body, d.Receives)
			}
			if err := q.Ack(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, b := range bodies {
		if n := seen[string(b)]; n != 1 {
			t.Errorf("%s received %d times; want once", b, n)
		}
	}
	if ds, err := q.Receive(ctx, 10, time.Second, time.Minute); len(ds) != 0 || err != nil {
		t.Errorf("after acking all: %d more messages, %v", len(ds), err)
	}
}

func TestSQSVisibilityExpiry(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	q.Send(context.Background(), [][]byte{[]byte("shard")})
	d1 := receiveOne(t, q, 2*time.Second, time.Second)
	if d1 == nil || d1.Receives != 1 {
		t.Fatalf("first delivery %+v; want Receives 1", d1)
	}
	// Not acked: it comes back after its second of invisibility.
	t0 := time.Now()
	d2 := receiveOne(t, q, 5*time.Second, time.Minute)
	if d2 == nil || string(d2.Body) != "shard" || d2.Receives != 2 || d2.Handle == d1.Handle {
		t.Fatalf("redelivery %+v; want the message again with Receives 2 and a new handle", d2)
	}
	t.Logf("redelivered %v after the first receive's visibility ran out", time.Since(t0).Round(10*time.Millisecond))
}

func TestSQSExtend(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	ctx := context.Background()
	q.Send(ctx, [][]byte{[]byte("shard")})
	d1 := receiveOne(t, q, 2*time.Second, time.Second)
	if d1 == nil {
		t.Fatal("no delivery")
	}
	if err := q.Extend(ctx, *d1, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := receiveOne(t, q, 2*time.Second, time.Second); d != nil { // up to 2 s after the first receive
		t.Fatalf("delivered again %+v while extended", d)
	}
	d2 := receiveOne(t, q, 5*time.Second, time.Minute)
	if d2 == nil || d2.Receives != 2 {
		t.Fatalf("after the extension: %+v; want a redelivery with Receives 2", d2)
	}
	// Extend with zero makes it visible at once.
	if err := q.Extend(ctx, *d2, 0); err != nil {
		t.Fatal(err)
	}
	if d3 := receiveOne(t, q, time.Second, time.Minute); d3 == nil || d3.Receives != 3 {
		t.Errorf("after Extend(0): %+v; want Receives 3", d3)
	}
}

func TestSQSAckDeletes(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	ctx := context.Background()
	q.Send(ctx, [][]byte{[]byte("shard")})
	d := receiveOne(t, q, 2*time.Second, time.Second)
	if d == nil {
		t.Fatal("no delivery")
	}
	if err := q.Ack(ctx, *d); err != nil {
		t.Fatal(err)
	}
	if again := receiveOne(t, q, 3*time.Second, time.Minute); again != nil { // well past the 1 s visibility
		t.Errorf("acked message delivered again: %+v", again)
	}
}

func TestSQSLongPollEmpty(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	t0 := time.Now()
	ds, err := q.Receive(context.Background(), 10, 2*time.Second, time.Minute)
	waited := time.Since(t0)
	if len(ds) != 0 || err != nil || waited < 1900*time.Millisecond || waited > 4*time.Second {
		t.Errorf("empty long poll of 2 s: %d messages, %v, after %v", len(ds), err, waited)
	}
	// A message sent during the poll ends it early.
	go func() {
		time.Sleep(500 * time.Millisecond)
		q.Send(context.Background(), [][]byte{[]byte("late")})
	}()
	t0 = time.Now()
	ds, err = q.Receive(context.Background(), 10, 5*time.Second, time.Minute)
	if len(ds) != 1 || err != nil || time.Since(t0) > 3*time.Second {
		t.Errorf("long poll with a message arriving after 0.5 s: %d messages, %v, after %v", len(ds), err, time.Since(t0))
	}
}

func TestSQSSendFailures(t *testing.T) {
	f := StartFauxqs(t)
	q := f.Queue(t, "shards")
	ctx := context.Background()
	// Bodies SQS refuses (a character outside its allowed set) are named;
	// the others of the same batch go through.
	err := q.Send(ctx, [][]byte{[]byte("a"), []byte("bad\x00body"), []byte("c")})
	var se *sqsqueue.SendError
	if !errors.As(err, &se) || len(se.Unsent) != 1 || se.Unsent[0].Index != 1 {
		t.Fatalf("Send with a NUL byte in #1: %v; want #1 named", err)
	}
	t.Logf("fauxqs refused #1 with: %v", se.Unsent[0].Err)
	var got []string
	for range 2 {
		if d := receiveOne(t, q, time.Second, time.Minute); d != nil {
			got = append(got, string(d.Body))
		}
	}
	if strings.Join(got, "") != "ac" && strings.Join(got, "") != "ca" {
		t.Errorf("received %q; want a and c", got)
	}
	// A queue that does not exist fails every message.
	missing := sqsqueue.New(f.Client, strings.TrimSuffix(q.URL(), "shards")+"missing")
	err = missing.Send(ctx, [][]byte{[]byte("x"), []byte("y")})
	if !errors.As(err, &se) || len(se.Unsent) != 2 {
		t.Errorf("Send to a missing queue: %v; want both named", err)
	}
	t.Logf("missing queue: %v", err)
}

// TestSQSFromEnv: the queue a main opens (awsenv) follows the
// environment's credentials and BARRAGE_SQS_ENDPOINT; sqsqueue itself reads
// no environment, only the endpoint it is given.
func TestSQSFromEnv(t *testing.T) {
	f := StartFauxqs(t)
	url := f.CreateQueue(t, "shards")
	for _, kv := range Env("", f.Endpoint) {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == stack.EnvSQSEndpoint {
			t.Setenv(k, v)
		}
	}
	ctx := context.Background()
	env, err := awsenv.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, err := env.Queue(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, [][]byte{[]byte("m")}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(stack.EnvSQSEndpoint, "http://127.0.0.1:1")
	q, _ = sqsqueue.NewFromConfig(env.Config, url, sqsqueue.WithEndpoint(f.Endpoint))
	if d := receiveOne(t, q, time.Second, time.Minute); d == nil || string(d.Body) != "m" {
		t.Errorf("through WithEndpoint: %+v; want m", d)
	}
}

// BenchmarkSQSDispatch1000 sends the 1,000 shard messages of a planned
// run with batching, as the orchestrator dispatches it: "planned" as the
// planner writes them (about 370 bytes of JSON each: pointers, not specs),
// and "600B" padded to about 600 bytes, room for longer ids and keys.
func BenchmarkSQSDispatch1000(b *testing.B) {
	f := StartFauxqs(b)
	spec := events.RunSpec{Targets: []events.Target{{URL: "https://idp.example.com/realms/load/protocol/openid-connect/token"}},
		Duration: events.Duration(10 * time.Minute), Load: events.Load{Shape: events.ShapeRamp, From: 5000, To: 50000}}.WithDefaults()
	p, err := plan.Make(spec, plan.Options{RunID: "20261123-101500-3fa2c1", Backend: plan.BackendAWS, Kind: events.KindLambda,
		Now: time.Now(), Workers: 1000})
	if err != nil {
		b.Fatal(err)
	}
	msgs := plan.Messages(p, spec, store.SpecKey(p.RunID))
	if len(msgs) != 1000 {
		b.Fatalf("the plan has %d shards; want 1,000", len(msgs))
	}
	type padded struct {
		events.ShardMessage
		Pad string `json:"pad"`
	}
	for _, size := range []string{"planned", "600B"} {
		bodies := make([][]byte, len(msgs))
		total := 0
		for i, m := range msgs {
			bodies[i], _ = json.Marshal(m)
			if size == "600B" {
				bodies[i], _ = json.Marshal(padded{m, strings.Repeat("x", max(0, 600-len(bodies[i])-10))})
			}
			total += len(bodies[i])
		}
		b.Run(size, func(b *testing.B) {
			q := f.Queue(b, "dispatch-"+strings.ToLower(size))
			ctx := context.Background()
			for b.Loop() {
				if err := q.Send(ctx, bodies); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)/float64(len(bodies)), "bytes/msg")
			b.ReportMetric(float64(len(bodies)*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
