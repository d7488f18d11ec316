package worker

import (
	"context"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/store"
)

// progressWriter makes a shard's live progress from the engine's, at most
// every ProgressEvery, hands it to the Runtime's Progress hook and writes
// it to the store, in the background so a slow store never holds the
// sampler. Intervals not yet in a progress (too soon), or in one not
// written (a write busy), add up into the next, so live judgements see
// every request.
type progressWriter struct {
	r *Runtime
	m events.ShardMessage

	mu   sync.Mutex
	last time.Time
	// The engine's intervals since the last progress.
	ivReq, ivOK int64
	ivP99       time.Duration
	// busy: a write is in flight; unwritten, if set, waits for it.
	busy      bool
	unwritten *events.ShardProgress
	wg        sync.WaitGroup
	emf       *emf // nil: no EMF lines
}

func (r *Runtime) progressWriter(m events.ShardMessage) *progressWriter {
	p := &progressWriter{r: r, m: m}
	if r.EMF != nil {
		p.emf = &emf{w: r.EMF, kind: r.Kind}
	}
	return p
}

func (p *progressWriter) update(pr engine.Progress) {
	every := p.r.ProgressEvery
	if every == 0 {
		every = DefaultProgressEvery
	}
	now := time.Now()
	p.mu.Lock()
	p.ivReq += pr.IntervalRequests
	p.ivOK += pr.IntervalSuccess
	p.ivP99 = max(p.ivP99, pr.IntervalP99)
	// Nine tenths: the sampler's one-second intervals jitter around the
	// default period, and should not skip every other progress.
	if now.Sub(p.last) < every*9/10 {
		p.mu.Unlock()
		return
	}
	p.last = now
	pr.IntervalRequests, pr.IntervalSuccess, pr.IntervalP99 = p.ivReq, p.ivOK, p.ivP99
	p.ivReq, p.ivOK, p.ivP99 = 0, 0, 0
	p.mu.Unlock()
	sp := shardProgress(&p.m, pr, now)
	if f := p.r.Progress; f != nil {
		f(p.m.RunID, p.m.ShardID, sp)
	}
	if p.emf != nil {
		p.emf.line(p.m.RunID, p.m.ShardID, sp)
	}
	p.write(sp)
}

// shardProgress is the engine's progress pr, taken at now, as the wire
// carries it: timed from the run's start, the one place where the
// window's offset is added to the engine's time.
func shardProgress(m *events.ShardMessage, pr engine.Progress, now time.Time) events.ShardProgress {
	sp := events.ShardProgress{T: now.UTC(), Elapsed: events.Seconds(m.WindowFrom.D() + pr.Elapsed),
		Requests: pr.Requests, Errors: pr.Errors, Failed: pr.Failed, Dropped: pr.Dropped, Rate: pr.Rate,
		P99: events.Millis(pr.P99), IntervalRequests: pr.IntervalRequests, IntervalSuccess: pr.IntervalSuccess,
		IntervalP99: events.Millis(pr.IntervalP99), Sent: pr.Sent, DroppedLate: pr.DroppedLate, Inflight: pr.Inflight,
		Latency: &events.LatencyBuckets{Counts: append([]int64(nil), pr.Latency[:]...), Count: pr.LatencyCount,
			SumMs: float64(pr.LatencySum) / float64(time.Millisecond)}}
	for c, n := range pr.ErrorClasses {
		if n > 0 {
			if sp.ErrorClasses == nil {
				sp.ErrorClasses = map[string]int64{}
			}
			sp.ErrorClasses[errclass.Class(c).String()] = n
		}
	}
	return sp
}

// write writes sp to the store, or, while a write is in flight, leaves it
// (standing for any other left before it) to be written next.
func (p *progressWriter) write(sp events.ShardProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy {
		if p.unwritten != nil {
			sp = sp.Since(*p.unwritten)
		}
		p.unwritten = &sp
		return
	}
	p.busy = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			p.r.Store.Put(ctx, store.ProgressKey(p.m.RunID, p.m.ShardID), marshal(sp), store.PutOptions{ContentType: "application/json"})
			cancel()
			p.mu.Lock()
			if p.unwritten == nil {
				p.busy = false
				p.mu.Unlock()
				return
			}
			sp, p.unwritten = *p.unwritten, nil
			p.mu.Unlock()
		}
	}()
}

// stop waits for the writes in flight.
func (p *progressWriter) stop() { p.wg.Wait() }
