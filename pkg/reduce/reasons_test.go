package reduce

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestReasons gives every shard without a result a reason of its own, from
// what the store holds of it and of its window's dispatch.
func TestReasons(t *testing.T) {
	st := store.Dir{Root: t.TempDir()}
	run := "r"
	var shards []events.PlanShard
	for i, w := range []int{0, 0, 0, 0, 1, 2, 3, 4} {
		shards = append(shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: "s" + string(rune('0'+i))}, Window: w})
	}
	p := &events.Plan{RunID: run, Backend: "aws", Shards: shards}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	put(t, st, store.ResultKey(run, "s0"), events.ShardResult{})
	put(t, st, store.ClaimKey(run, "s1"), events.Claim{Worker: "lambda-7", At: at})
	put(t, st, store.MissedKey(run, "s2"), events.Claim{Reason: "no worker took it before its not_after: 4 worker invocations accepted"})
	put(t, st, store.DispatchKey(run, 0), events.Dispatch{Sent: true, Invoked: 4, Done: true})
	put(t, st, store.DispatchKey(run, 2), events.Dispatch{Refused: "the run was aborted"})
	put(t, st, store.DispatchKey(run, 3), events.Dispatch{Errors: []string{"t send: AWS.SimpleQueueService.NonExistentQueue"}})
	put(t, st, store.DispatchKey(run, 4), events.Dispatch{Sent: true, Invoked: 1, Errors: []string{"t invoke: TooManyRequestsException"}})
	state, err := Scan(context.Background(), st, run)
	if err != nil {
		t.Fatal(err)
	}
	got := Reasons(context.Background(), st, p, state)
	for shard, want := range map[string]string{
		"s1": "claimed by lambda-7 at 2026-12-03T10:00:00Z, which never reported",  // its worker died
		"s2": "no worker took it before its not_after",                             // the dispatcher's marker
		"s3": "no worker took it (messages sent, 4 worker invocations accepted)",   // unclaimed, dispatch done
		"s4": "window 1 was never dispatched: its schedule did not fire",           // no record
		"s5": "window 2 was not dispatched: the run was aborted",                   // refused
		"s6": "window 3's shard messages were never sent: last error: t send: AWS", // failed at the send
		"s7": "window 4's dispatch did not finish (messages sent, 1 worker invocations accepted): last error: t invoke",
	} {
		if !strings.Contains(got[shard], want) {
			t.Errorf("%s: %q; want it to say %q", shard, got[shard], want)
		}
	}
	if _, ok := got["s0"]; ok || len(got) != 7 {
		t.Errorf("reasons %v; want one for each of the 7 shards without a result", got)
	}
}
