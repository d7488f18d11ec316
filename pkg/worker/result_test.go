package worker

import (
	"reflect"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/hist"
)

// histOf is a histogram of the given latencies.
func histOf(ds ...time.Duration) *hist.Histogram {
	h := hist.New()
	for _, d := range ds {
		h.Record(d)
	}
	return h
}

// measured is an engine result with every field set, each to its own value.
func measured(t *testing.T, stopped string) *engine.Result {
	t.Helper()
	start := time.Date(2026, 3, 1, 10, 29, 30, 250_000_000, time.FixedZone("CET", 3600))
	second, err := histOf(4 * time.Millisecond).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	secondUnc, err := histOf(3 * time.Millisecond).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var classes [errclass.NumClasses]int64
	classes[errclass.Timeout] = 1
	return &engine.Result{Stopped: stopped, Start: start, StartSkew: 1500 * time.Microsecond, Send: 2500 * time.Millisecond,
		End: start.Add(3 * time.Second), PlannedRate: 40, PlannedArrivals: 100,
		Counts:  events.Counts{Requests: 97, Success: 95, Dropped: 3, StatusCodes: map[string]int64{"200": 95, "503": 1}},
		Latency: histOf(time.Millisecond, 2*time.Millisecond), LatencyUncorrected: histOf(time.Millisecond),
		Lag: histOf(50 * time.Microsecond),
		Targets: []engine.TargetResult{{Name: "login/token", Kind: events.TargetStep, Group: "login",
			Counts:  events.Counts{Requests: 97, Success: 95},
			Latency: histOf(3 * time.Millisecond), LatencyUncorrected: histOf(5 * time.Millisecond)}},
		Series: []engine.Second{{Start: start, Requests: 40, Success: 39, Errors: 1, ErrorClasses: classes, Dropped: 2,
			Latency: second, LatencyUncorrected: secondUnc, Targets: [][]byte{secondUnc}}},
		Health: events.Health{CPUs: 2, Dials: 4, Samples: []events.HealthSample{{T: start.Unix(), IntervalS: 1}}}}
}

// TestShardResult maps an engine result to the wire: every field of the
// result, its targets and its series points is set from the engine's, and
// the histograms decode to the engine's.
func TestShardResult(t *testing.T) {
	m := &events.ShardMessage{RunID: "r1", ShardWindow: events.ShardWindow{ShardID: "s0001-w1"}}
	tests := []struct {
		stopped            string
		wantStatus, reason string
	}{
		{"", events.StatusComplete, ""},                                 // ran to its end
		{engine.StopAborted, events.StatusTruncated, "aborted"},         // cut off by the abort marker
		{engine.StopInterrupted, events.StatusTruncated, "interrupted"}, // the scheduling context ended
	}
	for _, tt := range tests {
		r := measured(t, tt.stopped)
		scraped := []events.MonitorReport{{URL: "http://kc:9000/metrics", Scrapes: 3}}
		got := shardResult(m, events.KindFargate, r, scraped)
		if tt.stopped != "" {
			// Every field, stop reason included, must come from somewhere.
			checkAllSet(t, reflect.ValueOf(*got), "ShardResult")
			checkAllSet(t, reflect.ValueOf(got.Targets[0]), "TargetResult")
			checkAllSet(t, reflect.ValueOf(got.Series[0]), "SeriesPoint")
		}
		scalars := []struct {
			name      string
			got, want any
		}{
			{"Version", got.Version, events.ShardResultVersion},
			{"RunID", got.RunID, "r1"},
			{"ShardID", got.ShardID, "s0001-w1"},
			{"Kind", got.Kind, events.KindFargate},
			{"Status", got.Status, tt.wantStatus},
			{"StopReason", got.StopReason, tt.reason},
			{"PlannedRate", got.PlannedRate, 40.0},
			{"PlannedArrivals", got.PlannedArrivals, int64(100)},
			{"StartedAt", got.StartedAt, r.Start.UTC()},
			{"SendSeconds", got.SendSeconds, 2.5},
			{"EndedAt", got.EndedAt, r.End.UTC()},
			{"StartSkewMs", got.StartSkewMs, 1.5},
			{"Counts", got.Counts, r.Counts},
			{"Health", got.Health, r.Health},
			{"Monitor", got.Monitor, scraped},
			{"Targets[0].Name", got.Targets[0].Name, "login/token"},
			{"Targets[0].Kind", got.Targets[0].Kind, events.TargetStep},
			{"Targets[0].Group", got.Targets[0].Group, "login"},
			{"Targets[0].Counts", got.Targets[0].Counts, r.Targets[0].Counts},
			{"Series[0].T", got.Series[0].T, r.Start.Unix()},
			{"Series[0]", got.Series[0], events.SeriesPoint{T: r.Start.Unix(), Requests: 40, Success: 39, Errors: 1,
				ErrorsByClass: map[string]int64{"timeout": 1}, Dropped: 2, Latency: events.Histogram(r.Series[0].Latency),
				LatencyUncorrected: events.Histogram(r.Series[0].LatencyUncorrected),
				TargetLatency:      map[string]events.Histogram{"login/token": r.Series[0].Targets[0]}}},
		}
		for _, s := range scalars {
			if !reflect.DeepEqual(s.got, s.want) {
				t.Errorf("stopped %q: %s: got %v, want %v", tt.stopped, s.name, s.got, s.want)
			}
		}
		if loc := got.StartedAt.Location(); loc != time.UTC {
			t.Errorf("StartedAt in %v, want UTC", loc)
		}
		hists := []struct {
			name string
			got  events.Histogram
			want *hist.Histogram
		}{
			{"Latency", got.Latency, r.Latency},
			{"LatencyUncorrected", got.LatencyUncorrected, r.LatencyUncorrected},
			{"Lag", got.Lag, r.Lag},
			{"Targets[0].Latency", got.Targets[0].Latency, r.Targets[0].Latency},
			{"Targets[0].LatencyUncorrected", got.Targets[0].LatencyUncorrected, r.Targets[0].LatencyUncorrected},
		}
		for _, h := range hists {
			d, err := hist.Decode(h.got)
			if err != nil || !d.Equal(h.want) {
				t.Errorf("%s decodes to %v, %v; want %v", h.name, d, err, h.want)
			}
		}
	}
}

// checkAllSet fails t for each field of struct v in the wire form that is
// zero or empty.
func checkAllSet(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("json") == "-" { // not in the wire form
			continue
		}
		f := v.Field(i)
		empty := f.IsZero()
		if f.Kind() == reflect.Slice || f.Kind() == reflect.Map {
			empty = f.Len() == 0
		}
		if empty {
			t.Errorf("%s.%s is not set", name, v.Type().Field(i).Name)
		}
	}
}
