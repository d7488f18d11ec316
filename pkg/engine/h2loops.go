package engine

// The goroutines that serve an h2conn besides its reader (h2read.go): the
// writer, which sends what the streams and the reader queued, and the
// sweeper, which resets streams whose timeout passed.

import (
	"runtime"
	"time"

	"golang.org/x/net/http2"
)

// writeLoop writes what is queued, several streams' frames at a time.
func (c *h2conn) writeLoop() {
	for {
		select {
		case <-c.kick:
		case <-c.done:
			return
		}
		// Let the other streams due now queue their frames first.
		runtime.Gosched()
		c.mu.Lock()
		buf := c.out.b
		c.out.b = c.spare[:0]
		c.kicked = false
		c.mu.Unlock()
		if len(buf) > 0 {
			if _, err := c.nc.Write(buf); err != nil {
				c.fail(err)
				return
			}
		}
		c.spare = buf[:0]
	}
}

// watch makes sure the sweeper wakes by s's deadline; mu is held. In a
// steady run every new deadline is later than the sweeper's next wake-up,
// and nothing is done.
func (c *h2conn) watch(s *h2stream) {
	if s.deadline < c.sweepAt {
		c.sweepAt = s.deadline
		select {
		case c.rearm <- struct{}{}:
		default:
		}
	}
}

// sweepLoop resets the streams whose deadline passed and fails requests
// that waited for a stream until theirs. It sleeps until the earliest
// deadline of the streams open or waiting (a request's timeout when there
// are none), woken earlier by watch.
func (c *h2conn) sweepLoop() {
	e := c.p.e
	t := time.NewTimer(e.cfg.Timeout)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.rearm:
		case <-c.done:
			return
		}
		now := e.now()
		next := now + int64(e.cfg.Timeout)
		c.mu.Lock()
		for _, s := range c.ring {
			switch {
			case s == nil:
			case now >= s.deadline:
				c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel)
				c.finish(s, errStreamTimeout)
			default:
				next = min(next, s.deadline)
			}
		}
		for i := 0; i < len(c.waiters); {
			s := c.waiters[i]
			if now >= s.deadline {
				c.dropWaiter(s)
				s.done, s.err = true, errStreamTimeout
				s.signal()
				continue
			}
			next = min(next, s.deadline)
			i++
		}
		c.sweepAt = next
		c.kickLocked()
		c.mu.Unlock()
		t.Reset(time.Duration(next - now))
	}
}
