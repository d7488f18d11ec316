package engine

import (
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/hist"
)

// sampler closes one interval per second of the run: it collects the
// stripes' interval counters and histograms into a time-series point, samples
// the generator's health, and reports progress. It is the only reader of the
// intervals, so it owns the aggregate histograms.
type sampler struct {
	e        *Engine
	lat, unc *hist.Histogram // the interval being closed, merged over stripes
	lag      *hist.Histogram
	tlat     []*hist.Histogram // per target, the interval being closed; nil unless kept per target
	cum      *hist.Histogram   // every interval so far, for progress
	stopc    chan struct{}
	stopOnce sync.Once

	k                   int // intervals closed
	lastAt              time.Duration
	lastSent, lastDrops int64
	lastCPU             time.Duration
	lastHost            health.HostCPU
	requests, errors    int64
	failed              int64 // requests that were not a success
	// For live metrics (Progress): errors by class and latency buckets so
	// far, counted by buck from each interval's histogram.
	errClasses [errclass.NumClasses]int64
	bounds     [len(events.LatencyBucketsMs)]time.Duration
	buckets    [len(events.LatencyBucketsMs)]int64
	latN       int64
	latSum     time.Duration
	buck       *hist.Bucketer

	dst      []netip.AddrPort // target addresses, for TIME_WAIT counts
	timeWait int              // the last count
	twAt     time.Time        // when it was read
	twEvery  time.Duration    // how often it may be read

	series  []Second
	samples []events.HealthSample
	limits  events.Health
}

func newSampler(e *Engine) *sampler {
	s := &sampler{e: e, lat: hist.New(), unc: hist.New(), lag: hist.New(), cum: hist.New(), stopc: make(chan struct{})}
	for i, b := range events.LatencyBucketsMs {
		s.bounds[i] = time.Duration(b * float64(time.Millisecond))
	}
	if len(e.stripes) > 0 && e.stripes[0].perTarget {
		s.tlat = make([]*hist.Histogram, len(e.names))
	}
	s.limits.CPUs = runtime.GOMAXPROCS(0)
	s.dst = e.Destinations()
	if pr, err := e.cfg.Proc.PortRange(); err == nil {
		s.limits.PortRangeLow, s.limits.PortRangeHigh = pr.Low, pr.High
	}
	s.lastHost, _ = e.cfg.Proc.HostCPU()
	if snap, err := e.cfg.Proc.Self(); err == nil {
		s.lastCPU = snap.CPUTime
		s.limits.FDLimit = snap.FDLimit
	}
	return s
}

// loop closes an interval at every whole second after the start, and a last
// partial one when stopped.
func (s *sampler) loop() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := time.Duration(s.k+1) * time.Second
		t.Reset(time.Until(s.e.start.Add(next)))
		select {
		case <-s.stopc:
			s.close(time.Since(s.e.start), true)
			return
		case <-t.C:
			s.close(next, false)
		}
	}
}

func (s *sampler) stop() { s.stopOnce.Do(func() { close(s.stopc) }) }

// shortTail: a last interval shorter than this, in which nothing happened,
// adds no time-series point, and reports no progress: it is the moment
// between the last whole second and the end of the run.
const shortTail = 500 * time.Millisecond

// close ends the interval [lastAt, at); final is the run's last interval.
func (s *sampler) close(at time.Duration, final bool) {
	e := s.e
	if at <= s.lastAt {
		return
	}
	var req, succ, errs int64
	var classes [errclass.NumClasses]int64
	for _, st := range e.stripes {
		st.mu.Lock()
		mergeOrPanic(s.lat, st.iv.lat)
		mergeOrPanic(s.unc, st.iv.unc)
		mergeOrPanic(s.lag, st.iv.lag)
		req += st.iv.requests
		succ += st.iv.success
		errs += st.iv.errors
		for c, n := range st.iv.errs {
			classes[c] += n
		}
		st.iv.requests, st.iv.success, st.iv.errors, st.iv.errs = 0, 0, 0, [errclass.NumClasses]int64{}
		st.iv.lat.Reset()
		st.iv.unc.Reset()
		st.iv.lag.Reset()
		s.takeTargets(st)
		st.mu.Unlock()
	}
	sent, drops := e.sent.Load(), e.drops.Load()
	secs := (at - s.lastAt).Seconds()
	t0 := e.start.Add(s.lastAt).Unix()
	tail := final && at-s.lastAt < shortTail
	if !tail || req > 0 || drops > s.lastDrops {
		latBytes, _ := s.lat.MarshalBinary()
		uncBytes, _ := s.unc.MarshalBinary()
		s.series = append(s.series, Second{Start: e.start.Add(s.lastAt), Requests: req, Success: succ, Errors: errs,
			ErrorClasses: classes, Dropped: drops - s.lastDrops, Latency: latBytes, LatencyUncorrected: uncBytes,
			Targets: s.targetBytes()})
	}
	for _, h := range s.tlat {
		if h != nil {
			h.Reset()
		}
	}

	hs := events.HealthSample{T: t0, IntervalS: secs, AchievedRate: float64(sent-s.lastSent) / secs,
		LagP99Ms: ms(s.lag.Quantile(0.99)), Dropped: drops - s.lastDrops,
		Inflight: e.takePeak(), OpenConns: e.conns.Load()}
	if p := e.cfg.Pacer; p != nil {
		hs.PlannedRate = float64(p.Arrivals(at)-p.Arrivals(s.lastAt)) / secs
	}
	s.sampleHost(&hs, secs)
	s.samples = append(s.samples, hs)

	mergeOrPanic(s.cum, s.lat)
	if f := e.cfg.Progress; f != nil {
		if s.buck == nil {
			s.buck = hist.NewBucketer()
		}
		n, sum, err := s.buck.Add(s.lat, s.bounds[:], s.buckets[:])
		if err != nil {
			panic("engine: live latency buckets: " + err.Error()) // one geometry, and as many counts as bounds
		}
		s.latN, s.latSum = s.latN+n, s.latSum+sum
	}
	for c, n := range classes {
		s.errClasses[c] += n
	}
	ivP99 := s.lat.Quantile(0.99)
	s.lat.Reset()
	s.unc.Reset()
	s.lag.Reset()
	s.requests += req
	s.errors += errs
	s.failed += req - succ
	s.lastAt, s.lastSent, s.lastDrops = at, sent, drops
	s.k++
	if f := e.cfg.Progress; f != nil && !tail {
		length := e.cfg.Duration
		if e.cfg.Pacer != nil {
			length = e.cfg.Pacer.Length()
		}
		f(Progress{Elapsed: at, Length: length, Requests: s.requests, Errors: s.errors,
			Failed: s.failed, Dropped: drops, Rate: hs.AchievedRate, P99: s.cum.Quantile(0.99),
			IntervalRequests: req, IntervalSuccess: succ, IntervalP99: ivP99,
			Sent: sent, DroppedLate: e.late.Load(), Inflight: e.inflight.Load(), ErrorClasses: s.errClasses,
			Latency: s.buckets, LatencyCount: s.latN, LatencySum: s.latSum})
	}
}

// takeTargets merges the stripe's per-target seconds into the sampler's
// and resets them; st.mu is held.
func (s *sampler) takeTargets(st *stripe) {
	for i := range s.tlat {
		t := &st.targets[i]
		if t.iv == nil || t.iv.Count() == 0 {
			continue
		}
		if s.tlat[i] == nil {
			s.tlat[i] = hist.New()
		}
		mergeOrPanic(s.tlat[i], t.iv)
		t.iv.Reset()
	}
}

// targetBytes encodes the closing second's per-target latencies: nil when
// they are not kept, else one per target, nil for a target without any.
func (s *sampler) targetBytes() [][]byte {
	if s.tlat == nil {
		return nil
	}
	out := make([][]byte, len(s.tlat))
	for i, h := range s.tlat {
		if h != nil && h.Count() > 0 {
			out[i], _ = h.MarshalBinary()
		}
	}
	return out
}

// sampleHost adds process and socket figures to hs.
func (s *sampler) sampleHost(hs *events.HealthSample, secs float64) {
	p := s.e.cfg.Proc
	if c, err := p.HostCPU(); err == nil {
		hs.StealPercent = 100 * c.StealFraction(s.lastHost)
		s.lastHost = c
	}
	if snap, err := p.Self(); err == nil {
		cpu := snap.CPUTime - s.lastCPU
		s.lastCPU = snap.CPUTime
		hs.CPUPercent = 100 * cpu.Seconds() / secs / float64(s.limits.CPUs)
		hs.RSSBytes = snap.RSSBytes
		hs.OpenFDs = snap.OpenFDs
	}
	// Reading /proc/net/tcp costs the kernel about 2 µs per socket on the
	// host (60 ms with 30,000 in TIME_WAIT), so the count is refreshed at
	// most every 50 × its last cost: under 2 % of a core, and every second
	// while it is cheap. In between, the last count is repeated.
	if dst := s.dst; len(dst) > 0 && time.Since(s.twAt) >= s.twEvery {
		t0 := time.Now()
		if c, err := p.TCPStates(dst); err == nil {
			s.timeWait = c.TimeWait
		}
		s.twAt = time.Now()
		s.twEvery = max(time.Second-50*time.Millisecond, min(50*s.twAt.Sub(t0), 10*time.Second))
	}
	hs.TimeWait = s.timeWait
}

// mergeOrPanic merges histograms of the one geometry, which cannot drop
// values; a failure is a bug in this package.
func mergeOrPanic(dst, src *hist.Histogram) {
	if err := dst.Merge(src); err != nil {
		panic("engine: merging histograms of one geometry: " + err.Error())
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
