//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
)

func TestSQSQueue(t *testing.T) {
	f := StartFauxqs(t)
	q := sqsqueue.New(f.Client, f.CreateQueue(t, "shards"))
	ctx := context.Background()
	var bodies [][]byte
	for i := range 1000 {
		bodies = append(bodies, []byte(fmt.Sprint("m", i)))
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
			if err := q.Ack(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	for b, n := range seen {
		if n != 1 {
			t.Errorf("%s received %d times", b, n)
		}
	}
	// An unacknowledged message comes back after its visibility timeout,
	// with its receive count; Extend holds it back.
	q.Send(ctx, [][]byte{[]byte("shard")})
	d1, _ := q.Receive(ctx, 1, 2*time.Second, time.Second)
	if len(d1) != 1 || d1[0].Receives != 1 {
		t.Fatalf("first delivery %+v", d1)
	}
	if err := q.Extend(ctx, d1[0], 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if ds, _ := q.Receive(ctx, 1, 2*time.Second, time.Second); len(ds) != 0 {
		t.Fatal("delivered again while extended")
	}
	d2, _ := q.Receive(ctx, 1, 5*time.Second, time.Minute)
	if len(d2) != 1 || d2[0].Receives != 2 {
		t.Fatalf("redelivery %+v; want Receives 2", d2)
	}
	q.Ack(ctx, d2[0])
	// An empty long poll returns nothing after its wait.
	t0 := time.Now()
	if ds, err := q.Receive(ctx, 10, 2*time.Second, time.Minute); len(ds) != 0 || err != nil || time.Since(t0) < 1500*time.Millisecond {
		t.Errorf("empty long poll: %d messages, %v, after %v", len(ds), err, time.Since(t0))
	}
}

// BenchmarkSQSDispatch1000 sends 1,000 shard messages (about 600 bytes of
// JSON each) with batching, as the orchestrator dispatches a run.
func BenchmarkSQSDispatch1000(b *testing.B) {
	f := StartFauxqs(b)
	q := sqsqueue.New(f.Client, f.CreateQueue(b, "dispatch"))
	m := events.ShardMessage{Version: 1, RunID: "20261123-101500-3fa2c1", Kind: events.KindLambda, Count: 1000,
		Load: events.Load{Shape: events.ShapeConstant, Rate: 50000}, Duration: events.Duration(10 * time.Minute),
		WindowTo: events.Duration(10 * time.Minute), StartAt: time.Now(), NotAfter: time.Now().Add(time.Minute),
		MaxInflight: 803, SpecKey: "runs/20261123-101500-3fa2c1/spec.json"}
	bodies := make([][]byte, 1000)
	for i := range bodies {
		m.ShardID, m.Index = fmt.Sprintf("s%04d", i), i
		bodies[i], _ = json.Marshal(m)
	}
	b.ReportMetric(float64(len(bodies[0])), "bytes/msg")
	ctx := context.Background()
	for b.Loop() {
		if err := q.Send(ctx, bodies); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
