package engine

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerfd waits on a Linux timerfd read through the runtime's poller: the
// goroutine parks as on any socket, and the kernel's hrtimer (timer slack
// 50 µs by default) wakes the poller when the arrival is due.
type timerfd struct {
	fd   int
	f    *os.File
	spec unix.ItimerSpec
	buf  [8]byte
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
	t := &timerfd{fd: fd, f: os.NewFile(uintptr(fd), "timerfd")}
	// Ending the context makes a pending or later read return at once.
	t.stop = context.AfterFunc(ctx, func() { t.f.SetReadDeadline(time.Unix(1, 0)) })
	return t
}

func (t *timerfd) wait(d time.Duration) bool {
	t.spec.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(t.fd, 0, &t.spec, nil); err != nil {
		time.Sleep(d) // cannot happen with a valid fd and value; degrade to coarse
		return true
	}
	_, err := t.f.Read(t.buf[:])
	return err == nil
}

func (t *timerfd) close() {
	t.stop()
	t.f.Close()
}
