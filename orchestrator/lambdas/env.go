package lambdas

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store/s3store"
)

// FromEnv builds the AWS backend from the environment the stack sets (pkg/stack).
// Pieces whose variables are unset stay nil: a worker needs only its store
// and queue.
func FromEnv(ctx context.Context) (*orchestrator.AWS, error) {
	get := os.Getenv
	bucket := get(stack.EnvBucket)
	if bucket == "" {
		return nil, fmt.Errorf("%s is not set", stack.EnvBucket)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	a := &orchestrator.AWS{ReducerArn: get(stack.EnvReducerArn), DispatcherArn: get(stack.EnvDispatcher)}
	if a.Store, err = s3store.Open(ctx, "s3://"+bucket); err != nil {
		return nil, err
	}
	if u := get(stack.EnvLambdaQueueURL); u != "" {
		if a.LambdaQueue, err = sqsqueue.Open(ctx, u); err != nil {
			return nil, err
		}
	}
	if u := get(stack.EnvFargateQueueURL); u != "" {
		if a.FargateQueue, err = sqsqueue.Open(ctx, u); err != nil {
			return nil, err
		}
	}
	lc := lambda.NewFromConfig(cfg, endpoint[lambda.Options](stack.EnvLambdaEndpoint, func(o *lambda.Options, e string) { o.BaseEndpoint = &e }))
	if f := get(stack.EnvWorkerFunction); f != "" {
		a.Workers = &launch.Lambda{Client: lc, Function: f}
	}
	if f := get(stack.EnvDispatcher); f != "" {
		a.Dispatcher = &launch.Lambda{Client: lc, Function: f, Parallel: 1, Attempts: 3}
	}
	if f := get(stack.EnvReducerArn); f != "" {
		a.Reducer = &launch.Lambda{Client: lc, Function: f, Parallel: 1}
	}
	a.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if c := get(stack.EnvCluster); c != "" {
		a.Tasks = &launch.Tasks{Cluster: c, TaskDefinition: get(stack.EnvTaskDefinition),
			Container: get(stack.EnvTaskContainer), SecurityGroup: get(stack.EnvSecurityGroup),
			Subnets: split(get(stack.EnvSubnets)), Spot: get(stack.EnvSpot) == "true",
			Client: ecs.NewFromConfig(cfg, endpoint[ecs.Options](stack.EnvECSEndpoint, func(o *ecs.Options, e string) { o.BaseEndpoint = &e }))}
	}
	if g := get(stack.EnvScheduleGroup); g != "" {
		a.Schedules = &launch.Schedules{Group: g, RoleArn: get(stack.EnvSchedulerRole), DeadLetterArn: get(stack.EnvDeadLetterQueue),
			Client: scheduler.NewFromConfig(cfg, endpoint[scheduler.Options](stack.EnvSchedulerEndpoint, func(o *scheduler.Options, e string) { o.BaseEndpoint = &e }))}
	}
	if f := get(stack.EnvWorkerFunction); f != "" {
		sq := servicequotas.NewFromConfig(cfg, endpoint[servicequotas.Options](stack.EnvQuotasEndpoint, func(o *servicequotas.Options, e string) { o.BaseEndpoint = &e }))
		spot := get(stack.EnvSpot) == "true"
		a.Quotas = func(ctx context.Context) (plan.Quotas, error) { return launch.ReadQuotas(ctx, lc, sq, f, spot) }
	}
	a.TaskVCPU, _ = strconv.ParseFloat(get(stack.EnvTaskVCPU), 64)
	a.Limits = LimitsFromEnv()
	a.WorkerMemoryMB, _ = strconv.Atoi(get(stack.EnvWorkerMemoryMB))
	a.LeadTime, _ = time.ParseDuration(get(stack.EnvLeadTime))
	return a, nil
}

// LimitsFromEnv reads the deployment's limits from the environment the
// stack sets: the API checks runs against them, and the workers (the
// Lambda, the task) guard what they dial with Limits.Guard. Without
// BARRAGE_ALLOWED_TARGETS no host is allowed.
func LimitsFromEnv() orchestrator.Limits {
	get := os.Getenv
	l := orchestrator.Limits{AllowedTargets: hostguard.Split(get(stack.EnvAllowedTargets)), AllowLoopback: get(stack.EnvAllowLoopback) == "true"}
	l.MaxRate, _ = strconv.ParseFloat(get(stack.EnvMaxRate), 64)
	l.MaxDuration, _ = time.ParseDuration(get(stack.EnvMaxDuration))
	return l
}

// endpoint returns a client option that overrides the endpoint with the
// environment variable env, when it is set.
func endpoint[O any](env string, set func(*O, string)) func(*O) {
	return func(o *O) {
		if e := os.Getenv(env); e != "" {
			set(o, e)
		}
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
