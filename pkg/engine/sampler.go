package engine

import (
	"math"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/health"
	"github.com/barrage-load/barrage/pkg/hist"
)

// sampler closes one interval per second of the run: it takes the stripes'
// open intervals at the second's end, records their values into the
// second's histograms, makes a time-series point of them, samples the
// generator's health, and reports progress. It is the only reader of the
// intervals, so it owns the aggregate histograms.
//
// Taking the intervals is a pointer swap per stripe, done at the whole
// second so that every request counts in the second it ended in. The rest
// waits for the sampler's phase (Config.SamplePhase): the shards of a
// process, each with its own phase, then close their seconds one after the
// other rather than all at the same instant, when together they would keep
// every CPU busy and hold up the schedulers' next arrivals.
type sampler struct {
	e        *Engine
	lat, unc *hist.Histogram // the interval being closed, over every stripe
	lag      *hist.Histogram
	tlat     []*hist.Histogram // per target, the interval being closed; nil unless kept per target
	cum      *hist.Histogram   // every interval so far, for progress
	stopc    chan struct{}
	stopOnce sync.Once

	spare   []*interval // empty intervals, one per stripe, to open the next second with
	retired []*interval // the intervals taken at the last cut

	k                   int // intervals closed
	lastAt              time.Duration
	lastSent, lastDrops int64
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

	host      *health.Host     // the process's and host's figures, shared with the process's other shards
	last      health.Reading   // the reading the last sample was made from
	cpuPct    float64          // and the CPU use it gave
	dst       []netip.AddrPort // target addresses, for TIME_WAIT counts
	stopWatch func()

	series  []Second
	samples []events.HealthSample
	limits  events.Health
}

func newSampler(e *Engine) *sampler {
	s := &sampler{e: e, lat: hist.New(), unc: hist.New(), lag: hist.New(), cum: hist.New(), stopc: make(chan struct{}),
		host: health.SharedHost(e.cfg.Proc)}
	for i, b := range events.LatencyBucketsMs {
		s.bounds[i] = time.Duration(b * float64(time.Millisecond))
	}
	perTarget := len(e.stripes) > 0 && e.stripes[0].perTarget
	if perTarget {
		s.tlat = make([]*hist.Histogram, len(e.names))
	}
	for range e.stripes {
		s.spare = append(s.spare, newInterval(perTarget))
	}
	s.limits.CPUs = runtime.GOMAXPROCS(0)
	s.dst = e.Destinations()
	s.stopWatch = s.host.Watch(s.dst)
	if pr, err := e.cfg.Proc.PortRange(); err == nil {
		s.limits.PortRangeLow, s.limits.PortRangeHigh = pr.Low, pr.High
	}
	s.last = s.host.Read()
	if s.last.SelfOK {
		s.limits.FDLimit = s.last.Self.FDLimit
	}
	return s
}

// cut is the end of an interval: when, and the engine's counters then.
type cut struct {
	at          time.Duration
	sent, drops int64
	inflight    int64 // the most in flight at once in the interval
	conns       int64
}

// loop cuts an interval at every whole second after the start and closes
// it at the sampler's phase; when stopped, it closes what was cut and a last
// partial interval.
func (s *sampler) loop() {
	defer s.stopWatch()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	until := func(at time.Duration) bool {
		t.Reset(time.Until(s.e.start.Add(at)))
		select {
		case <-s.stopc:
			return false
		case <-t.C:
			return true
		}
	}
	phase := s.e.cfg.SamplePhase
	for {
		next := time.Duration(s.k+1) * time.Second
		if !until(next) {
			break
		}
		c := s.cut(next)
		stopped := phase > 0 && !until(next+phase)
		s.close(c, false)
		if stopped {
			break
		}
	}
	s.close(s.cut(time.Since(s.e.start)), true)
}

func (s *sampler) stop() { s.stopOnce.Do(func() { close(s.stopc) }) }

// cut ends the open interval at at: it takes every stripe's interval,
// leaving an empty one, and reads the engine's counters.
func (s *sampler) cut(at time.Duration) cut {
	e := s.e
	s.retired = s.retired[:0]
	for i, st := range e.stripes {
		s.retired = append(s.retired, st.takeInterval(s.spare[i]))
	}
	return cut{at: at, sent: e.sent.Load(), drops: e.drops.Load(), inflight: e.takePeak(), conns: e.conns.Load()}
}

// shortTail: a last interval shorter than this, in which nothing happened,
// adds no time-series point, and reports no progress: it is the moment
// between the last whole second and the end of the run.
const shortTail = 500 * time.Millisecond

// close ends the interval [lastAt, c.at), whose stripe intervals the cut c
// took; final is the run's last interval.
func (s *sampler) close(c cut, final bool) {
	e := s.e
	req, succ, errs, classes := s.fold()
	at := max(c.at, s.lastAt+time.Microsecond) // a final cut may come at the instant of the last one
	sent, drops := c.sent, c.drops
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
		Inflight: c.inflight, OpenConns: c.conns}
	if p := e.cfg.Pacer; p != nil {
		hs.PlannedRate = float64(p.Arrivals(at)-p.Arrivals(s.lastAt)) / secs
	}
	s.sampleHost(&hs)
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

// fold records the values of the intervals the last cut took into the
// second's histograms, sums their counters, and empties them as the spares
// of the next cut.
func (s *sampler) fold() (req, succ, errs int64, classes [errclass.NumClasses]int64) {
	for i, iv := range s.retired {
		req += iv.requests
		succ += iv.success
		errs += iv.errors
		for c, n := range iv.errs {
			classes[c] += n
		}
		for j, d := range iv.lat {
			s.lat.Record(d)
			s.unc.Record(iv.unc[j])
		}
		for _, d := range iv.lag {
			s.lag.Record(d)
		}
		for _, v := range iv.tlat {
			s.targetHist(v.target).Record(v.d)
		}
		if sp := iv.spill; sp != nil {
			mergeOrPanic(s.lat, sp.lat)
			mergeOrPanic(s.unc, sp.unc)
			mergeOrPanic(s.lag, sp.lag)
			for t, h := range sp.tlat {
				if h.Count() > 0 {
					mergeOrPanic(s.targetHist(t), h)
				}
			}
		}
		iv.clear()
		s.spare[i] = iv
	}
	s.retired = s.retired[:0]
	return req, succ, errs, classes
}

// targetHist is target t's histogram of the second being closed.
func (s *sampler) targetHist(t int) *hist.Histogram {
	if s.tlat[t] == nil {
		s.tlat[t] = hist.New()
	}
	return s.tlat[t]
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

// sampleHost adds the process's and the host's figures to hs, from the
// Host's reading shared with the process's other shards: CPU use and steal
// over the time between this shard's last reading and this one.
func (s *sampler) sampleHost(hs *events.HealthSample) {
	r := s.host.Read()
	if r.Taken.After(s.last.Taken) {
		if r.CPUOK && s.last.CPUOK {
			hs.StealPercent = 100 * r.CPU.StealFraction(s.last.CPU)
		}
		if r.SelfOK && s.last.SelfOK {
			wall := r.Self.Taken.Sub(s.last.Self.Taken)
			s.cpuPct = 100 * (r.Self.CPUTime - s.last.Self.CPUTime).Seconds() / wall.Seconds() / float64(s.limits.CPUs)
		}
		s.last = r
	}
	if r.SelfOK {
		hs.CPUPercent = s.cpuPct
		hs.RSSBytes = r.Self.RSSBytes
		hs.OpenFDs = r.Self.OpenFDs
	}
	if len(s.dst) > 0 {
		hs.TimeWait = s.host.TimeWait(s.dst)
	}
}

// mergeOrPanic merges histograms of the one geometry, which cannot drop
// values; a failure is a bug in this package.
func mergeOrPanic(dst, src *hist.Histogram) {
	if err := dst.Merge(src); err != nil {
		panic("engine: merging histograms of one geometry: " + err.Error())
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// defaultProc reads /proc for every engine not given a Proc of its own, so
// that all of them share one health.Host.
var defaultProc = &health.Proc{}

// maxShardPhase bounds ShardPhase: a second is closed within half a second
// of its end, long before the next one ends.
const maxShardPhase = 500 * time.Millisecond

// ShardPhase is when, within each second, the run's i-th shard does its
// periodic work (closing its seconds: Config.SamplePhase; polling for an
// abort): i times the golden ratio, modulo 1, of half a second. However many
// shards share a process, their phases are spread over the half second, no
// two at the same instant (shard 0's is 0).
func ShardPhase(i int) time.Duration {
	const phi = 0.6180339887498949
	f := float64(i) * phi
	return time.Duration((f - math.Floor(f)) * float64(maxShardPhase))
}
