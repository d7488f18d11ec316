package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// Protocol is the wire protocol spoken to targets.
type Protocol int

// Protocols.
const (
	HTTP1 Protocol = iota // HTTP/1.1, over TLS for https targets
	HTTP2                 // HTTP/2 over TLS, negotiated by ALPN
	H2C                   // HTTP/2 over cleartext TCP with prior knowledge
)

// Defaults for Config fields left at zero.
const (
	DefaultMaxInflight = 1000
	// DefaultLateLimit is well above the timer resolution (about 1 ms when
	// the process is idle) and a typical GC pause, so only a real stall of
	// the generator drops arrivals.
	DefaultLateLimit = events.DefaultLateLimit
	// NoLateLimit as Config.LateLimit sends every arrival however late the
	// scheduler reaches it; its lag is counted.
	NoLateLimit time.Duration = -1
)

// Config is one engine run. Targets must have their defaults applied
// (events.RunSpec.WithDefaults).
type Config struct {
	Targets []events.Target
	// Pacer is the arrival schedule; nil runs a closed loop for Duration in
	// which every in-flight slot sends its next request as soon as it can.
	Pacer    pacer.Pacer
	Duration time.Duration
	// Start is when arrival 0 is due; zero means now.
	Start       time.Time
	MaxInflight int
	// LateLimit is how late the scheduler may send an arrival; later ones
	// are dropped. 0 means DefaultLateLimit; NoLateLimit never drops.
	LateLimit time.Duration
	// CoarseTimer makes the scheduler wait on Go's runtime timers instead
	// of a timerfd (see wait.go). Tests under testing/synctest must set it:
	// a timerfd is real I/O, which a bubble's fake clock never wakes.
	CoarseTimer bool
	Timeout     time.Duration
	// KeepAlive reuses connections; false dials one per arrival and closes it
	// after the response.
	KeepAlive   bool
	Protocol    Protocol
	Connections int // HTTP/2 connections per engine; 0 means 1
	Insecure    bool
	// Progress, if set, is called about once a second from the sampler.
	Progress func(Progress)
	// SamplePhase is how long after each whole second the sampler closes
	// it (the second's requests are taken at the whole second all the
	// same): engines sharing a process's CPUs, given different phases by
	// ShardPhase, close their seconds one after the other (see sampler).
	SamplePhase time.Duration
	// Proc reads host state for the health samples; nil uses /proc. The
	// engines given one Proc (or none) share its readings (health.Host).
	Proc *health.Proc
	// Resolve maps a host name to addresses, for dialing by address and for
	// counting TIME_WAIT sockets; nil uses the system resolver.
	Resolve func(host string) []netip.Addr
	// Journeys are multi-request iterations that arrivals may start, in the
	// weighted mix with Targets (see Journey). Targets may be empty when
	// there are journeys.
	Journeys []Journey
	// Index maps the shard's arrival index to the run's global one (its
	// stripe and window); nil is the identity. Journeys pick dataset rows
	// by it.
	Index func(local int64) int64
	// Dial, if set, opens connections instead of a net.Dialer: for tests
	// with in-memory connections (net.Pipe) under testing/synctest. It is
	// given addresses the guard checked, or a target's host name that
	// Resolve left unresolved (after the guard checked the name).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Redact, if set, hides secrets in the error messages the result keeps
	// (Counts.ErrorMessages): the worker passes its secret.Redactor's
	// Message. nil keeps them as they are; the engine's own errors hold no
	// URL or header, but a journey's may.
	Redact func(string) string
	// Guard decides which hosts and addresses connections may go to, the
	// journeys' included; the zero value refuses only the addresses that
	// are never contacted (link-local, instance metadata).
	Guard hostguard.Guard
}

// Progress is the engine's running summary, timed from the start of its
// schedule (the shard's window). The worker turns it into the wire's live
// progress, events.ShardProgress (package pkg/live describes its path).
type Progress struct {
	Elapsed, Length time.Duration
	Requests        int64 // completed
	Errors, Dropped int64
	Rate            float64       // requests sent per second in the last interval
	P99             time.Duration // from intended send, so far
	// The last interval (about a second, ending at Elapsed): requests
	// completed, successful ones, and their p99 from the intended send.
	IntervalRequests, IntervalSuccess int64
	IntervalP99                       time.Duration

	// Failed counts the completed requests so far that were not a success:
	// transport errors and statuses outside 2xx/3xx, as the report's
	// error ratio counts them (Requests − success).
	Failed int64

	// For live metrics: requests started so far, dropped arrivals reached
	// too late (among Dropped), requests in flight now, transport errors so
	// far by class (they add up to Errors), and the latencies so far from
	// the intended send: Latency[i] counts those at most
	// events.LatencyBucketsMs[i], LatencyCount all of them, LatencySum
	// their sum.
	Sent, DroppedLate, Inflight int64
	ErrorClasses                [errclass.NumClasses]int64
	Latency                     [len(events.LatencyBucketsMs)]int64
	LatencyCount                int64
	LatencySum                  time.Duration
}

// Engine runs one shard's schedule against its targets.
type Engine struct {
	cfg   Config
	reqs  []*request
	eps   []*endpoint
	table []int32
	h2    *h2pool

	start   time.Time
	stripes []*stripe
	sent    atomic.Int64 // requests started
	next    atomic.Int64 // closed loop: next arrival index
	sched   schedState   // open model: the next arrival
	drops   atomic.Int64
	late    atomic.Int64   // drops because the scheduler was late
	tdrops  []atomic.Int64 // drops per statistics target
	tlate   []atomic.Int64 // late drops per statistics target
	// Statistics targets: the plain targets, then per journey its
	// iteration target and its steps (statsLayout).
	names, kinds, groups []string
	jbase                []int        // journey j's iteration target
	items                []int32      // weight-table item (target, then journey) → statistics target
	conns                atomic.Int64 // open connections
	dials                atomic.Int64
	dialErrs             atomic.Int64
	abortCtx             context.Context // ends when requests in flight are cut off
	stopping             atomic.Bool     // scheduling has ended
	sendEnd              atomic.Int64    // when it ended (ns since the start), once Run knows
	aborted              atomic.Bool     // in-flight requests are being cut off

	// inflight counts requests (and journey iterations) in flight; peak is
	// the most there have been since the sampler last took it (inflight.go).
	inflight, peak atomic.Int64
	msgs           *messages // the error messages kept (messages.go)
	// guard dials the journeys' connections, and the engine's to a host
	// name it could not resolve in New (see dialProto).
	guard hostguard.Dialer

	mu      sync.Mutex
	idle    []*worker // LIFO: the most recently used slot (and its warm connection) goes first
	workers []*worker
	wg      sync.WaitGroup
}

// New prepares an engine; it resolves target hosts once.
func New(cfg Config) (*Engine, error) {
	if len(cfg.Targets) == 0 && len(cfg.Journeys) == 0 {
		return nil, errors.New("engine: no targets")
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = DefaultMaxInflight
	}
	switch {
	case cfg.LateLimit == 0:
		cfg.LateLimit = DefaultLateLimit
	case cfg.LateLimit < 0:
		cfg.LateLimit = NoLateLimit
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = events.DefaultTimeout
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 1
	}
	if cfg.Pacer == nil && cfg.Duration <= 0 {
		return nil, errors.New("engine: a closed loop needs a duration")
	}
	if cfg.Proc == nil {
		cfg.Proc = defaultProc
	}
	resolve := cfg.Resolve
	if cfg.Resolve == nil {
		cfg.Resolve = resolveSystem
	}
	// Journeys' hosts become endpoints too, for the health samples.
	all := cfg.Targets
	for _, j := range cfg.Journeys {
		for _, h := range j.Hosts() {
			all = append(all[:len(all):len(all)], events.Target{Name: h, Method: "GET", URL: "http://" + h + "/"})
		}
	}
	reqs, eps, err := prepare(all, cfg.Resolve)
	if err != nil {
		return nil, err
	}
	reqs = reqs[:len(cfg.Targets)]
	var weights []int
	for _, t := range cfg.Targets {
		weights = append(weights, t.Weight)
	}
	for _, j := range cfg.Journeys {
		weights = append(weights, max(j.Weight(), 1))
	}
	names, kinds, groups, jbase := statsLayout(cfg.Targets, cfg.Journeys)
	e := &Engine{cfg: cfg, reqs: reqs, eps: eps, table: weightTable(weights),
		tdrops: make([]atomic.Int64, len(names)), tlate: make([]atomic.Int64, len(names)),
		names: names, kinds: kinds, groups: groups, jbase: jbase,
		abortCtx: context.Background(), msgs: newMessages(cfg.Redact, len(names))}
	e.guard = hostguard.Dialer{Guard: cfg.Guard, Dial: e.dialCounted}
	if resolve != nil {
		e.guard.Resolve = func(_ context.Context, host string) ([]netip.Addr, error) { return resolve(host), nil }
	}
	for _, ep := range eps {
		ep.refused = refusal(cfg.Guard, ep)
	}
	for i := range cfg.Targets {
		e.items = append(e.items, int32(i))
	}
	for _, b := range jbase {
		e.items = append(e.items, int32(b))
	}
	for _, ep := range eps {
		if ep.tls {
			ep.tlsH1 = &tls.Config{ServerName: ep.serverName, InsecureSkipVerify: cfg.Insecure,
				NextProtos: []string{"http/1.1"}}
			// http/1.1 is offered too, so that a server without h2 says so
			// (errNoH2) rather than failing the handshake.
			ep.tlsH2 = &tls.Config{ServerName: ep.serverName, InsecureSkipVerify: cfg.Insecure,
				NextProtos: []string{"h2", "http/1.1"}}
		}
	}
	if cfg.Protocol != HTTP1 {
		e.h2 = newH2Pool(e)
	}
	n := min(max(2*runtime.GOMAXPROCS(0), 2), 64)
	if len(names) > 16 { // per-target histograms cost memory per stripe
		n = max(2, n*16/len(names))
	}
	perTarget := len(names) > 1 && len(names) <= MaxSeriesTargets
	for range n {
		e.stripes = append(e.stripes, newStripe(len(names), perTarget))
	}
	return e, nil
}

// refusal is why g refuses endpoint ep: its host name, or one of the
// addresses it resolved to (which are what the engine dials); nil if g
// allows it. The check is made once, as the endpoint's host and addresses
// do not change, and returned by every dial (see dialProto).
func refusal(g hostguard.Guard, ep *endpoint) error {
	err := g.Host(ep.serverName)
	for _, a := range ep.addrs {
		if err == nil {
			err = g.Addr(ep.serverName, a.Addr())
		}
	}
	if err != nil {
		return &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	return nil
}

func resolveSystem(host string) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, _ := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	return addrs
}

// Destinations are the resolved target addresses.
func (e *Engine) Destinations() []netip.AddrPort {
	var out []netip.AddrPort
	for _, ep := range e.eps {
		out = append(out, ep.addrs...)
	}
	return out
}

// now is the time since the start in nanoseconds (monotonic).
func (e *Engine) now() int64 { return int64(time.Since(e.start)) }

// Run sends the schedule. Scheduling ends when the pacer does, the closed
// loop's duration passes, or sched is done; requests in flight then finish
// within their timeout, or at once when abort is done. Run returns what it
// measured; an error means it stopped before the start, having sent
// nothing.
func (e *Engine) Run(sched, abort context.Context) (*Result, error) {
	e.start = e.cfg.Start
	if e.start.IsZero() {
		e.start = time.Now()
	}
	e.abortCtx = abort
	e.warm()
	// The sampler is made before the start: its first readings of /proc and
	// its histograms are no work for the moment the schedule begins, when
	// every shard of a run (every worker process of a --procs run) wakes at
	// once.
	smp := newSampler(e)
	if wait := time.Until(e.start); wait > 0 {
		w := newWaiter(sched, e.cfg.CoarseTimer)
		ok := w.wait(wait)
		w.close()
		if !ok {
			smp.stopWatch()
			return nil, fmt.Errorf("engine: stopped before the start: %w", context.Cause(sched))
		}
	}
	// How late the schedule began: the wake-up's imprecision, or how late
	// the caller came when the start was already past.
	skew := time.Since(e.start)
	stopAbort := context.AfterFunc(abort, e.interrupt)
	defer stopAbort()
	smpDone := make(chan struct{})
	go func() { smp.loop(); close(smpDone) }()

	if e.cfg.Pacer == nil {
		e.closedLoop(sched)
	} else {
		e.schedule(sched)
	}
	sendEnd := e.now()
	e.sendEnd.Store(sendEnd)
	interrupted := sched.Err() != nil // checked now: a cancel after the window is not an interruption
	e.stopping.Store(true)
	e.mu.Lock()
	for _, w := range e.workers {
		close(w.ch)
	}
	e.mu.Unlock()
	e.wg.Wait()
	if e.h2 != nil {
		e.h2.close()
	}
	smp.stop()
	<-smpDone
	res := e.result(time.Duration(sendEnd), smp)
	res.StartSkew = skew
	switch {
	case abort.Err() != nil:
		res.Stopped = StopAborted
	case interrupted:
		res.Stopped = StopInterrupted
	}
	return res, nil
}

// acquire returns an idle slot, starting a new one while under the cap, or
// nil when all MaxInflight slots are busy.
func (e *Engine) acquire() *worker {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n := len(e.idle); n > 0 {
		w := e.idle[n-1]
		e.idle = e.idle[:n-1]
		return w
	}
	if len(e.workers) >= e.cfg.MaxInflight {
		return nil
	}
	w := e.newWorker()
	e.wg.Add(1)
	go w.loopOpen()
	return w
}

func (e *Engine) release(w *worker) {
	e.mu.Lock()
	e.idle = append(e.idle, w)
	e.mu.Unlock()
}

// newWorker makes a slot; e.mu must be held.
func (e *Engine) newWorker() *worker {
	id := len(e.workers)
	w := &worker{e: e, id: id, st: e.stripes[id%len(e.stripes)], ch: make(chan arrival, 1),
		h1: make([]*h1conn, len(e.eps))}
	e.workers = append(e.workers, w)
	return w
}

// interrupt cuts off requests in flight: every connection's deadline is set
// in the past, and HTTP/2 connections are closed.
func (e *Engine) interrupt() {
	e.aborted.Store(true)
	e.mu.Lock()
	ws := append([]*worker(nil), e.workers...)
	e.mu.Unlock()
	for _, w := range ws {
		w.interrupt()
	}
	if e.h2 != nil {
		e.h2.close()
	}
}

// errAborted fails requests started after an abort.
var errAborted = fmt.Errorf("engine: aborted: %w", context.Canceled)

// fail records request error err in o: its class, detail and message.
func (e *Engine) fail(o *outcome, err error) {
	o.class, o.detail = errclass.Classify(err)
	o.msg = e.msgs.number(o.target, o.class, err)
}
