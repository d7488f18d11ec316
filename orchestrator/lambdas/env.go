package lambdas

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/stack"
)

// FromEnv builds the AWS backend from the environment the stack sets
// (pkg/stack), over the AWS configuration and endpoint overrides of
// awsenv.Load. Pieces whose variables are unset stay nil: a worker needs
// only its store, its queue and the secret sources.
func FromEnv(ctx context.Context) (*orchestrator.AWS, error) {
	get := os.Getenv
	bucket := get(stack.EnvBucket)
	if bucket == "" {
		return nil, fmt.Errorf("%s is not set", stack.EnvBucket)
	}
	env, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	a := &orchestrator.AWS{ReducerArn: get(stack.EnvReducerArn), DispatcherArn: get(stack.EnvDispatcher), Secrets: env.SecretSources()}
	if a.Store, err = env.Store("s3://" + bucket); err != nil {
		return nil, err
	}
	if u := get(stack.EnvLambdaQueueURL); u != "" {
		if a.LambdaQueue, err = env.Queue(u); err != nil {
			return nil, err
		}
	}
	if u := get(stack.EnvFargateQueueURL); u != "" {
		if a.FargateQueue, err = env.Queue(u); err != nil {
			return nil, err
		}
	}
	lc := env.Lambda()
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
			Subnets: hostguard.Split(get(stack.EnvSubnets)), Spot: get(stack.EnvSpot) == "true",
			Client: env.ECS()}
	}
	if g := get(stack.EnvScheduleGroup); g != "" {
		a.Schedules = &launch.Schedules{Group: g, RoleArn: get(stack.EnvSchedulerRole), DeadLetterArn: get(stack.EnvDeadLetterQueue),
			Client: env.Scheduler()}
	}
	if f := get(stack.EnvWorkerFunction); f != "" {
		sq := env.ServiceQuotas()
		spot := get(stack.EnvSpot) == "true"
		a.Quotas = func(ctx context.Context) (plan.Quotas, error) { return launch.ReadQuotas(ctx, lc, sq, f, spot) }
	}
	a.Limits = LimitsFromEnv()
	if err := bounds(get, a); err != nil {
		return nil, err
	}
	return a, nil
}

// bounds reads the variables that bound a run, strictly: a value that is
// set and does not parse, or is out of range, is an error naming the
// variable, so that a malformed cap stops the function at start instead of
// lifting the cap. A function that plans runs (its environment names the
// worker function: the api and the scheduler) must have both caps.
func bounds(get func(string) string, a *orchestrator.AWS) error {
	var errs []error
	bad := func(env, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: want %s", env, get(env), want))
	}
	number := func(env string, lo, hi float64, want string) float64 {
		v := get(env)
		if v == "" {
			return 0
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < lo || f > hi {
			bad(env, want)
			return 0
		}
		return f
	}
	duration := func(env string, positive bool, want string) time.Duration {
		v := get(env)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || positive && d == 0 {
			bad(env, want)
			return 0
		}
		return d
	}
	a.Limits.MaxRate = number(stack.EnvMaxRate, math.SmallestNonzeroFloat64, math.MaxFloat64, "arrivals per second above 0, such as 10000")
	a.Limits.MaxDuration = duration(stack.EnvMaxDuration, true, "a positive Go duration, such as 1h")
	a.WorkerMemoryMB = int(number(stack.EnvWorkerMemoryMB, 128, 10240, "the worker Lambda's memory in MB, 128 to 10,240"))
	if a.WorkerMemoryMB != 0 && strconv.Itoa(a.WorkerMemoryMB) != get(stack.EnvWorkerMemoryMB) {
		bad(stack.EnvWorkerMemoryMB, "a whole number of MB")
	}
	a.TaskVCPU = number(stack.EnvTaskVCPU, 0.25, 16, "the task's vCPUs, 0.25 to 16")
	a.LeadTime = duration(stack.EnvLeadTime, false, "a Go duration, such as 10s")
	switch get(stack.EnvSpot) {
	case "", "true", "false":
	default:
		bad(stack.EnvSpot, "true or false")
	}
	if get(stack.EnvWorkerFunction) != "" {
		for _, env := range []string{stack.EnvMaxRate, stack.EnvMaxDuration} {
			if get(env) == "" {
				errs = append(errs, fmt.Errorf("%s is not set: a deployment that plans runs must cap them", env))
			}
		}
	}
	return errors.Join(errs...)
}

// LimitsFromEnv reads the hosts of the deployment's limits from the
// environment the stack sets: the API checks runs against them, and the
// workers (the Lambda, the task) guard what they dial with Limits.Guard.
// Without BARRAGE_ALLOWED_TARGETS no host is allowed. (The caps are read,
// strictly, by FromEnv.)
func LimitsFromEnv() orchestrator.Limits {
	get := os.Getenv
	return orchestrator.Limits{AllowedTargets: hostguard.Split(get(stack.EnvAllowedTargets)), AllowLoopback: get(stack.EnvAllowLoopback) == "true"}
}
