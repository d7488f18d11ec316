//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestLabHelper is not a test: it is this binary re-executed inside a lab
// namespace as a target or queue helper (Lab.Serve).
func TestLabHelper(t *testing.T) {
	if ok, err := RunHelper(); !ok {
		t.Skip("only a helper process started by Lab.Serve does something here")
	} else if err != nil {
		t.Fatal(err)
	}
}

// The port arithmetic under test. Each generator host has 1,000 ephemeral
// ports; a closed connection holds its port 60 s in TIME_WAIT, so a host
// can open at most 1,000 / 60 s ≈ 16.7 connections per second to one
// destination for long. The run asks 3.6 times that, for 65 s: one host
// runs out of ports after 1,000 / 60 ≈ 17 s, and the spread hosts reach
// TIME_WAIT's steady state (60 s) with time to spare.
const (
	labPortLow, labPortHigh = 40000, 40999
	labPorts                = labPortHigh - labPortLow + 1
	labRate                 = 60.0
	labDuration             = 65 * time.Second
)

// TestPortArithmetic proves the product's premise on a real kernel, with
// hosts made of network namespaces (Lab). One host that opens a connection
// per request at 60/s exhausts its 1,000 ports: its report counts the
// failures as addr_in_use (EADDRNOTAVAIL) and its TIME_WAIT samples climb
// to the range's size. The same run spread by the planner over as many
// hosts as the port budget asks (8: ⌈60 / ⌊1,000 / 2 / 60⌋⌉) has no such
// failure, each host's TIME_WAIT staying within half its range.
//
// Both runs go at once, against one target in the server namespace. The
// single host is `barrage run` (the local backend, what a user on one
// machine runs). The spread is the real pipeline: the planner's plan and
// the spec in a shared store directory, the shards in a queue the test
// serves on a Unix socket (each host reaches it through a helper on its own
// 127.0.0.1), one `barrage worker --max-shards 1` per host, and the
// reducer.
func TestPortArithmetic(t *testing.T) {
	lab := NewLab(t)
	bin := buildBarrage(t)
	target := lab.Serve(lab.Server, HelperTarget, LabTarget+":8080")
	keepalive := false
	spec := events.RunSpec{Name: "port arithmetic", Targets: []events.Target{{URL: "http://" + target + "/"}},
		Load: events.Load{Shape: events.ShapeConstant, Rate: labRate}, Duration: events.Duration(labDuration),
		KeepAlive: &keepalive, Timeout: events.Duration(2 * time.Second)}.WithDefaults()
	planned := int64(labRate * labDuration.Seconds())

	// The planner sizes the spread for workers that each have 1,000
	// ports: the aws backend's sizing, whose workers have their own
	// network stacks as these hosts do (the local backend plans for one
	// host).
	opts := plan.Options{RunID: "spread", Backend: plan.BackendAWS, PortRange: labPorts, LeadTime: 3 * time.Second}
	opts.Now = time.Now()
	sizing, err := plan.Make(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := len(sizing.Shards)
	t.Logf("planner, %d ports per worker: %d workers\n\t%s", labPorts, n, strings.Join(sizing.Reasons, "\n\t"))

	one := lab.Host("one", labPortLow, labPortHigh)
	outOne := t.TempDir()
	specFile := filepath.Join(t.TempDir(), "spec.json")
	writeJSON(t, specFile, spec)

	q := queue.NewMem()
	t.Cleanup(q.Close)
	sock := ServeQueue(t, q)
	spreadDir := t.TempDir()
	var workers []*proc
	for i := range n {
		ns := lab.Host(fmt.Sprintf("g%d", i+1), labPortLow, labPortHigh)
		relay := lab.Serve(ns, HelperQueue, sock)
		workers = append(workers, lab.Start("barrage worker in "+ns, lab.Command(ns, bin, "worker",
			"--store", spreadDir, "--queue", "http://"+relay, "--kind", "local", "--max-shards", "1", "--idle-exit", "1m")))
	}
	// The run's plan, made now that every worker waits for a shard.
	opts.Now = time.Now()
	p, err := plan.Make(spec, opts)
	if err != nil || len(p.Shards) != n {
		t.Fatalf("planned again: %v, %v; want %d shards", p, err, n)
	}
	if err := orchestrator.Publish(context.Background(), store.Dir{Root: spreadDir}, q, spec, p); err != nil {
		t.Fatal(err)
	}
	single := lab.Start("barrage run in "+one, lab.Command(one, bin, "run", specFile, "--out", outOne, "--quiet"))

	deadline := time.After(labDuration + 90*time.Second)
	for _, w := range append(workers, single) {
		select {
		case <-w.done:
			if w.err != nil {
				w.failed(t, fmt.Sprintf("exited: %v", w.err))
			}
		case <-deadline:
			w.failed(t, "did not finish in time")
		}
	}

	t.Run("one host", func(t *testing.T) { checkOneHost(t, outOne, planned) })
	t.Run("spread", func(t *testing.T) { checkSpread(t, spreadDir, n, planned) })
}

// checkOneHost reads the single host's run from its folder under out: its
// port errors, classified, and TIME_WAIT climbing to the range.
func checkOneHost(t *testing.T, out string, planned int64) {
	reports, _ := filepath.Glob(filepath.Join(out, "runs", "*", "report.json"))
	if len(reports) != 1 {
		t.Fatalf("run folders with a report under %s: %v; want one", out, reports)
	}
	st := store.Dir{Root: out}
	id := filepath.Base(filepath.Dir(reports[0]))
	var rep events.Report
	var p events.Plan
	var res events.ShardResult
	readJSON(t, st, store.ReportKey(id), &rep)
	readJSON(t, st, store.PlanKey(id), &p)
	readJSON(t, st, store.ResultKey(id, p.Shards[0].ShardID), &res)

	h := rep.Health
	t.Logf("one host, %d ports: %d requests (+%d dropped) of %d planned at %.0f/s; %d succeeded; errors %v; details %v",
		h.PortRangeSize, rep.Requests, rep.Dropped, planned, labRate, rep.Success, rep.Errors, rep.ErrorDetails)
	t.Logf("one host: peak TIME_WAIT %d of a %d-port range; first errors in second %d (the range holds %.1f s of connections)",
		h.MaxTimeWait, h.PortRangeSize, firstErrorSecond(rep.TimeSeries), labPorts/labRate)
	t.Logf("one host: TIME_WAIT every 5 s: %v", timeWaitEvery(res.Health.Samples, 5))
	t.Logf("one host: the local planner warned: %q", p.Warnings)

	if rep.Requests+rep.Dropped != planned {
		t.Errorf("%d requests + %d dropped; want the %d planned arrivals", rep.Requests, rep.Dropped, planned)
	}
	if h.PortRangeSize != labPorts {
		t.Errorf("the host's port range holds %d ports; want %d", h.PortRangeSize, labPorts)
	}
	// A port stays taken at least 60 s from its connection's start, so
	// no 60 s hold more than 1,000 connections: at most 1,000 + 60/s × 5 s
	// succeed in 65 s (fewer when the machine is busy). The others fail
	// at once with EADDRNOTAVAIL, from about 17 s on.
	if most := int64(labPorts + labRate*(labDuration-plan.TimeWait).Seconds()); rep.Success > most {
		t.Errorf("%d connections succeeded; want at most %d", rep.Success, most)
	}
	if got := rep.ErrorDetails["addr_in_use EADDRNOTAVAIL"]; got == 0 || got != rep.Errors["addr_in_use"] {
		t.Errorf("addr_in_use EADDRNOTAVAIL: %d of %d addr_in_use errors; want some, all of them EADDRNOTAVAIL",
			got, rep.Errors["addr_in_use"])
	}
	if h.MaxTimeWait < labPorts*9/10 || h.MaxTimeWait > labPorts {
		t.Errorf("peak TIME_WAIT %d; want near the range's %d ports", h.MaxTimeWait, labPorts)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "one host cannot sustain") }) {
		t.Errorf("the local plan's warnings %q say nothing of the port range", p.Warnings)
	}
}

// checkSpread reduces the spread run: no port errors, and each host's
// TIME_WAIT within the half of its range that the planner budgets.
func checkSpread(t *testing.T, dir string, n int, planned int64) {
	rep, err := reduce.Reduce(context.Background(), store.Dir{Root: dir}, "spread")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("spread over %d hosts of %d ports: %d requests (+%d dropped) of %d planned at %.0f/s; %d succeeded; errors %v; details %v",
		n, labPorts, rep.Requests, rep.Dropped, planned, labRate, rep.Success, rep.Errors, rep.ErrorDetails)
	if rep.Requests+rep.Dropped != planned || rep.Coverage != 1 {
		t.Errorf("%d requests + %d dropped, coverage %v; want the %d planned arrivals, coverage 1",
			rep.Requests, rep.Dropped, rep.Coverage, planned)
	}
	if got := rep.Errors["addr_in_use"]; got != 0 {
		t.Errorf("%d addr_in_use errors (%v); want none", got, rep.ErrorDetails)
	}
	if len(rep.Shards) != n {
		t.Fatalf("%d shards reported; want %d", len(rep.Shards), n)
	}
	// Each worker ran one shard (--max-shards 1) in its own namespace.
	for _, s := range rep.Shards {
		h := s.Health
		t.Logf("spread host %s: %s, %.1f/s planned, %d requests, peak TIME_WAIT %d of %d ports (%.1f/s × 60 s = %.0f)",
			s.ShardID, s.Status, s.PlannedRate, s.Requests, h.MaxTimeWait, h.PortRangeSize, s.PlannedRate, s.PlannedRate*60)
		if s.Status != events.StatusComplete || h.PortRangeSize != labPorts {
			t.Errorf("shard %s: %s with %d ports; want complete with %d", s.ShardID, s.Status, h.PortRangeSize, labPorts)
		}
		// Arrivals are paced, never burst, so TIME_WAIT holds at most
		// rate × (60 s plus the kernel timer's slack of a few seconds):
		// 7.5/s × 65 s = 488, inside the half range the planner budgets.
		if h.MaxTimeWait == 0 || h.MaxTimeWait > labPorts/2 {
			t.Errorf("shard %s: peak TIME_WAIT %d; want some, at most half of %d ports", s.ShardID, h.MaxTimeWait, labPorts)
		}
	}
}

// firstErrorSecond is the elapsed second of the first errors, or -1.
func firstErrorSecond(series []events.SeriesReport) int64 {
	for _, s := range series {
		if s.Errors > 0 {
			return s.ElapsedS
		}
	}
	return -1
}

// timeWaitEvery lists every k-th sample's TIME_WAIT count.
func timeWaitEvery(samples []events.HealthSample, k int) []int {
	var out []int
	for i := 0; i < len(samples); i += k {
		out = append(out, samples[i].TimeWait)
	}
	return out
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, st store.Store, key string, v any) {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}
