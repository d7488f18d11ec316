package orchestrator

import (
	"context"
	"encoding/json"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/store"
)

// watchProgress reads every shard's progress object four times a second
// (shards write theirs about once a second: reading no slower keeps from
// missing one) and passes the new ones to f, until the returned stop is
// called.
func watchProgress(st store.Store, p *events.Plan, f func(int, engine.Progress)) (stop func()) {
	if f == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		last := make([]time.Time, len(p.Shards))
		for {
			final := false
			select {
			case <-ctx.Done():
				final = true // one last look, then stop
			case <-t.C:
			}
			for i, s := range p.Shards {
				b, err := st.Get(context.Background(), store.ProgressKey(p.RunID, s.ShardID))
				if err != nil {
					continue
				}
				var sp events.ShardProgress
				if json.Unmarshal(b, &sp) != nil || !sp.T.After(last[i]) {
					continue
				}
				last[i] = sp.T
				f(i, engine.Progress{Elapsed: time.Duration(sp.ElapsedS * float64(time.Second)),
					Length: s.WindowTo.D() - s.WindowFrom.D(), Requests: sp.Requests, Errors: sp.Errors,
					Dropped: sp.Dropped, Rate: sp.Rate, P99: time.Duration(sp.P99Ms * float64(time.Millisecond)),
					IntervalRequests: sp.IntervalRequests, IntervalSuccess: sp.IntervalSuccess,
					IntervalP99: time.Duration(sp.IntervalP99Ms * float64(time.Millisecond))})
			}
			if final {
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}
