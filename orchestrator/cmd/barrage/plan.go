package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/stack"
)

func definePlan(fs *flagSet) runner {
	f := newRunFlags(fs)
	f.planOnlyFlags(fs)
	return func(pos []string, std stdio) error { return cmdPlan(f, pos, std) }
}

// cmdPlan prints the plan of a run without sending anything.
func cmdPlan(f *runFlags, pos []string, std stdio) error {
	stdout := std.out
	s, err := specFromFlags(f, pos, std.in)
	if err != nil {
		return err
	}
	if s, err = prepare.File(s, f.specName); err != nil {
		return badInput("%v", err)
	}
	id := orchestrator.NewRunID(time.Now())
	var p *events.Plan
	switch f.backend {
	case "local":
		p, err = orchestrator.PlanLocal(s, id, time.Now())
	case "aws":
		q, missed := f.quotas.read(context.Background(), &f.aws)
		p, err = plan.Make(s, plan.Options{RunID: id, Backend: "aws", Now: time.Now(), Workers: s.Workers, Kind: f.kind, Quotas: q})
		if note := quotaNote(p, q, missed); err == nil && note != "" {
			p.Warnings = append(p.Warnings, note)
		}
	default:
		return badInput("unknown backend %q (want local or aws)", f.backend)
	}
	if err != nil {
		return badInput("%v", err)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	_, err = fmt.Fprint(stdout, plan.Summary(p))
	return err
}

// quotaFlags give barrage plan --backend aws the account's quotas, or
// override what the account says.
type quotaFlags struct {
	lambda  int
	fargate float64
}

func (q *quotaFlags) register(fs *flagSet) {
	fs.IntVar(&q.lambda, "lambda-concurrency", 0,
		"aws backend: the account allows `N` concurrent worker Lambdas (default: read from the account)")
	fs.Float64Var(&q.fargate, "fargate-vcpu", 0,
		"aws backend: the account's Fargate vCPU quota is `N` (default: read from the account)")
}

// quotaReadTimeout bounds reading the quotas from the account.
const quotaReadTimeout = 15 * time.Second

// read returns the quotas the flags give, and reads from the account
// (default AWS configuration; the worker function from the stack's
// outputs) those they do not; missed says what could not be read.
func (q *quotaFlags) read(ctx context.Context, a *awsFlags) (plan.Quotas, *launch.QuotaReadError) {
	var out plan.Quotas
	if q.lambda != 0 {
		out.LambdaConcurrency, out.LambdaSource = q.lambda, "--lambda-concurrency"
	}
	if q.fargate != 0 {
		out.FargateVCPU, out.FargateSource = q.fargate, "--fargate-vcpu"
	}
	if q.lambda != 0 && q.fargate != 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, quotaReadTimeout)
	defer cancel()
	read, missed := readAccountQuotas(ctx, a)
	if q.lambda == 0 {
		out.LambdaConcurrency, out.LambdaReserved, out.LambdaSource = read.LambdaConcurrency, read.LambdaReserved, read.LambdaSource
	} else if missed != nil {
		missed.Reserved, missed.Lambda = nil, nil
	}
	if q.fargate == 0 {
		out.FargateVCPU, out.FargateSpot, out.FargateSource = read.FargateVCPU, read.FargateSpot, read.FargateSource
	} else if missed != nil {
		missed.Fargate = nil
	}
	return out, missed
}

// readAccountQuotas reads the quotas with the default AWS configuration.
// Without the stack's worker function, the account's unreserved
// concurrency stands for the worker's.
func readAccountQuotas(ctx context.Context, a *awsFlags) (plan.Quotas, *launch.QuotaReadError) {
	all := func(err error) *launch.QuotaReadError { return &launch.QuotaReadError{Lambda: err, Fargate: err} }
	env, err := awsenv.Load(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		return plan.Quotas{}, all(err)
	}
	if _, err := env.Config.Credentials.Retrieve(ctx); err != nil {
		return plan.Quotas{}, all(errors.New("no AWS credentials"))
	}
	fn, fnErr := a.output(ctx, env.Config, stack.OutWorkerFunction)
	q, err := launch.ReadQuotas(ctx, env.Lambda(), env.ServiceQuotas(), fn, false)
	missed := &launch.QuotaReadError{}
	if err != nil && !errors.As(err, &missed) {
		missed = all(err)
	}
	if fnErr != nil && missed.Lambda == nil {
		missed.Reserved = fnErr
	}
	return q, missed
}

// quotaNote says on one line which quota the plan of p could not check,
// and how to give it; "" when it was checked.
func quotaNote(p *events.Plan, q plan.Quotas, missed *launch.QuotaReadError) string {
	if p == nil || len(p.Shards) == 0 || missed == nil {
		return ""
	}
	switch p.Shards[0].Kind {
	case events.KindLambda:
		if q.LambdaConcurrency == 0 && missed.Lambda != nil {
			return fmt.Sprintf("quotas not checked: %v; give it with --lambda-concurrency N", &launch.QuotaReadError{Lambda: missed.Lambda})
		}
		if missed.Reserved != nil {
			return fmt.Sprintf("%v; give the worker's with --lambda-concurrency N", &launch.QuotaReadError{Reserved: missed.Reserved})
		}
	case events.KindFargate:
		if q.FargateVCPU == 0 && missed.Fargate != nil {
			return fmt.Sprintf("quotas not checked: %v; give it with --fargate-vcpu N", &launch.QuotaReadError{Fargate: missed.Fargate})
		}
	}
	return ""
}
