package engine

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestSeriesAddsUp: three targets, one answering 200, one closing every
// connection unanswered (eof) and one on a closed port (connect_refused),
// at 60/s for 1.5 s, so the run has two seconds. Over the per-second
// series, the errors by class add up to the run's errors by class (and in
// each second to its errors), and the per-second latencies, from the
// intended and from the actual send, add up to the run's, and per target
// (three targets: the seconds are kept per target) to each target's.
func TestSeriesAddsUp(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	eof := rawListen(t, func(c net.Conn) { readRequest(c) })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String() + "/"
	closed.Close()
	tg := func(name, url string) events.Target {
		x := target(url)
		x.Name = name
		return x
	}
	res := run(t, Config{Targets: []events.Target{tg("ok", ok.URL+"/"), tg("eof", "http://"+eof.Addr().String()+"/"),
		tg("refused", refused)}, Pacer: pacer.Constant{R: 60, D: 1500 * time.Millisecond}, MaxInflight: 20,
		Timeout: 2 * time.Second})

	if len(res.Series) < 2 {
		t.Fatalf("series has %d points, want ≥ 2", len(res.Series))
	}
	var classes [errclass.NumClasses]int64
	lat, unc := hist.New(), hist.New()
	perTarget := []*hist.Histogram{hist.New(), hist.New(), hist.New()}
	for _, s := range res.Series {
		if len(s.Targets) != len(res.Targets) {
			t.Fatalf("second %v: %d targets; want %d", s.Start, len(s.Targets), len(res.Targets))
		}
		for i, b := range s.Targets {
			if err := hist.MergeEncoded(perTarget[i], b); len(b) > 0 && err != nil {
				t.Fatalf("second %v, target %d: %v", s.Start, i, err)
			}
		}
		var sum int64
		for c, n := range s.ErrorClasses {
			classes[c] += n
			sum += n
		}
		if sum != s.Errors {
			t.Errorf("second %v: errors by class add up to %d, errors %d", s.Start, sum, s.Errors)
		}
		for _, x := range []struct {
			dst *hist.Histogram
			b   []byte
		}{{lat, s.Latency}, {unc, s.LatencyUncorrected}} {
			if err := hist.MergeEncoded(x.dst, x.b); err != nil {
				t.Fatalf("second %v: %v", s.Start, err)
			}
		}
	}
	for _, c := range []errclass.Class{errclass.EOF, errclass.ConnectRefused} {
		if classes[c] == 0 {
			t.Errorf("no %s error in the series; want some (run errors %v)", c, res.Counts.Errors)
		}
	}
	for c, n := range classes {
		if want := res.Counts.Errors[errclass.Class(c).String()]; n != want {
			t.Errorf("%s over the series: got %d, want the run's %d", errclass.Class(c), n, want)
		}
	}
	if lat.Count() == 0 || !lat.Equal(res.Latency) {
		t.Errorf("latency over the series: %d samples, want the run's %d, equal", lat.Count(), res.Latency.Count())
	}
	if unc.Count() == 0 || !unc.Equal(res.LatencyUncorrected) {
		t.Errorf("uncorrected latency over the series: %d samples, want the run's %d, equal",
			unc.Count(), res.LatencyUncorrected.Count())
	}
	for i, tr := range res.Targets {
		if !perTarget[i].Equal(tr.Latency) {
			t.Errorf("target %s over the series: %d samples, want its %d, equal", tr.Name, perTarget[i].Count(), tr.Latency.Count())
		}
	}
	if perTarget[0].Count() == 0 {
		t.Errorf("target ok has no latency over the series")
	}
}

// TestRecordAllocs: recording an outcome allocates nothing once its target
// has recorded in the stripe, with the seconds kept per target or not, for
// an answer, an error and a journey's iteration.
func TestRecordAllocs(t *testing.T) {
	for _, perTarget := range []bool{false, true} {
		st := newStripe(3, perTarget)
		outcomes := []outcome{
			{target: 0, due: 1e6, sent: 2e6, end: 9e6, status: 200},                    // an answer
			{target: 1, due: 1e6, sent: 2e6, end: 9e6, class: errclass.Timeout},        // a timeout: a latency too
			{target: 2, due: 1e6, sent: 2e6, end: 9e6, status: 200, iteration: true},   // an iteration
			{target: 1, due: 1e6, sent: 2e6, end: 3e6, class: errclass.ConnectRefused}, // no latency
		}
		for i := range outcomes {
			st.record(&outcomes[i]) // the target's first: its histograms are made
		}
		for i := range outcomes {
			if n := testing.AllocsPerRun(200, func() { st.record(&outcomes[i]) }); n != 0 {
				t.Errorf("per target %v, outcome %d: %v allocations per record; want 0", perTarget, i, n)
			}
		}
		if got := st.iv.tlat != nil; got != perTarget {
			t.Errorf("per target %v: the open second keeps per-target latencies: %v", perTarget, got)
		}
	}
}
