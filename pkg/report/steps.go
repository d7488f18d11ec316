package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

// Limits of the find-max judge (doc.go explains the verdicts).
const (
	// SentShortRatio: a step whose reporting shards sent less than this
	// share of the offered rate did not get its load.
	SentShortRatio = 0.95
)

// healthAcc is one second of the generator, over all shards: requests
// sent, the worst lag p99 and CPU for the steps, and the per-second health
// of the report's series (seriesHealth).
type healthAcc struct {
	sent, planned float64
	lagP99, cpu   float64
	h             events.SeriesHealth
	rated         int // shards whose sample covered at least half a second
}

// addHealth adds a shard's health samples to the per-second accumulators.
func (m *merger) addHealth(h *events.Health) {
	for _, x := range h.Samples {
		a := m.health[x.T]
		if a == nil {
			a = &healthAcc{}
			m.health[x.T] = a
		}
		a.sent += x.AchievedRate * x.IntervalS
		a.planned += x.PlannedRate * x.IntervalS
		a.addGauges(&x)
		if x.IntervalS >= 0.5 { // as summarize: rates over a sliver are noise
			a.lagP99 = max(a.lagP99, x.LagP99Ms)
			a.cpu = max(a.cpu, x.CPUPercent)
			a.addRates(&x)
		}
	}
}

// stepAcc accumulates the judged seconds of one step.
type stepAcc struct {
	step   events.Step
	j0, j1 int64 // judged seconds [j0, j1) from the start of the run
	rep    events.StepReport
	lat    *hist.Histogram
	sent   float64
}

// newSteps lays out the steps of load over the run: each is judged over the
// whole seconds k (the series' interval [k, k+1) s after the start) with
// From + settle ≤ k and k + 1 ≤ min(To, end).
func newSteps(load events.Load, endS float64) []*stepAcc {
	steps := load.Steps()
	if len(steps) == 0 {
		return nil
	}
	settle := load.FindMax.SettleTime()
	out := make([]*stepAcc, len(steps))
	for i, s := range steps {
		j0 := int64(math.Ceil((s.From + settle).Seconds()))
		j1 := min(int64(math.Floor(s.To.Seconds())), int64(math.Floor(endS+1e-9)))
		j1 = max(j0, j1)
		kind := "stage"
		switch {
		case s.Warmup:
			kind = "warmup"
		case load.Shape == events.ShapeFindMax:
			kind = "step"
		}
		rep := events.StepReport{Step: s.Index, Kind: kind, FromS: s.From.Seconds(), ToS: s.To.Seconds(), Rate: s.Rate,
			JudgedFromS: float64(j0), JudgedToS: float64(j1), JudgedS: int(j1 - j0)}
		if s.Ramps() {
			rep.RampTo = &s.RampTo
		}
		out[i] = &stepAcc{step: s, j0: j0, j1: j1, rep: rep, lat: hist.New()}
	}
	return out
}

// stepOf returns the step judging second k, or nil.
func stepOf(steps []*stepAcc, k int64) *stepAcc {
	for _, s := range steps {
		if k >= s.j0 && k < s.j1 {
			return s
		}
	}
	return nil
}

// addSecond adds second k's merged figures to its step, if one judges it.
func (s *stepAcc) addSecond(p *events.SeriesPoint, lat *hist.Histogram) error {
	s.rep.Requests += p.Requests
	s.rep.Success += p.Success
	s.rep.Errors += p.Errors
	s.rep.Dropped += p.Dropped
	return s.lat.Merge(lat)
}

// finish computes the step's rates and latency summary; m gives the
// generator's per-second health.
func (s *stepAcc) finish(m *merger) events.StepReport {
	r := s.rep
	if r.JudgedS == 0 {
		return r
	}
	secs := float64(r.JudgedS)
	for k := s.j0; k < s.j1; k++ {
		if a := m.health[m.start.Unix()+k]; a != nil {
			s.sent += a.sent
			r.LagP99Ms = max(r.LagP99Ms, a.lagP99)
			r.MaxCPUPercent = max(r.MaxCPUPercent, a.cpu)
		}
	}
	// The rate is linear over the step, so its mean over the judged
	// seconds is its value at their middle.
	mid := (float64(s.j0)+float64(s.j1))/2 - s.step.From.Seconds()
	r.OfferedRate = s.step.Rate + (s.step.RampTo-s.step.Rate)*mid/(s.step.To-s.step.From).Seconds()
	r.SentRate = s.sent / secs
	r.OKRate = float64(r.Success) / secs
	r.ErrorRatio = ratio(r.Requests-r.Success, r.Requests)
	r.LatencyMs = Summarize(s.lat)
	return r
}

// judge gives a find-max step its verdict against slo; see doc.go.
func judge(r *events.StepReport, slo events.SLO) {
	if r.JudgedS == 0 {
		r.Verdict, r.Reasons = events.VerdictNotRun, []string{"the run ended before a whole second of the step could be judged"}
		return
	}
	var broken, generator []string
	latencyBroken, generatorLatency := false, r.MaxCPUPercent >= CPUWarnPercent
	for _, c := range []struct {
		name   string
		actual float64
		limit  time.Duration
	}{{"p99", r.LatencyMs.P99, slo.P99.D()}, {"p95", r.LatencyMs.P95, slo.P95.D()}} {
		if c.limit <= 0 {
			continue
		}
		if lim := ms(c.limit); c.actual > lim {
			latencyBroken = true
			broken = append(broken, fmt.Sprintf("%s %s ms > %s ms", c.name, num(c.actual), num(lim)))
			if r.LagP99Ms >= c.actual-lim {
				generatorLatency = true
			}
		}
	}
	errorBroken := false
	if lim := slo.ErrorRatioLimit(); r.Requests > 0 && r.ErrorRatio > lim {
		errorBroken = true
		broken = append(broken, fmt.Sprintf("error ratio %s > %s", pct(r.ErrorRatio), pct(lim)))
	}
	if r.Requests == 0 && r.SentRate > 0 {
		errorBroken = true
		broken = append(broken, fmt.Sprintf("no response completed while %.1f/s were sent", r.SentRate))
	}
	short := r.SentRate < SentShortRatio*r.OfferedRate
	if short {
		g := fmt.Sprintf("sent %.1f/s of %.1f/s offered", r.SentRate, r.OfferedRate)
		if r.Dropped > 0 {
			g += fmt.Sprintf(" (%d arrivals dropped)", r.Dropped)
		}
		generator = append(generator, g)
	}
	if latencyBroken && generatorLatency {
		generator = append(generator, fmt.Sprintf("the generator's lag p99 reached %s ms and its CPU %.0f%%: its own delay may explain the latency",
			num(r.LagP99Ms), r.MaxCPUPercent))
	}
	switch {
	case errorBroken || latencyBroken && !generatorLatency:
		r.Verdict, r.Reasons = events.VerdictFail, append(broken, generator...)
	case latencyBroken || short:
		r.Verdict, r.Reasons = events.VerdictGenerator, append(generator, broken...)
	default:
		r.Verdict = events.VerdictPass
	}
}

// findMax judges the steps of a find-max load and concludes: the highest
// passing rate before the first step that did not pass.
func findMax(steps []events.StepReport, f *events.FindMax) *events.FindMaxReport {
	slo := f.SLO
	out := &events.FindMaxReport{StoppedBy: events.StoppedByMax, SettleS: f.SettleTime().Seconds(),
		SLO: events.SLOReport{P99Ms: ms(slo.P99.D()), P95Ms: ms(slo.P95.D()), ErrorRatio: slo.ErrorRatioLimit()}}
	var stop *events.StepReport
	laterPass := 0.0 // the highest rate that passed after the search ended
	for i := range steps {
		s := &steps[i]
		if s.Kind != "step" {
			continue
		}
		judge(s, slo)
		if stop != nil {
			if s.Verdict == events.VerdictPass {
				laterPass = s.Rate
			}
			continue // judged for the evidence; the search ended before
		}
		if s.Verdict == events.VerdictPass {
			out.MaxSustainableRate = s.Rate
			continue
		}
		stop = s
		out.FirstFailingRate = s.Rate
		out.StoppedBy = map[string]string{events.VerdictFail: events.StoppedBySLO,
			events.VerdictGenerator: events.StoppedByGenerator, events.VerdictNotRun: events.StoppedByIncomplete}[s.Verdict]
	}
	held := fmt.Sprintf("the target sustained %s/s", rate(out.MaxSustainableRate))
	if out.MaxSustainableRate == 0 {
		held = "the target sustained no step"
	}
	switch {
	case stop == nil:
		out.Conclusion = fmt.Sprintf("the target sustained every step, up to %s/s: raise find_max.max to search further", rate(out.MaxSustainableRate))
	case stop.Verdict == events.VerdictFail:
		out.Conclusion = fmt.Sprintf("%s; at %s/s (step %d) %s", held, rate(stop.Rate), stop.Step, join(stop.Reasons))
	case stop.Verdict == events.VerdictGenerator:
		out.Conclusion = fmt.Sprintf("%s; at %s/s (step %d) the generator limited the test (%s): add workers or raise max_inflight, and run again",
			held, rate(stop.Rate), stop.Step, join(stop.Reasons))
	default:
		out.Conclusion = fmt.Sprintf("%s; the run ended before step %d (%s/s) could be judged", held, stop.Step, rate(stop.Rate))
	}
	if laterPass > 0 {
		out.Conclusion += fmt.Sprintf("; later steps passed again, up to %s/s: the failure may have been transient (a longer warm-up or step may tell)",
			rate(laterPass))
	}
	return out
}

func join(reasons []string) string { return strings.Join(reasons, "; ") }

// rate formats arrivals per second without trailing zeros.
func rate(v float64) string { return fmt.Sprintf("%.6g", v) }

// pct formats a ratio as a percentage.
func pct(v float64) string { return fmt.Sprintf("%.3g%%", 100*v) }
