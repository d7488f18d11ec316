package engine

// Requests in flight are counted where they start and end: begin when a
// slot takes an arrival, the matching decrement when its request (or
// journey iteration) has been recorded. Each slot runs one at a time, so the
// count can never exceed MaxInflight. The health samples report the most
// there were at once during each interval (peak), not the count at the
// moment of sampling: slots that cycle within a millisecond are all busy
// most of the time, yet a point sample may catch few of them, and one taken
// from two counters read at different moments (started minus finished) can
// even exceed the cap.

// begin counts one more request in flight and raises the peak to match.
// It is on the hot path: an atomic add, and a load that, once the peak is
// reached, settles it without a compare-and-swap.
func (e *Engine) begin() { e.raisePeak(e.inflight.Add(1)) }

// takePeak returns the most requests in flight since the last call and
// starts the next interval's peak at the number in flight now. Requests
// that start meanwhile raise the new peak themselves, so no level the
// count reaches is missed by both intervals.
func (e *Engine) takePeak() int64 {
	p := e.peak.Swap(0)
	e.raisePeak(e.inflight.Load())
	return p
}

// raisePeak makes the peak at least n.
func (e *Engine) raisePeak(n int64) {
	for {
		p := e.peak.Load()
		if n <= p || e.peak.CompareAndSwap(p, n) {
			return
		}
	}
}
