package plan

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/pacer"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func spec(rate float64, d time.Duration, keepalive bool, url string) events.RunSpec {
	s := events.RunSpec{Targets: []events.Target{{URL: url}}, Load: events.Load{Shape: events.ShapeConstant, Rate: rate},
		Duration: events.Duration(d), KeepAlive: &keepalive}
	return s.WithDefaults()
}

func TestSizing(t *testing.T) {
	tests := []struct {
		name    string
		spec    events.RunSpec
		opt     Options
		shards  int
		kind    string
		reason  string // a part of some reason
		warning string // a part of some warning ("" none)
	}{
		// 5,000 new connections/s: the port budget (235/s per worker) asks
		// for ⌈5000/235⌉ = 22 Lambda workers; CPU would need 2.
		{"new connections", spec(5000, 10*time.Minute, false, "http://x/"), Options{Backend: BackendAWS},
			22, events.KindLambda, "at most 235 connections/s", ""},
		// Keep-alive 20,000/s: CPU asks ⌈20000/10000⌉ = 2; file descriptors
		// ⌈20000/(0.8×1024/0.25)⌉ = ⌈20000/3276.8⌉ = 7.
		{"keep-alive", spec(20000, time.Minute, true, "http://x/"), Options{Backend: BackendAWS},
			7, events.KindLambda, "file descriptors", ""},
		// TLS handshakes cost most CPU: 3,000/s ÷ 600/s per vCPU = 5 workers
		// on 1-vCPU Lambdas, and the port budget asks ⌈3000/235⌉ = 13.
		{"tls new connections", spec(3000, time.Minute, false, "https://x/"), Options{Backend: BackendAWS},
			13, events.KindLambda, "new TLS connection", ""},
		// Bigger Lambdas need fewer workers for CPU (3,008 MB = 1.7 vCPU).
		{"tls bigger lambda", spec(3000, time.Minute, true, "https://x/"), Options{Backend: BackendAWS, LambdaMemoryMB: 3538},
			1, events.KindLambda, "2 vCPU per worker", ""},
		// A 30-minute run takes three 13-minute Lambda windows.
		{"windows", spec(1000, 30*time.Minute, true, "http://x/"), Options{Backend: BackendAWS},
			3, events.KindLambda, "3 consecutive windows", ""},
		// A 2-hour run would take 9 windows: Fargate instead.
		{"fargate", spec(1000, 2*time.Hour, true, "http://x/"), Options{Backend: BackendAWS},
			1, events.KindFargate, "Fargate tasks instead", ""},
		// An override below the port budget's need warns with the numbers.
		{"override", spec(5000, time.Minute, false, "http://x/"), Options{Backend: BackendAWS, Workers: 2},
			2, events.KindLambda, "--workers 2, as asked", "2,500 new connections per second"},
		// A closed loop runs as many shards as asked.
		{"closed loop", spec(0, time.Minute, true, "http://x/"), Options{Backend: BackendAWS, Workers: 3},
			3, events.KindLambda, "closed loop", ""},
		// Locally, one shard unless asked, and a plain warning when one host
		// cannot hold the TIME_WAIT sockets, with what AWS would take.
		{"local ports", spec(5000, time.Minute, false, "http://x/"), Options{Backend: BackendLocal, LocalCPUs: 2},
			1, events.KindLocal, "shares its 2 CPUs", "on AWS this run needs 22 lambda worker(s)"},
		// Workers of 1,000 ports each (the netns integration test's hosts):
		// ⌊1000/2/60⌋ = 8 connections/s per worker, so 60/s takes ⌈60/8⌉ = 8.
		{"small port range", spec(60, time.Minute, false, "http://x/"), Options{Backend: BackendAWS, PortRange: 1000},
			8, events.KindLambda, "60/s ÷ 8 = 8 worker(s)", ""},
		// A local host with 1,000 ports cannot sustain 60/s; AWS workers
		// have their own default ranges, so one would do there.
		{"local small port range", spec(60, time.Minute, false, "http://x/"), Options{Backend: BackendLocal, LocalCPUs: 2, PortRange: 1000},
			1, events.KindLocal, "shares its 2 CPUs", "range of 1,000 ports, and TIME_WAIT would hold 3,600 of them (60/s for 60 s), so connections will fail with addr_in_use; on AWS this run needs 1 lambda worker(s)"},
		// Locally, --workers stripes the schedule.
		{"local workers", spec(400, time.Minute, true, "http://x/"), Options{Backend: BackendLocal, LocalCPUs: 2, Workers: 4},
			4, events.KindLocal, "every 4th arrival", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.RunID, tt.opt.Now = "r", now
			p, err := Make(tt.spec, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Shards) != tt.shards || p.Shards[0].Kind != tt.kind {
				t.Errorf("%d shards of kind %s; want %d of %s\n%s", len(p.Shards), p.Shards[0].Kind, tt.shards, tt.kind, Summary(p))
			}
			if !contains(p.Reasons, tt.reason) {
				t.Errorf("no reason mentions %q:\n%s", tt.reason, Summary(p))
			}
			if tt.warning == "" && len(p.Warnings) > 0 || tt.warning != "" && !contains(p.Warnings, tt.warning) {
				t.Errorf("warnings %q; want one with %q", p.Warnings, tt.warning)
			}
		})
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestCost checks the estimate against one computed by hand: 22 Lambda
// workers of 1,769 MB (1.7275 GB) for a 10-minute window, 10 s of lead and
// 15 s of upload margin: 22 × 1.7275 × 625 s = 23,753.9 GB-s × $0.0000133334
// = $0.31672; 24 invocations × $0.0000002 = $0.0000048.
func TestCost(t *testing.T) {
	p, err := Make(spec(5000, 10*time.Minute, false, "http://x/"), Options{RunID: "r", Backend: BackendAWS, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	compute := 22*1769.0/1024*625*Prices.LambdaGBSecond + 24*Prices.LambdaRequest
	if p.CostUSD < compute || p.CostUSD > compute+0.03 {
		t.Errorf("cost $%.5f; compute alone is $%.5f and requests add cents at most", p.CostUSD, compute)
	}
	if !contains(p.Reasons, "23,754 GB-seconds") {
		t.Errorf("reasons lack the GB-seconds: %q", p.Reasons)
	}
	local, _ := Make(spec(5000, 10*time.Minute, false, "http://x/"), Options{RunID: "r", Backend: BackendLocal, Now: now})
	if local.CostUSD != 0 {
		t.Errorf("local cost $%v; want 0", local.CostUSD)
	}
}

func TestTimes(t *testing.T) {
	p, _ := Make(spec(1000, 30*time.Minute, true, "http://x/"), Options{RunID: "r", Backend: BackendAWS, Now: now})
	if !p.StartAt.Equal(now.Add(10 * time.Second)) {
		t.Errorf("start %v; want now + 10 s lead", p.StartAt)
	}
	last := p.Shards[len(p.Shards)-1]
	// Windows of 13 minutes: the 900 s timeout less 90 s lead, 15 s upload
	// margin and 15 s slack.
	if last.ShardID != "s0000-w2" || last.WindowFrom.D() != 26*time.Minute || last.WindowTo.D() != 30*time.Minute {
		t.Errorf("last shard %s covers [%v, %v); want s0000-w2 over [26m, 30m)", last.ShardID, last.WindowFrom, last.WindowTo)
	}
	if !last.WindowStart.Equal(p.StartAt.Add(26*time.Minute)) || !last.NotAfter.Equal(last.WindowStart.Add(30*time.Second)) {
		t.Errorf("window 2 starts %v, not after %v", last.WindowStart, last.NotAfter)
	}
	if want := p.StartAt.Add(30*time.Minute + 30*time.Second + 30*time.Second); !p.Deadline.Equal(want) {
		t.Errorf("deadline %v; want %v (end + timeout + grace)", p.Deadline, want)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Options{{Backend: "gcp"}, {Backend: BackendAWS, Kind: "ec2"}, {Backend: BackendLocal, Kind: "lambda"},
		{Backend: BackendAWS, Workers: -1}, {Backend: BackendAWS, LambdaMemoryMB: 64}} {
		if _, err := Make(spec(10, time.Second, true, "http://x/"), o); err == nil {
			t.Errorf("Make accepted %+v", o)
		}
	}
}

// TestPartition checks that the shards of a plan, stripes × windows,
// together hold the global schedule exactly: every due time once, shifted
// by its window's start, for constant and ramped rates.
func TestPartition(t *testing.T) {
	for _, s := range []events.RunSpec{
		spec(97, 30*time.Minute, true, "http://x/"),
		func() events.RunSpec {
			s := spec(0, 31*time.Minute, true, "http://x/")
			s.Load = events.Load{Shape: events.ShapeRamp, From: 5, To: 120}
			return s
		}(),
		// Stages whose boundaries fall inside Lambda windows (13 min): 10 min
		// at 20/s, a ramp 20→60/s over 10 min, 10 min at 3/s.
		staged(events.Load{Shape: events.ShapeStages, Stages: []events.Stage{
			{Duration: events.Duration(10 * time.Minute), Rate: 20},
			{Duration: events.Duration(10 * time.Minute), Rate: 20, RampTo: ptr(60.0)},
			{Duration: events.Duration(10 * time.Minute), Rate: 3}}}),
		// A find-max staircase of 7-minute steps: 10, 15, 22.5, 33.75/s.
		staged(events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 10, Factor: 1.5,
			Step: events.Duration(7 * time.Minute), Warmup: events.Duration(time.Minute), Max: 40}}),
	} {
		p, err := Make(s, Options{RunID: "r", Backend: BackendAWS, Now: now, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		global := Global(s.Load, s.Duration.D())
		want := global.Arrivals(s.Duration.D())
		seen := map[time.Duration]int{}
		var total int64
		for _, m := range Messages(p, s, "runs/r/spec.json") {
			pc := Pacer(m)
			for j := int64(0); ; j++ {
				d, ok := pc.Due(j)
				if !ok {
					break
				}
				seen[d+m.WindowFrom.D()]++
				total++
			}
		}
		if total != want {
			t.Fatalf("%v: shards hold %d arrivals; the schedule holds %d", s.Load, total, want)
		}
		for i := range want {
			d, _ := global.Due(i)
			if seen[d] != 1 {
				t.Fatalf("%v: arrival %d at %v appears %d times", s.Load, i, d, seen[d])
			}
		}
	}
}

// staged is a spec of load l, its duration set by l.
func staged(l events.Load) events.RunSpec {
	s := spec(0, 0, true, "http://x/")
	s.Load, s.Duration = l, 0
	return s.WithDefaults()
}

func ptr[T any](v T) *T { return &v }

// TestStagedPlan: a staged load plans for its peak rate, over the length
// its steps add up to, and each shard's share follows the same shape.
func TestStagedPlan(t *testing.T) {
	s := staged(events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 1000, Increment: 1000,
		Step: events.Duration(time.Minute), Warmup: events.Duration(30 * time.Second), Max: 5000}})
	s.KeepAlive = ptr(false)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := Make(s, Options{RunID: "r", Backend: BackendAWS, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// 5,000 new connections/s at the top step: ⌈5000/235⌉ = 22 workers.
	if len(p.Shards) != 22 {
		t.Errorf("%d shards; want 22 for a peak of 5,000 new connections/s", len(p.Shards))
	}
	if want := 5*time.Minute + 30*time.Second; s.Duration.D() != want || p.Shards[0].WindowTo.D() != want {
		t.Errorf("duration %s, window to %s; want %s", s.Duration, p.Shards[0].WindowTo, want)
	}
	// (1000·90 + 2000·60 + … + 5000·60) / 330 s.
	if want := (1000.0*90 + (2000+3000+4000+5000)*60) / 330 / 22; math.Abs(p.Shards[0].Rate-want) > 1e-9 {
		t.Errorf("shard rate %v; want %v", p.Shards[0].Rate, want)
	}
	if r := p.Reasons[0]; !strings.HasPrefix(r, "find-max: 5 steps of 1m0s from 1,000/s to 5,000/s after a 30s warm-up, 5m30s in all") {
		t.Errorf("first reason %q; want the staircase described", r)
	}
	m := Messages(p, s, "k")[3]
	pc := Pacer(m)
	for _, at := range []time.Duration{10 * time.Second, 100 * time.Second, 300 * time.Second} {
		if got, want := pc.Rate(at), Global(s.Load, s.Duration.D()).Rate(at)/22; math.Abs(got-want) > 1e-9 {
			t.Errorf("shard rate at %v = %v; want %v", at, got, want)
		}
	}
}

// TestWindowPacer pins Window against its definition.
func TestWindowPacer(t *testing.T) {
	w := Window{P: pacer.Constant{R: 10, D: 10 * time.Second}, From: 2 * time.Second, To: 5 * time.Second}
	if d, ok := w.Due(0); !ok || d != 0 {
		t.Errorf("Due(0) = %v, %v; want the parent's arrival 20 at the window start", d, ok)
	}
	if d, ok := w.Due(29); !ok || d != 2900*time.Millisecond {
		t.Errorf("Due(29) = %v, %v; want 2.9 s", d, ok)
	}
	if _, ok := w.Due(30); ok {
		t.Error("Due(30) is past the window")
	}
	if n := w.Arrivals(time.Hour); n != 30 {
		t.Errorf("Arrivals = %d; want 30", n)
	}
	if w.Length() != 3*time.Second || w.Rate(0) != 10 {
		t.Errorf("Length %v, Rate %v", w.Length(), w.Rate(0))
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	s := spec(1000, 30*time.Minute, true, "http://x/")
	p, _ := Make(s, Options{RunID: "r", Backend: BackendAWS, Now: now})
	for i, m := range Messages(p, s, "runs/r/spec.json") {
		sh := p.Shards[i]
		// The message says of its shard what the plan says (one
		// ShardWindow), and its times count from the run's start.
		if m.ShardWindow != sh.ShardWindow || !m.StartAt.Equal(p.StartAt) || m.SpecKey != "runs/r/spec.json" {
			t.Errorf("message %d = %+v; shard %+v", i, m, sh)
		}
		if !m.WindowStart().Equal(sh.WindowStart) || !sh.WindowStart.Equal(sh.Start(p.StartAt)) ||
			!m.WindowEnd().Equal(p.StartAt.Add(sh.WindowTo.D())) {
			t.Errorf("message %d: window [%v, %v); plan: window start %v, run start %v", i, m.WindowStart(), m.WindowEnd(), sh.WindowStart, p.StartAt)
		}
	}
	if Pacer(events.ShardMessage{Load: events.Load{Shape: events.ShapeConstant}, Duration: events.Duration(time.Second)}) != nil {
		t.Error("a closed loop has a pacer")
	}
}

func ExampleSummary() {
	p, _ := Make(spec(5000, 10*time.Minute, false, "http://api.example.com/"),
		Options{RunID: "example", Backend: BackendAWS, Now: now})
	fmt.Print(Summary(p))
	// Output:
	// plan example (aws backend): 22 shard(s), starting 2026-11-23 10:00:10Z, reported by 10:11:10
	//   s0000…s0021             22 × lambda, 1769 MB, 227/s each, window 0s–10m0s, in flight ≤ 803
	// why:
	//   - Lambda workers: 10m0s fits in one Lambda window (≤ 14m20s: the 15m0s timeout less 10s lead, 15s upload margin and 15s slack)
	//   - CPU: 5,000/s with a new connection per request ÷ 4,000/s per vCPU ÷ 1 vCPU per worker = 2 worker(s)
	//   - ports: each worker may open at most 235 connections/s before TIME_WAIT (60 s) holds half of its 28,232 ports: 5,000/s ÷ 235 = 22 worker(s)
	//   - file descriptors: at a latency budget of 250ms a worker keeps at most 3,277/s in flight within 80% of its 1,024 descriptors: 2 worker(s)
	//   - 5,000/s needs 22 lambda worker(s); each takes every 22nd arrival, 227/s
	//   - quotas not checked: the Lambda concurrency the worker may use is unknown; a plan above it is throttled and its shards come out missed
	//   - cost ≈ $0.3358: Lambda 23,754 GB-seconds ($0.3167) and 24 invocations ($0.000005); SQS 729 requests ($0.000292); S3 2,690 PUT and 13,270 GET/HEAD ($0.018758); Lambda prices of 2026-11-23 (us-east-1, arm64)
	//   - reducer: the reducer Lambda: 26,400 per-second histograms of 22 shards over 600 s (0 series targets): about 1s of CPU and 182 MB, within half its 300 s and 1769 MB
	// estimated cost: $0.3358
}
