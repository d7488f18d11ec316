package report

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
)

func encode(t *testing.T, h *hist.Histogram) events.Histogram {
	t.Helper()
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shard makes a shard result from latencies, one series point per second.
func shard(t *testing.T, id string, start time.Time, lat []time.Duration) *events.ShardResult {
	t.Helper()
	all, sec0, sec1, unc0, unc1 := hist.New(), hist.New(), hist.New(), hist.New(), hist.New()
	for i, d := range lat {
		all.Record(d)
		if i%2 == 0 {
			sec0.Record(d)
			unc0.Record(d / 3)
		} else {
			sec1.Record(d)
			unc1.Record(d / 3)
		}
	}
	n := int64(len(lat))
	return &events.ShardResult{Version: 1, RunID: "r", ShardID: id, Kind: events.KindLocal,
		Status: events.StatusComplete, PlannedRate: 10, StartedAt: start, SendSeconds: 2,
		Counts:  events.Counts{Requests: n, Success: n, StatusCodes: map[string]int64{"200": n}},
		Latency: encode(t, all), LatencyUncorrected: encode(t, all), Lag: encode(t, hist.New()),
		Targets: []events.TargetResult{{Name: "t", Counts: events.Counts{Requests: n, Success: n},
			Latency: encode(t, all), LatencyUncorrected: encode(t, all)}},
		Series: []events.SeriesPoint{
			{T: start.Unix(), Requests: (n + 1) / 2, Success: (n + 1) / 2, Latency: encode(t, sec0), LatencyUncorrected: encode(t, unc0)},
			{T: start.Unix() + 1, Requests: n / 2, Success: n / 2, Latency: encode(t, sec1), LatencyUncorrected: encode(t, unc1)},
		},
		Health: events.Health{CPUs: 2, PortRangeLow: 32768, PortRangeHigh: 60999, FDLimit: 1024,
			Samples: []events.HealthSample{{T: start.Unix(), IntervalS: 1, PlannedRate: 10, AchievedRate: 10, CPUPercent: 5}}},
	}
}

// TestMergeExact is the reducer's defining property: the merged percentiles
// of 16 shards equal those of one histogram over all their samples, for the
// run, per target and per second (from the intended and from the actual
// send), and the seconds' errors by class add up over the shards.
func TestMergeExact(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		start := time.Unix(1_800_000_000, 0).UTC()
		one, even, odd, uncEven, uncOdd := hist.New(), hist.New(), hist.New(), hist.New(), hist.New()
		var results []*events.ShardResult
		wantClasses := map[string]int64{}
		for k := range 16 {
			lat := make([]time.Duration, 1+rng.IntN(3000))
			for i := range lat {
				// Log-uniform from 50 µs to 5 s: every bucket size in play.
				lat[i] = time.Duration(50e3 * float64(uint64(1)<<rng.IntN(17)) * (1 + rng.Float64()))
				one.Record(lat[i])
				if i%2 == 0 {
					even.Record(lat[i])
					uncEven.Record(lat[i] / 3)
				} else {
					odd.Record(lat[i])
					uncOdd.Record(lat[i] / 3)
				}
			}
			res := shard(t, string(rune('a'+k)), start, lat)
			// Second 0 of shard k has k+1 timeouts, and every other shard
			// a reset; second 1 has no error.
			res.Series[0].ErrorsByClass = map[string]int64{"timeout": int64(k + 1)}
			wantClasses["timeout"] += int64(k + 1)
			if k%2 == 0 {
				res.Series[0].ErrorsByClass["reset"] = 1
				wantClasses["reset"]++
			}
			results = append(results, res)
		}
		r, err := Build(Input{RunID: "r", Results: results})
		if err != nil {
			t.Fatal(err)
		}
		want := Summarize(one)
		if r.LatencyMs != want || r.Targets[0].LatencyMs != want {
			t.Errorf("seed %d: merged latency %+v, target %+v; one histogram %+v", seed, r.LatencyMs, r.Targets[0].LatencyMs, want)
		}
		if p := r.LatencyPercentiles; p == nil || !slices.Equal(p.Ms, At(one, p.Q)) || !slices.Equal(p.Q, PercentileGrid(one.Count())) {
			t.Errorf("seed %d: percentiles %+v; want one histogram's at %v", seed, p, PercentileGrid(one.Count()))
		}
		if r.Requests != one.Count() {
			t.Errorf("seed %d: %d requests; want %d", seed, r.Requests, one.Count())
		}
		if len(r.TimeSeries) != 2 {
			t.Fatalf("seed %d: %d series points; want 2", seed, len(r.TimeSeries))
		}
		for i, h := range []*hist.Histogram{even, odd} {
			p := r.TimeSeries[i]
			if p.P50Ms != ms(h.Quantile(0.5)) || p.P99Ms != ms(h.Quantile(0.99)) || p.Requests != h.Count() || p.ElapsedS != int64(i) {
				t.Errorf("seed %d second %d: %+v; want p50 %v p99 %v n %d", seed, i, p, ms(h.Quantile(0.5)), ms(h.Quantile(0.99)), h.Count())
			}
			if p.P90Ms != ms(h.Quantile(0.9)) || p.MaxMs != ms(h.Max()) {
				t.Errorf("seed %d second %d: p90 %v max %v; want %v %v", seed, i, p.P90Ms, p.MaxMs, ms(h.Quantile(0.9)), ms(h.Max()))
			}
		}
		for i, h := range []*hist.Histogram{uncEven, uncOdd} {
			if got, want := r.TimeSeries[i].P99UncorrectedMs, ms(h.Quantile(0.99)); got != want || got == 0 {
				t.Errorf("seed %d second %d: uncorrected p99 %v; want %v, from one histogram", seed, i, got, want)
			}
		}
		if got := r.TimeSeries[0].ErrorsByClass; !maps.Equal(got, wantClasses) {
			t.Errorf("seed %d second 0: errors by class %v; want %v", seed, got, wantClasses)
		}
		if got := r.TimeSeries[1].ErrorsByClass; got != nil {
			t.Errorf("seed %d second 1: errors by class %v; want none", seed, got)
		}
		if r.Coverage != 1 || r.TargetRate != 160 {
			t.Errorf("seed %d: coverage %v, target rate %v; want 1, 160", seed, r.Coverage, r.TargetRate)
		}
	}
}

// TestLostShard checks a planned shard without a result: listed as lost
// with its planned rate, coverage below 1, a warning, and nothing invented.
func TestLostShard(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	res := shard(t, "s0", start, []time.Duration{time.Millisecond, 2 * time.Millisecond})
	r, err := Build(Input{RunID: "r", Results: []*events.ShardResult{res}, Planned: []Shard{
		{ShardID: "s0", Kind: events.KindLocal, PlannedRate: 10},
		{ShardID: "s1", Kind: events.KindLambda, PlannedRate: 30},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Coverage != 0.25 || r.TargetRate != 40 || r.Requests != 2 {
		t.Errorf("coverage %v, target rate %v, requests %d; want 0.25, 40, 2", r.Coverage, r.TargetRate, r.Requests)
	}
	if s := r.Shards[1]; s.Status != events.StatusLost || s.PlannedRate != 30 || s.Requests != 0 {
		t.Errorf("lost shard reported as %+v", s)
	}
	if !anyContains(r.Warnings, "1 of 2 shards never reported") {
		t.Errorf("no lost-shard warning in %q", r.Warnings)
	}
}

func TestDuplicateResultRejected(t *testing.T) {
	start := time.Unix(1_800_000_000, 0).UTC()
	a := shard(t, "s0", start, []time.Duration{time.Millisecond})
	if _, err := Build(Input{RunID: "r", Results: []*events.ShardResult{a, a}}); err == nil {
		t.Error("two results for one shard were merged")
	}
}

func TestCorruptHistogramFails(t *testing.T) {
	a := shard(t, "s0", time.Unix(1_800_000_000, 0), []time.Duration{time.Millisecond})
	a.Latency = events.Histogram("not a histogram")
	if _, err := Build(Input{RunID: "r", Results: []*events.ShardResult{a}}); err == nil {
		t.Error("a corrupt histogram was merged")
	}
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestWarnings checks each generator warning fires on its own condition.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*events.ShardResult)
		want   string
	}{
		// Arrivals dropped because every slot was busy.
		{"busy drops", func(r *events.ShardResult) { r.Counts.Dropped = 5 }, "every in-flight slot was busy"},
		// Arrivals dropped because the scheduler was late.
		{"late drops", func(r *events.ShardResult) { r.Counts.Dropped, r.Counts.DroppedLate = 5, 5 }, "more than 10 ms late"},
		// The late-drop warning says how to change the limit.
		{"late drops limit", func(r *events.ShardResult) { r.Counts.Dropped, r.Counts.DroppedLate = 5, 5 },
			"raise the late limit (--late-limit, spec late_limit; 0 never drops"},
		// CPU saturation.
		{"cpu", func(r *events.ShardResult) { r.Health.Samples[0].CPUPercent = 95 }, "generator CPU reached 95%"},
		// Hypervisor steal.
		{"steal", func(r *events.ShardResult) { r.Health.Samples[0].StealPercent = 30 }, "steal time"},
		// TIME_WAIT near the port range.
		{"ports", func(r *events.ShardResult) { r.Health.Samples[0].TimeWait = 20000 }, "TIME_WAIT"},
		// File descriptors near the limit.
		{"fds", func(r *events.ShardResult) { r.Health.Samples[0].OpenFDs = 1000 }, "file descriptors"},
		// Generator-side errors.
		{"addr_in_use", func(r *events.ShardResult) { r.Counts.Errors = map[string]int64{"addr_in_use": 3} }, "ran out of ephemeral ports"},
		// HTTP/2 GOAWAY.
		{"goaway", func(r *events.ShardResult) { r.Health.GoAways = map[string]int64{"ENHANCE_YOUR_CALM": 2} }, "ENHANCE_YOUR_CALM"},
		// A shard stopped early.
		{"truncated", func(r *events.ShardResult) { r.Status, r.StopReason = events.StatusTruncated, "interrupted" }, "stopped early (interrupted)"},
	}
	for _, tt := range tests {
		res := shard(t, "s0", time.Unix(1_800_000_000, 0), []time.Duration{time.Millisecond})
		res.Health.LateLimitMs = 10
		tt.change(res)
		r, err := Build(Input{RunID: "r", Results: []*events.ShardResult{res}})
		if err != nil {
			t.Fatal(err)
		}
		if !anyContains(r.Warnings, tt.want) {
			t.Errorf("%s: warnings %q lack %q", tt.name, r.Warnings, tt.want)
		}
	}
	// A clean run has no warning.
	res := shard(t, "s0", time.Unix(1_800_000_000, 0), []time.Duration{time.Millisecond})
	if r, _ := Build(Input{RunID: "r", Results: []*events.ShardResult{res}}); len(r.Warnings) != 0 {
		t.Errorf("clean run warns: %q", r.Warnings)
	}
}

// TestRender checks every format shows the headline figures and escapes
// what it must.
func TestRender(t *testing.T) {
	res := shard(t, "s0", time.Unix(1_800_000_000, 0), []time.Duration{time.Millisecond, 3 * time.Millisecond})
	res.Targets = append(res.Targets, events.TargetResult{Name: "<b>|pipe", Counts: events.Counts{Requests: 1}})
	r, err := Build(Input{RunID: "run-1", Name: "n", Mode: "keepalive", Results: []*events.ShardResult{res}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
		want   []string
	}{
		{"text", func(b *bytes.Buffer) error { return Text(b, r) }, []string{"barrage run run-1 (n)", "2 sent, 2 successful", "Per target", "<b>|pipe"}},
		{"md", func(b *bytes.Buffer) error { return Markdown(b, r) }, []string{"# barrage run run-1", "| Requests | 2 sent", `<b>\|pipe`}},
		{"html", func(b *bytes.Buffer) error { return HTML(b, r) }, []string{"<h1>barrage run run-1 (n)</h1>", "&lt;b&gt;|pipe"}},
	} {
		var b bytes.Buffer
		if err := tc.render(&b); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", tc.name, w, b.String())
			}
		}
	}
}

// TestErrorMessages: the reducer adds up the shards' kept error messages
// by class and text and keeps the most frequent events.MaxErrorMessages
// per class (ties by text), whatever the order of the shards; the text and
// Markdown reports show each class with its details and messages.
func TestErrorMessages(t *testing.T) {
	msgs := func(kv ...any) []events.ErrorMessage {
		var out []events.ErrorMessage
		for i := 0; i < len(kv); i += 2 {
			out = append(out, events.ErrorMessage{Message: kv[i].(string), Count: int64(kv[i+1].(int))})
		}
		return out
	}
	start := time.Unix(1_800_000_000, 0)
	a := shard(t, "a", start, []time.Duration{time.Millisecond})
	a.Counts.Errors = map[string]int64{"other": 30, "protocol": 10}
	a.Counts.ErrorDetails = map[string]int64{"protocol http1_response": 10}
	a.Counts.ErrorMessages = map[string][]events.ErrorMessage{
		"other":    msgs("m1", 10, "m2", 5, "m3", 5, "m4", 5, "m5", 5),
		"protocol": msgs("h2c: the server answered the HTTP/2 preface with HTTP/1.1", 10),
	}
	b := shard(t, "b", start, []time.Duration{time.Millisecond})
	b.Counts.Errors = map[string]int64{"other": 40}
	b.Counts.ErrorMessages = map[string][]events.ErrorMessage{"other": msgs("m6", 20, "m1", 4, "m7", 2, "m2", 1, "m8", 3)}
	want := map[string][]events.ErrorMessage{
		"other":    msgs("m6", 20, "m1", 14, "m2", 6, "m3", 5, "m4", 5),
		"protocol": msgs("h2c: the server answered the HTTP/2 preface with HTTP/1.1", 10),
	}
	for _, order := range [][]*events.ShardResult{{a, b}, {b, a}} {
		r, err := Build(Input{RunID: "r", Results: order})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.ErrorMessages) != fmt.Sprint(want) {
			t.Errorf("shards %s, %s: messages\n got %v\nwant %v", order[0].ShardID, order[1].ShardID, r.ErrorMessages, want)
		}
	}
	r, _ := Build(Input{RunID: "r", Results: []*events.ShardResult{a, b}})
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"text", func(w *bytes.Buffer) error { return Text(w, r) }},
		{"md", func(w *bytes.Buffer) error { return Markdown(w, r) }},
	} {
		var w bytes.Buffer
		if err := tc.render(&w); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{
			`other`, `70: "m6" ×20; "m1" ×14; "m2" ×6; "m3" ×5; "m4" ×5; 20 more with other messages`,
			`protocol`, `10 (http1_response ×10): "h2c: the server answered the HTTP/2 preface with HTTP/1.1" ×10`,
		} {
			if !strings.Contains(w.String(), s) {
				t.Errorf("%s report lacks %q:\n%s", tc.name, s, w.String())
			}
		}
	}
}

// TestLateLimitReported: the report says which late limit the shards'
// schedulers used, 0 when they never dropped late arrivals; a shard that
// never ran (no health samples) does not count; the text report says it.
func TestLateLimitReported(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	ran := func(id string, limitMs float64) *events.ShardResult {
		res := shard(t, id, start, []time.Duration{time.Millisecond})
		res.Health.LateLimitMs = limitMs
		return res
	}
	empty := &events.ShardResult{Version: 1, RunID: "r", ShardID: "e", Kind: events.KindLocal,
		Status: events.StatusTruncated, StopReason: "failed: no spec", StartedAt: start}
	tests := []struct {
		name    string
		results []*events.ShardResult
		want    float64
		text    string
	}{
		{"default", []*events.ShardResult{ran("a", 10), ran("b", 10), empty}, 10, "late limit 10 ms"},
		{"never", []*events.ShardResult{ran("a", 0), empty}, 0, "no late limit (late arrivals sent)"},
		{"set", []*events.ShardResult{ran("a", 250)}, 250, "late limit 250 ms"},
	}
	for _, tt := range tests {
		r, err := Build(Input{RunID: "r", Results: tt.results})
		if err != nil {
			t.Fatal(err)
		}
		if r.LateLimitMs != tt.want {
			t.Errorf("%s: late_limit_ms %v, want %v", tt.name, r.LateLimitMs, tt.want)
		}
		var b bytes.Buffer
		Text(&b, r)
		if !strings.Contains(b.String(), tt.text) {
			t.Errorf("%s: text report lacks %q:\n%s", tt.name, tt.text, b.String())
		}
	}
}

// TestPercentileGrid: ten quantiles a decade of 1/(1−q), as far as the
// number of latencies reaches, and none without latencies.
func TestPercentileGrid(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want int // quantiles
		last float64
	}{
		{0, 0, 0},            // no latency, no distribution
		{1, 1, 0},            // the minimum only
		{100, 21, 0.99},      // up to p99: 1/(1−q) = 100
		{999, 30, 0.998741},  // k = 29: 10^2.9 = 794 ≤ 999 < 10^3
		{1e12, 61, 0.999999}, // capped at 99.9999%
	} {
		qs := PercentileGrid(tt.n)
		if len(qs) != tt.want || (len(qs) > 0 && math.Abs(qs[len(qs)-1]-tt.last) > 1e-6) {
			t.Errorf("n %d: %d quantiles, last %v; want %d, %v", tt.n, len(qs), qs, tt.want, tt.last)
		}
	}
}
