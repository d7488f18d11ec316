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
	if p.busy || now.Sub(p.last) < every {
		p.mu.Unlock()
		return
	}
	p.busy, p.last = true, now
	p.mu.Unlock()
	sp := events.ShardProgress{T: now.UTC(), ElapsedS: pr.Elapsed.Seconds(), Requests: pr.Requests,
		Errors: pr.Errors, Dropped: pr.Dropped, Rate: pr.Rate, P99Ms: float64(pr.P99) / 1e6}
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
