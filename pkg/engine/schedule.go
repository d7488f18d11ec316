package engine

import (
	"context"
	"sync"
	"time"
)

// Dispatching arrivals. The scheduler goroutine sleeps until the next
// arrival is due, then dispatches every arrival due by now: each goes to an
// idle slot, or is dropped when all MaxInflight slots are busy, or when the
// dispatcher reaches it more than LateLimit after its due time (the process
// was stalled; sending it would start a burst the schedule never asked for).
//
// Workers dispatch too: a worker that finishes a request takes the next
// arrival itself if it is already due, before going idle. A worker that has
// just finished is an idle slot, so this changes no outcome; it spares a
// goroutine wake-up per request at high rates, and it keeps arrivals on time
// when the CPU is busy, because a busy runtime may leave the woken scheduler
// goroutine queued behind runnable workers for milliseconds.

// schedState is the next arrival of the schedule, shared by the scheduler
// and the workers.
type schedState struct {
	mu   sync.Mutex
	i    int64 // index of the next arrival
	due  int64 // its due time, ns since the start
	more bool  // false when the schedule holds no more arrivals
}

// reset points the schedule at its first arrival.
func (e *Engine) resetSchedule() {
	d, ok := e.cfg.Pacer.Due(0)
	e.sched = schedState{due: int64(d), more: ok}
}

// peek returns the next arrival's due time, and false when there is none.
func (e *Engine) peek() (int64, bool) {
	e.sched.mu.Lock()
	defer e.sched.mu.Unlock()
	return e.sched.due, e.sched.more && !e.stopping.Load()
}

// claim takes the next arrival if it is due by now.
func (e *Engine) claim(now int64) (arrival, bool) {
	s := &e.sched
	s.mu.Lock()
	if !s.more || s.due > now || e.stopping.Load() {
		s.mu.Unlock()
		return arrival{}, false
	}
	a := arrival{i: s.i, due: s.due}
	s.i++
	d, ok := e.cfg.Pacer.Due(s.i)
	s.due, s.more = int64(d), ok
	s.mu.Unlock()
	return a, true
}

// tooLate reports whether arrival a, reached at now, is too late to send, and
// if so counts it as dropped.
func (e *Engine) tooLate(a arrival, now int64) bool {
	if e.cfg.LateLimit == NoLateLimit || now-a.due <= int64(e.cfg.LateLimit) {
		return false
	}
	ti := e.items[e.table[a.i%int64(len(e.table))]]
	e.late.Add(1)
	e.tlate[ti].Add(1)
	e.drops.Add(1)
	e.tdrops[ti].Add(1)
	return true
}

// dispatch hands every arrival due by now to an idle slot, or drops it.
func (e *Engine) dispatch(now int64) {
	for {
		a, ok := e.claim(now)
		if !ok {
			return
		}
		if e.tooLate(a, now) {
			continue
		}
		if w := e.acquire(); w != nil {
			w.ch <- a
			continue
		}
		ti := e.items[e.table[a.i%int64(len(e.table))]]
		e.drops.Add(1)
		e.tdrops[ti].Add(1)
	}
}

// schedule runs the scheduler until the schedule's window ends or ctx is
// done; it marks the engine stopping before it returns.
func (e *Engine) schedule(ctx context.Context) {
	defer e.stopping.Store(true)
	e.resetSchedule()
	w := newWaiter(ctx, e.cfg.CoarseTimer)
	defer w.close()
	done := ctx.Done()
	for {
		due, more := e.peek()
		if !more {
			// The window lasts the pacer's length even after its last arrival.
			due = int64(e.cfg.Pacer.Length())
		}
		if now := e.now(); due > now {
			if !w.wait(time.Duration(due - now)) {
				return
			}
			continue // someone may have taken the arrival meanwhile
		}
		select {
		case <-done:
			return
		default:
		}
		if !more {
			return
		}
		e.dispatch(e.now())
	}
}

// closedLoop runs MaxInflight slots back to back for the duration.
func (e *Engine) closedLoop(ctx context.Context) {
	defer e.stopping.Store(true)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Duration)
	defer cancel()
	e.mu.Lock()
	for range e.cfg.MaxInflight {
		w := e.newWorker()
		e.wg.Add(1)
		go w.loopClosed()
	}
	e.mu.Unlock()
	<-ctx.Done()
}

// warmPerSlot: keep-alive runs open one connection per this many arrivals
// per second of their peak rate before the start.
const (
	warmPerSlot = 1000
	maxWarm     = 64
)

// warm opens connections before the start of a keep-alive open-model run,
// in slots that go idle once connected, so the first second measures the
// target rather than a dial storm of the generator's own making: at 20,000
// arrivals per second, arrivals come faster than a connection can be set up,
// and each that finds no idle slot would start one more. It opens
// ⌈peak rate / warmPerSlot⌉ connections (at most maxWarm and MaxInflight),
// or the HTTP/2 pool's connections. Dials made here count in the health
// figures like any other; the run starts on time whether they are done or
// not.
func (e *Engine) warm() {
	p := e.cfg.Pacer
	if p == nil || !e.cfg.KeepAlive || time.Until(e.start) <= 0 {
		return
	}
	deadline := e.start.Add(e.cfg.Timeout)
	if e.h2 != nil {
		for ep, slots := range e.h2.slots {
			for _, s := range slots {
				go e.h2.get(s, ep, deadline)
			}
		}
		return
	}
	peak := max(p.Rate(0), p.Rate(p.Length()))
	n := min(int((peak+warmPerSlot-1)/warmPerSlot), maxWarm, e.cfg.MaxInflight)
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		w := e.newWorker()
		e.wg.Add(1)
		go func() {
			for ep := range e.eps {
				if nc, err := e.dial(ep, deadline); err == nil {
					w.mu.Lock()
					c := new(h1conn)
					c.attach(nc)
					w.h1[ep] = c
					w.mu.Unlock()
				}
			}
			e.release(w)
			w.loopOpen()
		}()
	}
}
