package reduce

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/store"
)

// asHdr returns h as hdrhistogram-go decodes it: our wire form from byte
// 11 on is hdr's V2 compressed encoding (pkg/hist's doc), base64'd as in a log.
func asHdr(t *testing.T, h *hist.Histogram) *hdrhistogram.Histogram {
	t.Helper()
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := hdrhistogram.Decode([]byte(base64.StdEncoding.EncodeToString(b[11:])))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reducedRun reduces a run of three shards of a minute (the third starting
// 1.5 s late), each with several targets, and returns its report, the
// shards' results and its report.hlog.
func reducedRun(t *testing.T) (*events.Report, []*events.ShardResult, []byte) {
	t.Helper()
	ctx := context.Background()
	st := store.Dir{Root: t.TempDir()}
	run := "r1"
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Unix(1_800_000_000, 250e6).UTC() // not on a second: the base time is its second
	p := events.Plan{RunID: run, Backend: "local", StartAt: start, Deadline: start.Add(2 * time.Minute)}
	var results []*events.ShardResult
	for i, offset := range []time.Duration{0, 0, 1500 * time.Millisecond} { // the third shard starts 1.5 s late
		id := fmt.Sprintf("s%04d", i)
		res := realistic(rng, run, id, start.Add(offset), 5+i)
		results = append(results, res)
		p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: id, Kind: "local"}, Rate: float64(5 + i)})
		put(t, st, store.ResultKey(run, id), res)
	}
	put(t, st, store.PlanKey(run), p)
	put(t, st, store.SpecKey(run), events.RunSpec{Targets: []events.Target{{URL: "http://a/"}}})
	r, err := Reduce(ctx, st, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.TimeSeries) != 61 {
		t.Fatalf("%d seconds in time_series; want 61 (60 and the late shard's last)", len(r.TimeSeries))
	}
	body, err := st.Get(ctx, store.ReportFile(run, HlogFile))
	if err != nil {
		t.Fatal(err)
	}
	return r, results, body
}

// TestHlogRoundTrip reduces a run of three shards whose windows overlap in
// part and reads its report.hlog back with hdrhistogram-go's log reader:
// one interval per point of the report's time_series, at its elapsed_s,
// each the exact merge of the shards' histograms for that second, with the
// report's count and percentiles; all intervals together are the run's
// latency histogram.
func TestHlogRoundTrip(t *testing.T) {
	r, results, body := reducedRun(t)
	// What each second should hold, merged with pkg/hist from the results,
	// and each target's second (by tag).
	want := map[int64]*hist.Histogram{}
	wantTarget := map[string]map[int64]*hist.Histogram{}
	all := hist.New()
	for _, res := range results {
		for _, sp := range res.Series {
			if want[sp.T] == nil {
				want[sp.T] = hist.New()
			}
			if err := hist.MergeEncoded(want[sp.T], sp.Latency); err != nil {
				t.Fatal(err)
			}
			for name, b := range sp.TargetLatency {
				tag := hist.LogTag(name)
				if wantTarget[tag] == nil {
					wantTarget[tag] = map[int64]*hist.Histogram{}
				}
				if wantTarget[tag][sp.T] == nil {
					wantTarget[tag][sp.T] = hist.New()
				}
				if err := hist.MergeEncoded(wantTarget[tag][sp.T], b); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := hist.MergeEncoded(all, res.Latency); err != nil {
			t.Fatal(err)
		}
	}

	rd := hdrhistogram.NewHistogramLogReader(bytes.NewReader(body))
	var total *hdrhistogram.Histogram
	for i, sp := range r.TimeSeries {
		got, err := rd.NextIntervalHistogram()
		if err != nil || got == nil || got.Tag() != "" {
			t.Fatalf("interval %d of %d: %v, %v; want an untagged one", i, len(r.TimeSeries), got, err)
		}
		if got.StartTimeMs() != sp.T*1000 || got.EndTimeMs() != sp.T*1000+1000 {
			t.Errorf("interval %d: [%d, %d] ms; want second %d", i, got.StartTimeMs(), got.EndTimeMs(), sp.T)
		}
		if got.TotalCount() != sp.Requests {
			t.Errorf("second %d: %d values; want time_series' %d requests", sp.ElapsedS, got.TotalCount(), sp.Requests)
		}
		if !got.Equals(asHdr(t, want[sp.T])) {
			t.Errorf("second %d: not the exact merge of the shards' histograms (%d values, want %v)", sp.ElapsedS, got.TotalCount(), want[sp.T])
		}
		if p50, p99 := float64(got.ValueAtQuantile(50))/1000, float64(got.ValueAtQuantile(99))/1000; p50 != sp.P50Ms || p99 != sp.P99Ms {
			t.Errorf("second %d: p50 %v ms, p99 %v ms; want time_series' %v, %v", sp.ElapsedS, p50, p99, sp.P50Ms, sp.P99Ms)
		}
		if total == nil {
			total = hdrhistogram.New(hist.Lowest, hist.Highest, hist.SigFigs)
		}
		if dropped := total.Merge(got); dropped != 0 {
			t.Fatalf("merge dropped %d", dropped)
		}
	}
	// Then each target's seconds, tagged, in time order, the targets of a
	// second in the report's order; together, each target's latency.
	tagTotal := map[string]*hdrhistogram.Histogram{}
	for _, sp := range r.TimeSeries {
		for _, tr := range r.Targets {
			tag := hist.LogTag(tr.Name)
			w := wantTarget[tag][sp.T]
			if w == nil {
				continue
			}
			got, err := rd.NextIntervalHistogram()
			if err != nil || got == nil {
				t.Fatalf("second %d, target %s: %v, %v; want a tagged interval", sp.ElapsedS, tr.Name, got, err)
			}
			if got.Tag() != tag || got.StartTimeMs() != sp.T*1000 || !got.Equals(asHdr(t, w)) {
				t.Errorf("second %d: interval tagged %q at %d ms with %d values; want %q at %d ms, the exact merge of %d",
					sp.ElapsedS, got.Tag(), got.StartTimeMs(), got.TotalCount(), tag, sp.T*1000, w.Count())
			}
			if tagTotal[tag] == nil {
				tagTotal[tag] = hdrhistogram.New(hist.Lowest, hist.Highest, hist.SigFigs)
			}
			tagTotal[tag].Merge(got)
		}
	}
	if got, err := rd.NextIntervalHistogram(); got != nil || err != nil {
		t.Errorf("an interval after the last target's last second: %v, %v", got, err)
	}
	if len(tagTotal) != 2 || tagTotal["GET_/a__b"] == nil {
		t.Errorf("tags %v; want 2, GET_/a__b among them", slices.Collect(maps.Keys(tagTotal)))
	}
	for _, tr := range r.Targets {
		got := tagTotal[hist.LogTag(tr.Name)]
		if got == nil || got.TotalCount() != tr.Requests {
			t.Errorf("target %s: tagged intervals hold %v values; want its %d requests", tr.Name, got, tr.Requests)
		}
	}
	// The log's timestamps are elapsed_s: relative to the run's start second.
	if !bytes.Contains(body, []byte("\n0.000000,1.000000,")) || !bytes.Contains(body, []byte("\n60.000000,1.000000,")) {
		t.Errorf("timestamps are not elapsed seconds 0 … 60:\n%.600s", body)
	}
	if !total.Equals(asHdr(t, all)) {
		t.Errorf("the intervals add up to %d values; want the run's %d", total.TotalCount(), all.Count())
	}
	if p99 := float64(total.ValueAtQuantile(99)) / 1000; p99 != r.LatencyMs.P99 {
		t.Errorf("p99 over the log %v ms; want the report's %v", p99, r.LatencyMs.P99)
	}
}

// TestHlogWithoutSeconds reduces runs without a second of latencies: one
// shard reported without a series, or every shard lost. Each still gets a
// report.hlog, a header the reader accepts and no interval.
func TestHlogWithoutSeconds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lose      bool  // remove the only result: every shard lost
		wantStart int64 // the log's start, Unix seconds
	}{
		{"no series", false, 1_800_000_000}, // the fixture's shard started then
		{"all lost", true, 0},               // nothing started: the epoch
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, run := fixture(t)
			if tc.lose {
				if err := os.Remove(filepath.Join(st.(store.Dir).Root, store.ResultKey(run, "s0000"))); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Reduce(ctx, st, run)
			if err != nil {
				t.Fatal(err)
			}
			body, err := st.Get(ctx, store.ReportFile(run, HlogFile))
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("#[StartTime: %d (seconds since epoch)", tc.wantStart)
			if !bytes.Contains(body, []byte(want)) || len(r.TimeSeries) != 0 {
				t.Errorf("%d seconds; log lacks %q:\n%s", len(r.TimeSeries), want, body)
			}
			if h, err := hdrhistogram.NewHistogramLogReader(bytes.NewReader(body)).NextIntervalHistogram(); h != nil || err != nil {
				t.Errorf("reading the log: %v, %v; want no interval and no error", h, err)
			}
		})
	}
}
