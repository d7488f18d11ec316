package engine

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
)

// Journey is a multi-request iteration, a virtual user's visit, that an
// arrival may start instead of sending one request: log in, refresh the
// token eight times, log out. pkg/scenario implements it; the engine
// schedules its arrivals, lends it a counted dialer and keeps its metrics.
//
// Metrics. Each step is reported as a target of its own, named
// "JOURNEY/STEP" (TargetResult.Kind "step"), and its requests count in the
// run's totals like any other request. The journey's iterations are reported
// as one more target named JOURNEY (Kind "iteration"): one "request" per
// iteration, its latency from the arrival's due time to the end of the last
// step (think times included), an error class when a step failed. Iterations
// are kept out of the totals, which count HTTP requests; arrivals dropped
// because every slot was busy count against the iteration target and in the
// total drops, so that plain requests + iterations + drops = arrivals.
type Journey interface {
	// Name labels the journey; Weight is its share of arrivals beside the
	// targets and the other journeys (0 means 1).
	Name() string
	Weight() int
	// Steps names the steps, in the order Iterate records them.
	Steps() []string
	// Hosts are the journey's "host:port" destinations, for the TIME_WAIT
	// and connection health samples.
	Hosts() []string
	// Iterate runs one iteration, recording each step it sends with
	// it.Record. It returns nil when every step passed, or the error that
	// stopped the iteration (an *IterationError, or a transport error). It
	// must return soon after ctx ends (the run is aborted), and keep
	// nothing of it: the engine reuses it.
	Iterate(ctx context.Context, it *Iteration) error
}

// Iteration is one arrival handed to a Journey.
type Iteration struct {
	// Index is the arrival's index in the run's global schedule (the same
	// across shards, windows and retries): it picks the dataset row.
	Index int64
	// Slot is the in-flight slot running the iteration, in [0, MaxInflight).
	Slot int
	// Due is when the arrival was due.
	Due time.Time
	// Timeout bounds each request, from its send to the end of its body.
	Timeout time.Duration

	w    *worker
	base int // the journey's first statistics index (its iteration target)
}

// Dial opens a TCP connection the way the engine's own requests do:
// through the engine's guard (the host name, then every address it
// resolves to with Config.Resolve or the system resolver; a refusal sends
// nothing and has the class forbidden_host), counted in the dials,
// connection and error figures of the health samples, and cut off when the
// run is aborted.
func (it *Iteration) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	e := it.w.e
	nc, err := e.guard.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	e.conns.Add(1)
	return &journeyConn{Conn: nc, e: e}, nil
}

// Expired reports whether the run is over for this iteration: scheduling
// ended more than one request timeout ago. An iteration then starts no
// further step. Until then it goes on (as k6's graceful stop lets
// iterations finish), so that the last journeys of a run are not all cut
// short; an abort cuts everything off at once through ctx.
func (it *Iteration) Expired() bool {
	e := it.w.e
	if !e.stopping.Load() {
		return false
	}
	end := e.sendEnd.Load()
	return end > 0 && e.now() > end+int64(e.cfg.Timeout)
}

// Step is one request of an iteration, as recorded.
type Step struct {
	// Due is when the step was meant to start: the arrival's due time for
	// the first step, the end of the previous step plus its think time for
	// the others. Latency is measured from it, so a slow generator counts.
	Due, Sent, End time.Time
	Status         int
	// Err is the transport error, if any; an unexpected status is not one.
	Err error
	// BytesIn and BytesOut count the step's requests, Hops included.
	BytesIn, BytesOut int64
	// Hops are the statuses of the requests the step sent before its last
	// one, whose outcome the other fields are: the redirects of a login
	// chain. Each counts as a request of the step and of the totals, with
	// its status, but not as a latency: the step's latency, from Due to
	// End, covers the whole chain.
	Hops []int
	// Expected marks a status outside 2xx/3xx that the step asked for (a
	// refresh refused after a logout): it counts as a success.
	Expected bool
}

// Record adds the outcome of step i (in Steps' order).
func (it *Iteration) Record(i int, s Step) {
	e := it.w.e
	o := &it.w.o
	target := it.base + 1 + i
	for _, status := range s.Hops {
		*o = outcome{target: target, due: e.since(s.Sent), sent: e.since(s.Sent), end: e.since(s.End),
			status: status, hop: true}
		e.sent.Add(1)
		it.w.st.record(o)
	}
	*o = outcome{target: target, due: e.since(s.Due), sent: e.since(s.Sent), end: e.since(s.End),
		status: s.Status, bytesIn: s.BytesIn, bytesOut: s.BytesOut, expected: s.Expected}
	if s.Err != nil {
		e.fail(o, s.Err)
	}
	e.sent.Add(1)
	it.w.st.record(o)
}

// IterationError is why an iteration stopped early although its requests
// got answers: a step answered with a status it does not expect, or a
// value a later step needs was not in a response.
type IterationError struct {
	Step   string
	Class  errclass.Class // errclass.Unexpected or errclass.Extract
	Detail string         // the status, or the variable that was missing
}

func (e *IterationError) Error() string {
	return "step " + e.Step + ": " + e.Class.String() + " " + e.Detail
}

// ErrorClass implements errclass.Classer.
func (e *IterationError) ErrorClass() (errclass.Class, string) {
	return e.Class, e.Step + ": " + e.Detail
}

// since converts t to nanoseconds since the engine's start.
func (e *Engine) since(t time.Time) int64 { return int64(t.Sub(e.start)) }

// doJourney runs arrival a as an iteration of journey j.
func (w *worker) doJourney(j int, a arrival) {
	e := w.e
	it := iterations.Get().(*Iteration)
	defer iterations.Put(it)
	*it = Iteration{Index: e.global(a.i), Slot: w.id, Due: e.start.Add(time.Duration(a.due)),
		Timeout: e.cfg.Timeout, w: w, base: e.jbase[j]}
	var err error
	if e.aborted.Load() {
		err = errAborted
	} else {
		err = e.cfg.Journeys[j].Iterate(e.abortCtx, it)
	}
	o := &w.o
	*o = outcome{target: it.base, due: a.due, sent: a.due, end: e.now(), status: 200, iteration: true}
	if err != nil {
		o.status = 0
		e.fail(o, err)
		var ie *IterationError
		if errors.As(err, &ie) && ie.Class == errclass.Unexpected {
			// The iteration got answers; its failure is told by its class.
			o.detail = ie.Step + ": " + ie.Detail
		}
	}
	w.st.record(o)
}

// iterations are the Iterations handed to journeys, reused: a journey
// keeps none once Iterate returned.
var iterations = sync.Pool{New: func() any { return new(Iteration) }}

// global maps a local arrival index to the run's global index.
func (e *Engine) global(i int64) int64 {
	if e.cfg.Index != nil {
		return e.cfg.Index(i)
	}
	return i
}

// journeyConn keeps the engine's open-connection count when a journey's
// HTTP client closes a connection.
type journeyConn struct {
	net.Conn
	e    *Engine
	once sync.Once
}

func (c *journeyConn) Close() error {
	c.once.Do(func() { c.e.conns.Add(-1) })
	return c.Conn.Close()
}

// statsLayout lists the statistics targets: the plain targets, then per
// journey its iteration target and its steps. It returns their names and
// kinds and each journey's first index.
func statsLayout(targets []events.Target, journeys []Journey) (names, kinds, groups []string, jbase []int) {
	for _, t := range targets {
		names, kinds, groups = append(names, t.Name), append(kinds, ""), append(groups, "")
	}
	for _, j := range journeys {
		jbase = append(jbase, len(names))
		names, kinds, groups = append(names, j.Name()), append(kinds, events.TargetIteration), append(groups, j.Name())
		for _, s := range j.Steps() {
			names, kinds, groups = append(names, j.Name()+"/"+s), append(kinds, events.TargetStep), append(groups, j.Name())
		}
	}
	return names, kinds, groups, jbase
}
