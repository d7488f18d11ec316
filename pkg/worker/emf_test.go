package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/store"
)

// emfUnits are the units CloudWatch accepts (the EMF specification's
// MetricDefinition.Unit).
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true, "Megabytes": true,
	"Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true,
	"Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true,
	"Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true,
	"Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

// checkEMF checks one line against the EMF specification's required
// structure: a JSON object whose _aws has a Timestamp in milliseconds and
// CloudWatchMetrics, each directive with a Namespace, Dimensions (sets of
// at most 30 keys, each a string member of the object) and Metrics (at
// most 100, each a Name that is a number member of the object, and a
// valid Unit). It returns the object.
func checkEMF(line []byte) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	aws, ok := doc["_aws"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no _aws object")
	}
	if ts, ok := aws["Timestamp"].(float64); !ok || ts < 1e12 || ts != float64(int64(ts)) {
		return nil, fmt.Errorf("_aws.Timestamp %v is not milliseconds since the epoch", aws["Timestamp"])
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		return nil, fmt.Errorf("_aws.CloudWatchMetrics %v is not a list of directives", aws["CloudWatchMetrics"])
	}
	for _, d := range dirs {
		dir, _ := d.(map[string]any)
		if ns, ok := dir["Namespace"].(string); !ok || ns == "" || len(ns) > 255 {
			return nil, fmt.Errorf("directive's Namespace %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			return nil, fmt.Errorf("directive's Dimensions %v is not a list", dir["Dimensions"])
		}
		for _, s := range sets {
			set, ok := s.([]any)
			if !ok || len(set) > 30 {
				return nil, fmt.Errorf("dimension set %v", s)
			}
			for _, k := range set {
				if name, _ := k.(string); name == "" || doc[name] == nil {
					return nil, fmt.Errorf("dimension %v has no string member", k)
				} else if _, ok := doc[name].(string); !ok {
					return nil, fmt.Errorf("dimension %s is %v, not a string", name, doc[name])
				}
			}
		}
		ms, ok := dir["Metrics"].([]any)
		if !ok || len(ms) == 0 || len(ms) > 100 {
			return nil, fmt.Errorf("directive's Metrics %v", dir["Metrics"])
		}
		for _, m := range ms {
			md, _ := m.(map[string]any)
			name, _ := md["Name"].(string)
			if _, ok := doc[name].(float64); !ok {
				return nil, fmt.Errorf("metric %q has no number member (%v)", name, doc[name])
			}
			if u, ok := md["Unit"].(string); ok && !emfUnits[u] {
				return nil, fmt.Errorf("metric %s: unit %q", name, u)
			}
		}
	}
	return doc, nil
}

// TestEMFLines: two progresses of a shard make two lines of the embedded
// metric format, in namespace barrage with the run's id (and the worker
// kind) as dimensions; counts are those since the previous line, and each
// error class that grew has a metric of its own.
func TestEMFLines(t *testing.T) {
	var buf bytes.Buffer
	e := &emf{w: &buf, kind: events.KindLambda}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	first := events.ShardProgress{T: t0, Requests: 10, IntervalRequests: 10, IntervalSuccess: 8, Errors: 2, Sent: 12,
		Dropped: 1, Inflight: 2, Rate: 10, IntervalP99: events.Millis(40 * time.Millisecond),
		ErrorClasses: map[string]int64{"timeout": 2}, Latency: &events.LatencyBuckets{Count: 10, SumMs: 100}}
	second := events.ShardProgress{T: t0.Add(5 * time.Second), Requests: 30, IntervalRequests: 20, IntervalSuccess: 17,
		Errors: 5, Sent: 31, Dropped: 1, Rate: 4, ErrorClasses: map[string]int64{"timeout": 2, "connect_refused": 3},
		Latency: &events.LatencyBuckets{Count: 27, SumMs: 440}}
	e.line("run-1", "s0001", first)
	e.line("run-1", "s0001", second)
	var docs []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		doc, err := checkEMF(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v\n%s", len(docs), err, sc.Bytes())
		}
		docs = append(docs, doc)
	}
	if len(docs) != 2 {
		t.Fatalf("%d lines; want 2", len(docs))
	}
	dir := docs[0]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if dir["Namespace"] != "barrage" || fmt.Sprint(dir["Dimensions"]) != "[[RunId] [RunId Kind]]" ||
		docs[0]["RunId"] != "run-1" || docs[0]["Kind"] != "lambda" || docs[0]["_aws"].(map[string]any)["Timestamp"] != float64(t0.UnixMilli()) {
		t.Errorf("first line's directive %v, run %v, kind %v", dir, docs[0]["RunId"], docs[0]["Kind"])
	}
	for i, tc := range []map[string]float64{
		// The first line: everything so far.
		{"Requests": 10, "Successes": 8, "Errors": 2, "Errors_timeout": 2, "Sent": 12, "Dropped": 1, "Inflight": 2,
			"Rate": 10, "LatencyP99": 40, "LatencyMean": 10},
		// The second: what happened since, and only the class that grew.
		{"Requests": 20, "Successes": 17, "Errors": 3, "Errors_connect_refused": 3, "Sent": 19, "Dropped": 0,
			"Inflight": 0, "Rate": 4, "LatencyP99": 0, "LatencyMean": 20},
	} {
		for name, want := range tc {
			if got := docs[i][name]; got != want {
				t.Errorf("line %d: %s = %v; want %v", i, name, got, want)
			}
		}
		if _, ok := docs[1]["Errors_timeout"]; ok {
			t.Errorf("line 1 has Errors_timeout, a class that did not grow")
		}
	}
}

// TestEMFFromRunShard: a shard run with an EMF writer writes one valid
// line per progress, and their requests add up to the shard's.
func TestEMFFromRunShard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	st := &progressLog{Store: store.Dir{Root: t.TempDir()}}
	m := stored(t, st.Store, srv.URL+"/", 20, 2500*time.Millisecond, 1)[0]
	var buf bytes.Buffer
	rt := &Runtime{Store: st, Kind: events.KindFargate, ProgressEvery: 100 * time.Millisecond, Engine: lenient, EMF: &buf}
	if out, err := rt.RunShard(context.Background(), m); err != nil || out != Complete {
		t.Fatalf("outcome %v, %v; want complete", out, err)
	}
	var lines int
	var requests float64
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		doc, err := checkEMF(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v\n%s", lines, err, sc.Bytes())
		}
		lines++
		requests += doc["Requests"].(float64)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if lines < 2 || len(st.all) == 0 || requests != float64(st.all[len(st.all)-1].Requests) {
		t.Errorf("%d lines adding up to %v requests; the last progress counts %v", lines, requests, st.all)
	}
}
