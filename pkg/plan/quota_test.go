package plan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

func TestQuotas(t *testing.T) {
	newConn := func(rate float64, d time.Duration) events.RunSpec { return spec(rate, d, false, "http://x/") }
	tests := []struct {
		name    string
		spec    events.RunSpec
		opt     Options
		kind    string
		shards  int // per window
		windows int
		reason  string // a part of some reason
		warning string // a part of some warning ("" none)
		refused string // a part of the refusal ("" none)
		quota   string // the refusing quota
	}{
		// 200/s keep-alive needs one worker: it fits a new account's 10.
		{name: "fits as is", spec: spec(200, 5*time.Minute, true, "http://x/"), opt: Options{Quotas: Quotas{LambdaConcurrency: 10}},
			kind: events.KindLambda, shards: 1, windows: 1,
			reason: "lambda concurrency 10 (account unreserved concurrency): the plan needs 1 concurrent worker Lambda (1 shard): fits"},
		// Nothing known: planned as before, and the reasons say so.
		{name: "not checked", spec: newConn(5000, 10*time.Minute), kind: events.KindLambda, shards: 22, windows: 1,
			reason: "quotas not checked: the Lambda concurrency the worker may use is unknown"},
		// 2,000 new connections/s plan ⌈2000/235⌉ = 9 workers; with 8
		// allowed, each opens 250/s, within the stretched port ceiling of
		// ⌊0.8 × 28,232 / 60⌋ = 376/s.
		{name: "busier workers", spec: newConn(2000, 10*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 8, LambdaReserved: true}},
			kind: events.KindLambda, shards: 8, windows: 1,
			reason:  "lambda concurrency 8 (the worker's reserved concurrency): 9 shards would exceed it; 8 lambda workers at 250/s each fit CPU (≤ 6,000/s",
			warning: "8 lambda workers instead of 9"},
		// A new account (10): 3,000/s new connections plan 13 workers, and
		// 10 carry 300/s each within the ceilings.
		{name: "new account", spec: newConn(3000, 10*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 10}},
			kind: events.KindLambda, shards: 10, windows: 1,
			reason:  "13 shards would exceed it; 10 lambda workers at 300/s each fit CPU (≤ 6,000/s: 1.5× the planned capacity), ports (≤ 376 new connections/s",
			warning: "each carries 300/s where the planned budgets allow 235/s"},
		// 5,000/s new connections need 22 Lambdas, at the least
		// ⌈5000/376⌉ = 14: above 10, so Fargate tasks, whose quota is unknown.
		{name: "to fargate", spec: newConn(5000, 10*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 10}},
			kind: events.KindFargate, shards: 22, windows: 1,
			reason: "the plan needs 14 concurrent worker Lambdas (14 shards, the fewest the ports allow at 376 new connections/s each): Fargate tasks instead"},
		// The same with a Fargate quota that holds the 22 tasks.
		{name: "to fargate, checked", spec: newConn(5000, 10*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 10, FargateVCPU: 32}},
			kind: events.KindFargate, shards: 22, windows: 1,
			reason: "fargate vcpu 32 (Fargate On-Demand vCPU quota): the plan needs 22 vCPU (22 tasks × 1 vCPU): fits"},
		// Lambda asked for: refused, naming the quota, its value, the need
		// and how to raise it.
		{name: "lambda forced", spec: newConn(5000, 10*time.Minute), opt: Options{Kind: events.KindLambda, Quotas: Quotas{LambdaConcurrency: 10}},
			quota: QuotaLambdaConcurrency,
			refused: `lambda concurrency: the plan needs 14 concurrent worker Lambdas (14 shards, the fewest the ports allow at 376 new connections/s each) and the worker may use 10 (account unreserved concurrency); ` +
				`raise "Concurrent executions" (L-B99A9384) in Service Quotas (a new account has 10: ask for 1,000, the usual default), or run on Fargate (--kind fargate)`},
		// --workers fixed above both quotas: no busier workers, refused with
		// both reasons.
		{name: "workers fixed", spec: spec(1000, 5*time.Minute, true, "http://x/"), opt: Options{Workers: 20, Quotas: Quotas{LambdaConcurrency: 10, FargateVCPU: 16}},
			quota: QuotaLambdaConcurrency,
			refused: "lambda concurrency: the plan needs 20 concurrent worker Lambdas (20 shards, as --workers asks) and the worker may use 10 (account unreserved concurrency); " +
				`raise "Concurrent executions" (L-B99A9384) in Service Quotas (a new account has 10: ask for 1,000, the usual default); ` +
				`fargate vcpu: the plan needs 20 vCPU (20 tasks × 1 vCPU, as --workers asks) and the account may run 16 (Fargate On-Demand vCPU quota); raise "Fargate On-Demand vCPU resource count" (L-3032A538)`},
		// --workers fixed within the Lambda quota: as asked.
		{name: "workers fit", spec: spec(1000, 5*time.Minute, true, "http://x/"), opt: Options{Workers: 5, Quotas: Quotas{LambdaConcurrency: 10}},
			kind: events.KindLambda, shards: 5, windows: 1, reason: "the plan needs 5 concurrent worker Lambdas (5 shards): fits"},
		// Fargate's vCPU quota: 22 tasks, at the least 14, above 6.
		{name: "fargate quota", spec: newConn(5000, 10*time.Minute), opt: Options{Kind: events.KindFargate, Quotas: Quotas{FargateVCPU: 6, FargateSource: "--fargate-vcpu"}},
			quota: QuotaFargateVCPU,
			refused: `fargate vcpu: the plan needs 14 vCPU (14 tasks × 1 vCPU, the fewest the ports allow at 376 new connections/s each) and the account may run 6 (--fargate-vcpu); ` +
				`raise "Fargate On-Demand vCPU resource count" (L-3032A538) in Service Quotas, or deploy smaller tasks: 22 tasks × 0.25 vCPU fit (the stack's taskCpu 256)`},
		// Spot names its own quota.
		{name: "fargate spot quota", spec: newConn(5000, 10*time.Minute), opt: Options{Kind: events.KindFargate, Quotas: Quotas{FargateVCPU: 6, FargateSpot: true}},
			quota: QuotaFargateVCPU, refused: `(Fargate Spot vCPU quota); raise "Fargate Spot vCPU resource count" (L-36FBB829)`},
		// Fargate within reach of busier tasks: 16 of 22.
		{name: "fargate fitted", spec: newConn(5000, 10*time.Minute), opt: Options{Kind: events.KindFargate, Quotas: Quotas{FargateVCPU: 16}},
			kind: events.KindFargate, shards: 16, windows: 1, reason: "22 tasks × 1 vCPU would exceed it; 16 fargate workers at 312/s each fit",
			warning: "16 fargate workers instead of 22"},
		// A 20-minute run takes two windows whose workers overlap by the
		// lead: 22 shards need 44 Lambdas at once, above 40; 20 busier
		// shards a window fit (40 at once).
		{name: "overlapping windows", spec: newConn(5000, 20*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 40}},
			kind: events.KindLambda, shards: 20, windows: 2,
			reason:  "22 shards × 2 overlapping windows: a window's workers start 1m30s before the previous window ends would exceed it; 20 lambda workers at 250/s each",
			warning: "20 lambda workers instead of 22"},
		// The same 22 shards fit 30 in one window, not in two.
		{name: "one window fits", spec: newConn(5000, 10*time.Minute), opt: Options{Quotas: Quotas{LambdaConcurrency: 30}},
			kind: events.KindLambda, shards: 22, windows: 1, reason: "the plan needs 22 concurrent worker Lambdas (22 shards): fits"},
		{name: "two windows do not", spec: newConn(5000, 20*time.Minute), opt: Options{Kind: events.KindLambda, Quotas: Quotas{LambdaConcurrency: 27}},
			quota: QuotaLambdaConcurrency, refused: "the plan needs 28 concurrent worker Lambdas (14 shards × 2 overlapping windows"},
		// A closed loop's shards are as asked.
		{name: "closed loop", spec: spec(0, time.Minute, true, "http://x/"), opt: Options{Workers: 3, Kind: events.KindLambda, Quotas: Quotas{LambdaConcurrency: 2}},
			quota: QuotaLambdaConcurrency, refused: "(3 shards, as --workers asks)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.RunID, tt.opt.Now, tt.opt.Backend = "r", now, BackendAWS
			p, err := Make(tt.spec, tt.opt)
			if tt.refused != "" {
				var qe *QuotaError
				if !errors.As(err, &qe) || qe.Quota != tt.quota {
					t.Fatalf("err = %v; want a %s QuotaError", err, tt.quota)
				}
				if msg := err.Error(); !strings.Contains(msg, tt.refused) || strings.Contains(msg, "\n") {
					t.Errorf("error\n%s\nwant one line containing\n%s", msg, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(p.Shards); got != tt.shards*tt.windows || p.Shards[0].Kind != tt.kind || p.Shards[0].Count != tt.shards {
				t.Errorf("%d shards of %s, %d a window; want %d × %d of %s\n%s", got, p.Shards[0].Kind, p.Shards[0].Count,
					tt.shards, tt.windows, tt.kind, Summary(p))
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

// TestQuotasLocal: the local backend has no quotas to check.
func TestQuotasLocal(t *testing.T) {
	p, err := Make(spec(5000, time.Minute, true, "http://x/"), Options{RunID: "r", Backend: BackendLocal, Now: now, Workers: 4,
		Quotas: Quotas{LambdaConcurrency: 1, FargateVCPU: 1}})
	if err != nil || contains(p.Reasons, "quota") {
		t.Errorf("err %v, reasons %q; want a local plan without quotas", err, p.Reasons)
	}
}
