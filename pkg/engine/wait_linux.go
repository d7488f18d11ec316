package engine

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerfd waits on a Linux timerfd read through the runtime's poller, with
// a read deadline at the same instant. The two cover each other's blind
// spot: when the process is idle the runtime sleeps in epoll_wait, which
// the timerfd (a kernel hrtimer, 50 µs timer slack) wakes on time where a
// runtime timer would wait for the next whole millisecond; when the process
// is busy the runtime may not poll for up to 10 ms, but it checks its timers,
// and with them the read deadline, at every scheduling round.
type timerfd struct {
	fd   int
	f    *os.File
	spec unix.ItimerSpec
	buf  [8]byte
	done <-chan struct{}
	stop func() bool
}

// newWaiter returns a timerfd waiter, or a runtime timer if timerfd is
// unavailable or coarse is set (tests under testing/synctest).
func newWaiter(ctx context.Context, coarse bool) waiter {
	if coarse {
		return newGoTimer(ctx)
	}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newGoTimer(ctx)
	}
	t := &timerfd{fd: fd, f: os.NewFile(uintptr(fd), "timerfd"), done: ctx.Done()}
	// Ending the context makes a pending read return at once.
	t.stop = context.AfterFunc(ctx, func() { t.f.SetReadDeadline(time.Unix(1, 0)) })
	return t
}

func (t *timerfd) wait(d time.Duration) bool {
	// Re-arming also clears any expiration left over from the last wait.
	t.spec.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(t.fd, 0, &t.spec, nil); err != nil {
		time.Sleep(d) // cannot happen with a valid fd and value; degrade to coarse
		return true
	}
	t.f.SetReadDeadline(time.Now().Add(d))
	select { // after setting the deadline: a cancel from now on overrides it
	case <-t.done:
		return false
	default:
	}
	t.f.Read(t.buf[:]) // returns at the expiration or the deadline, whichever is first
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

func (t *timerfd) close() {
	t.stop()
	t.f.Close()
}
