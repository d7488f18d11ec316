package events

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestProgressUnits: the live progress's durations read and write in the
// units their JSON names say (elapsed_s in seconds, *_ms in milliseconds),
// as the status's live figures always have.
func TestProgressUnits(t *testing.T) {
	var p LiveShard
	in := `{"shard": 2, "elapsed_s": 61.25, "p99_ms": 0.5, "interval_p99_ms": 1500}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if p.Shard != 2 || p.Elapsed.D() != 61250*time.Millisecond || p.P99.D() != 500*time.Microsecond ||
		p.IntervalP99.D() != 1500*time.Millisecond {
		t.Errorf("decoded %+v; want shard 2, 61.25 s, 500 µs, 1.5 s", p)
	}
	b, err := json.Marshal(ShardProgress{Elapsed: Seconds(1500 * time.Millisecond), P99: Millis(2250 * time.Microsecond)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"t":"0001-01-01T00:00:00Z","elapsed_s":1.5,"requests":0,"errors":0,"failed":0,"dropped":0,"rate":0,` +
		`"p99_ms":2.25,"interval_requests":0,"interval_success":0,"interval_p99_ms":0}`
	if string(b) != want {
		t.Errorf("encoded %s\nwant    %s", b, want)
	}
	for _, bad := range []string{`{"elapsed_s": "1s"}`, `{"p99_ms": true}`} {
		if err := json.Unmarshal([]byte(bad), new(ShardProgress)); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
}

// TestProgressSince: a progress standing for an earlier one that no one saw
// keeps its own totals and adds the earlier interval's requests.
func TestProgressSince(t *testing.T) {
	prev := ShardProgress{Elapsed: Seconds(time.Second), Requests: 10, IntervalRequests: 10, IntervalSuccess: 9,
		IntervalP99: Millis(80 * time.Millisecond)}
	next := ShardProgress{Elapsed: Seconds(2 * time.Second), Requests: 25, IntervalRequests: 15, IntervalSuccess: 15,
		IntervalP99: Millis(30 * time.Millisecond)}
	got := next.Since(prev)
	want := next
	want.IntervalRequests, want.IntervalSuccess, want.IntervalP99 = 25, 24, Millis(80*time.Millisecond)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
