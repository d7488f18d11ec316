package engine

import (
	"strconv"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
)

// Statistics are striped: each worker records into one of a few stripes
// (worker id mod stripes), each behind its own mutex, uncontended in
// practice. A histogram of barrage's geometry takes about 180 KB, so one per
// goroutine would cost 180 MB at 1,000 in-flight slots; a handful of stripes
// keeps the recording lock-free in effect and memory flat. Stripes are merged
// at the end (totals); each second, the sampler takes every stripe's open
// interval away and puts an empty one in its place (see interval).

// maxStatus bounds status codes counted in arrays; others are counted as 0.
const maxStatus = 600

type detailKey struct {
	class  errclass.Class
	detail string
}

// counts are one target's counters in one stripe.
type counts struct {
	requests, success, bytesIn, bytesOut int64
	status                               [maxStatus]int64
	errs                                 [errclass.NumClasses]int64
	details                              map[detailKey]int64
	msgs                                 map[int32]int64 // by message number (messages.go)
}

func (c *counts) add(o *counts) {
	c.requests += o.requests
	c.success += o.success
	c.bytesIn += o.bytesIn
	c.bytesOut += o.bytesOut
	for i, n := range o.status {
		c.status[i] += n
	}
	for i, n := range o.errs {
		c.errs[i] += n
	}
	for k, n := range o.details {
		if c.details == nil {
			c.details = map[detailKey]int64{}
		}
		c.details[k] += n
	}
	for k, n := range o.msgs {
		if c.msgs == nil {
			c.msgs = map[int32]int64{}
		}
		c.msgs[k] += n
	}
}

// toEvents converts c into the wire form, with dropped arrivals (late ones
// among them) and the texts of its error messages.
func (c *counts) toEvents(dropped, late int64, msgs *messages) events.Counts {
	out := events.Counts{Requests: c.requests, Success: c.success, Dropped: dropped, DroppedLate: late,
		BytesIn: c.bytesIn, BytesOut: c.bytesOut}
	for code, n := range c.status {
		if n > 0 {
			if out.StatusCodes == nil {
				out.StatusCodes = map[string]int64{}
			}
			out.StatusCodes[strconv.Itoa(code)] += n
		}
	}
	for cl, n := range c.errs {
		if n > 0 {
			if out.Errors == nil {
				out.Errors = map[string]int64{}
			}
			out.Errors[errclass.Class(cl).String()] += n
		}
	}
	for k, n := range c.details {
		if out.ErrorDetails == nil {
			out.ErrorDetails = map[string]int64{}
		}
		out.ErrorDetails[k.class.String()+" "+k.detail] += n
	}
	out.ErrorMessages = msgs.toEvents(c.msgs)
	return out
}

// MaxSeriesTargets bounds the targets (a scenario's iterations and steps
// among them) of a run whose seconds are kept per target (Second.Targets):
// each costs a histogram per stripe, and its encoding in every second of
// the result. A run of one target has no per-target seconds: they would be
// the run's.
const MaxSeriesTargets = 16

// targetStats are one target's counters and latencies in one stripe.
type targetStats struct {
	counts
	lat, unc *hist.Histogram // from intended send, from actual send
}

// interval is what a stripe recorded in the open second. Its latencies are
// raw values, appended under the stripe's lock; the sampler records them
// into the second's histograms after it has swapped the interval for an
// empty one (takeInterval), outside the lock. A second then costs in
// proportion to its requests: merging and resetting per-stripe histograms
// (23,000 buckets each) took most of a second's closing time whatever the
// rate, and every shard of a process paid it at the same instant.
type interval struct {
	requests, success, errors int64
	errs                      [errclass.NumClasses]int64
	lat, unc, lag             []time.Duration // from intended send, from actual send; lag
	tlat                      []targetLatency // per target (stripe.perTarget), from intended send
	// spill takes the values past maxIntervalValues, straight into
	// histograms: memory stays bounded however fast the stripe records or
	// however late the sampler comes.
	spill *spill
}

// targetLatency is one target's latency from intended send.
type targetLatency struct {
	target int
	d      time.Duration
}

// maxIntervalValues bounds each of an interval's value lists: 65,536 per
// stripe and second, several times what a shard records at 100,000/s.
const maxIntervalValues = 1 << 16

// intervalValues is the capacity an interval starts with: a second at a
// modest rate records without growing it.
const intervalValues = 512

// spill holds an interval's values beyond maxIntervalValues.
type spill struct {
	lat, unc, lag *hist.Histogram
	tlat          []*hist.Histogram // per target; nil unless kept per target
}

func newInterval(perTarget bool) *interval {
	iv := &interval{lat: make([]time.Duration, 0, intervalValues), unc: make([]time.Duration, 0, intervalValues),
		lag: make([]time.Duration, 0, intervalValues)}
	if perTarget {
		iv.tlat = make([]targetLatency, 0, intervalValues)
	}
	return iv
}

// clear empties iv for reuse, keeping its lists' capacity and its spill's
// histograms.
func (iv *interval) clear() {
	iv.requests, iv.success, iv.errors, iv.errs = 0, 0, 0, [errclass.NumClasses]int64{}
	iv.lat, iv.unc, iv.lag, iv.tlat = iv.lat[:0], iv.unc[:0], iv.lag[:0], iv.tlat[:0]
	if sp := iv.spill; sp != nil {
		sp.lat.Reset()
		sp.unc.Reset()
		sp.lag.Reset()
		for _, h := range sp.tlat {
			h.Reset()
		}
	}
}

func (iv *interval) spilled(targets int) *spill {
	if iv.spill == nil {
		iv.spill = &spill{lat: hist.New(), unc: hist.New(), lag: hist.New()}
		if iv.tlat != nil {
			iv.spill.tlat = make([]*hist.Histogram, targets)
			for i := range iv.spill.tlat {
				iv.spill.tlat[i] = hist.New()
			}
		}
	}
	return iv.spill
}

// addLatency records a request's latencies.
func (iv *interval) addLatency(lat, unc time.Duration, targets int) {
	if len(iv.lat) < maxIntervalValues {
		iv.lat, iv.unc = append(iv.lat, lat), append(iv.unc, unc)
		return
	}
	sp := iv.spilled(targets)
	sp.lat.Record(lat)
	sp.unc.Record(unc)
}

// addLag records a request's scheduling lag.
func (iv *interval) addLag(lag time.Duration, targets int) {
	if len(iv.lag) < maxIntervalValues {
		iv.lag = append(iv.lag, lag)
		return
	}
	iv.spilled(targets).lag.Record(lag)
}

// addTarget records a latency of target t, if kept per target.
func (iv *interval) addTarget(t int, d time.Duration, targets int) {
	switch {
	case iv.tlat == nil:
	case len(iv.tlat) < maxIntervalValues:
		iv.tlat = append(iv.tlat, targetLatency{t, d})
	default:
		iv.spilled(targets).tlat[t].Record(d)
	}
}

// stripe is one lock's worth of statistics.
type stripe struct {
	mu        sync.Mutex
	targets   []targetStats
	perTarget bool // seconds are kept per target too (MaxSeriesTargets)
	lag       *hist.Histogram
	iv        *interval // the open second
}

func newStripe(targets int, perTarget bool) *stripe {
	return &stripe{targets: make([]targetStats, targets), perTarget: perTarget, lag: hist.New(),
		iv: newInterval(perTarget)}
}

// takeInterval ends the stripe's open second: it returns it and opens
// next, which must be empty.
func (s *stripe) takeInterval(next *interval) *interval {
	s.mu.Lock()
	iv := s.iv
	s.iv = next
	s.mu.Unlock()
	return iv
}

// outcome is one finished request. Times are nanoseconds since the start.
type outcome struct {
	target            int
	due, sent, end    int64
	status            int
	class             errclass.Class
	detail            string
	msg               int32 // the error message's number; 0 when not kept
	bytesIn, bytesOut int64
	// iteration marks a journey's iteration: kept in its own target only,
	// out of the per-second series and the lag, which are about requests.
	iteration bool
	// hop marks a request a later one of its journey step continues (a
	// redirect followed): a request without a latency or a lag of its own
	// (Step.Hops). expected counts its status as a success (Step.Expected).
	hop, expected bool
}

// record adds an outcome. It allocates only the first time a target records
// in this stripe and the first time an error detail is seen.
func (s *stripe) record(o *outcome) {
	s.mu.Lock()
	t := &s.targets[o.target]
	if t.lat == nil {
		t.lat, t.unc = hist.New(), hist.New()
	}
	t.requests++
	t.bytesIn += o.bytesIn
	t.bytesOut += o.bytesOut
	if o.iteration {
		s.recordIteration(t, o)
		s.mu.Unlock()
		return
	}
	s.iv.requests++
	if o.class != errclass.None {
		t.addError(o)
		s.iv.errors++
		s.iv.errs[o.class]++
	} else {
		if o.status > 0 && o.status < maxStatus {
			t.status[o.status]++
		} else {
			t.status[0]++
		}
		if o.status >= 200 && o.status < 400 || o.expected {
			t.success++
			s.iv.success++
		}
	}
	if o.hop {
		s.mu.Unlock()
		return
	}
	// Latency is recorded for requests that got a response and for those
	// that timed out (at the time barrage gave up): a fast failure such as a
	// refused connection is not a latency and would flatter the percentiles.
	if o.class == errclass.None || o.class == errclass.Timeout {
		lat, unc := time.Duration(o.end-o.due), time.Duration(o.end-o.sent)
		t.lat.Record(lat)
		t.unc.Record(unc)
		s.iv.addTarget(o.target, lat, len(s.targets))
		s.iv.addLatency(lat, unc, len(s.targets))
	}
	lag := time.Duration(o.sent - o.due)
	s.lag.Record(lag)
	s.iv.addLag(lag, len(s.targets))
	s.mu.Unlock()
}

// addError counts o's error class and detail.
func (t *targetStats) addError(o *outcome) {
	t.errs[o.class]++
	if o.detail != "" {
		if t.details == nil {
			t.details = map[detailKey]int64{}
		}
		t.details[detailKey{o.class, o.detail}]++
	}
	if o.msg > 0 {
		if t.msgs == nil {
			t.msgs = map[int32]int64{}
		}
		t.msgs[o.msg]++
	}
}

// recordIteration adds a journey's iteration to its target; s.mu is held.
func (s *stripe) recordIteration(t *targetStats, o *outcome) {
	if o.class != errclass.None {
		t.addError(o)
	} else {
		t.status[o.status]++
		t.success++
	}
	t.lat.Record(time.Duration(o.end - o.due))
	t.unc.Record(time.Duration(o.end - o.sent))
	s.iv.addTarget(o.target, time.Duration(o.end-o.due), len(s.targets))
}
