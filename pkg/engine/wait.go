package engine

import (
	"context"
	"time"
)

// waiter sleeps the scheduler until an arrival is due. Go's runtime timers
// are precise while the process is busy, but when it is idle the runtime
// sleeps in epoll_wait, whose timeout is in whole milliseconds: a timer due
// in 50 µs then fires about 1 ms late. That lateness would be reported as
// scheduling lag and added to every latency from the intended send, so on
// Linux the scheduler waits on a timerfd instead (see wait_linux.go), which
// wakes the runtime's poller with the kernel's high-resolution timers.
type waiter interface {
	// wait sleeps for d. It returns false if the context ended first.
	wait(d time.Duration) bool
	close()
}

// goTimer waits on a reused runtime timer: about 1 ms resolution when the
// process is idle, and the only waiter that follows testing/synctest's
// fake clock.
type goTimer struct {
	t    *time.Timer
	done <-chan struct{}
}

func newGoTimer(ctx context.Context) *goTimer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &goTimer{t: t, done: ctx.Done()}
}

func (g *goTimer) wait(d time.Duration) bool {
	g.t.Reset(d)
	select {
	case <-g.done:
		g.t.Stop()
		return false
	case <-g.t.C:
		return true
	}
}

func (g *goTimer) close() { g.t.Stop() }
