package worker

import (
	"context"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/store"
)

// progressWriter writes the engine's progress to the store at most every
// ProgressEvery, in the background so a slow store never holds the sampler.
type progressWriter struct {
	r    *Runtime
	m    events.ShardMessage
	mu   sync.Mutex
	last time.Time
	wg   sync.WaitGroup
	busy bool
	// Intervals not written (too soon, or a write busy) add up into the
	// next write, so live judgements see every request.
	pendReq, pendOK int64
	pendP99         time.Duration
}

func (r *Runtime) progressWriter(m events.ShardMessage) *progressWriter {
	return &progressWriter{r: r, m: m}
}

func (p *progressWriter) update(pr engine.Progress) {
	every := p.r.ProgressEvery
	if every == 0 {
		every = DefaultProgressEvery
	}
	now := time.Now()
	p.mu.Lock()
	p.pendReq += pr.IntervalRequests
	p.pendOK += pr.IntervalSuccess
	p.pendP99 = max(p.pendP99, pr.IntervalP99)
	// Nine tenths: the sampler's one-second intervals jitter around the
	// default period, and should not skip every other write.
	if p.busy || now.Sub(p.last) < every*9/10 {
		p.mu.Unlock()
		return
	}
	p.busy, p.last = true, now
	sp := events.ShardProgress{T: now.UTC(), ElapsedS: pr.Elapsed.Seconds(), Requests: pr.Requests,
		Errors: pr.Errors, Failed: pr.Failed, Dropped: pr.Dropped, Rate: pr.Rate, P99Ms: float64(pr.P99) / 1e6,
		IntervalRequests: p.pendReq, IntervalSuccess: p.pendOK, IntervalP99Ms: float64(p.pendP99) / 1e6}
	p.pendReq, p.pendOK, p.pendP99 = 0, 0, 0
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.r.Store.Put(ctx, store.ProgressKey(p.m.RunID, p.m.ShardID), marshal(sp), store.PutOptions{ContentType: "application/json"})
		p.mu.Lock()
		p.busy = false
		p.mu.Unlock()
	}()
}

// stop waits for a write in progress.
func (p *progressWriter) stop() { p.wg.Wait() }
