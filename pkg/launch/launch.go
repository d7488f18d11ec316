// Package launch starts barrage's AWS workers and schedules: asynchronous
// Lambda invocations (bounded concurrency, back-off on throttling), ECS
// RunTask for Fargate tasks (at most 10 per call and 20 calls a second,
// reading failures[] of successful answers), and EventBridge Scheduler
// one-time schedules (the reducer at a run's deadline, later windows). Like
// the S3 store and the SQS queue, it is an adapter: it imports the AWS SDK.
package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Lambda invokes a function asynchronously.
type Lambda struct {
	Client   *lambda.Client
	Function string
	// Parallel bounds invocations in flight; default 20.
	Parallel int
}

// InvokeAsync invokes the function n times with payload (InvocationType
// Event), retrying throttled calls with exponential back-off, and returns
// how many were accepted.
func (l *Lambda) InvokeAsync(ctx context.Context, n int, payload any) (int, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	par := l.Parallel
	if par <= 0 {
		par = 20
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, errs := 0, []error{}
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := retry(ctx, 8, throttled, func() error {
				_, err := l.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &l.Function,
					InvocationType: lambdatypes.InvocationTypeEvent, Payload: body})
				return err
			})
			mu.Lock()
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return ok, fmt.Errorf("invoke %s: %d of %d invocations failed: %w", l.Function, len(errs), n, errs[0])
	}
	return ok, nil
}

// throttled reports whether Lambda asked us to slow down.
func throttled(err error) bool {
	var tmr *lambdatypes.TooManyRequestsException
	var ec2 *lambdatypes.EC2ThrottledException
	return errors.As(err, &tmr) || errors.As(err, &ec2)
}

// retry calls f until it succeeds, fails with an error again does not
// accept, or attempts run out, backing off 100 ms × 2^k (at most 5 s).
func retry(ctx context.Context, attempts int, again func(error) bool, f func() error) error {
	var err error
	for k := range attempts {
		if err = f(); err == nil || !again(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(100*time.Millisecond<<k, 5*time.Second)):
		}
	}
	return err
}

// Tasks runs Fargate tasks.
type Tasks struct {
	Client         *ecs.Client
	Cluster        string
	TaskDefinition string
	Container      string
	Subnets        []string
	SecurityGroup  string
	Spot           bool
	// Interval spaces RunTask calls: ECS allows 20 a second. Default 50 ms.
	Interval time.Duration
	// Backoff is the first wait before starting failed tasks again; it
	// doubles each round. Default 1 s.
	Backoff time.Duration
}

// RunTaskMax is the most tasks one RunTask call starts.
const RunTaskMax = 10

// Run starts n tasks with env added to the container's environment, at
// most 10 per call and one call per Interval. Tasks an answer lists in
// failures[] are retried (up to 5 rounds, backing off); the error names
// what could not be started. It returns the started tasks' ARNs.
func (t *Tasks) Run(ctx context.Context, n int, env map[string]string) ([]string, error) {
	interval, backoff := t.Interval, t.Backoff
	if interval == 0 {
		interval = 50 * time.Millisecond
	}
	if backoff == 0 {
		backoff = time.Second
	}
	var envs []ecstypes.KeyValuePair
	for k, v := range env {
		envs = append(envs, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	in := ecs.RunTaskInput{Cluster: &t.Cluster, TaskDefinition: &t.TaskDefinition,
		StartedBy: aws.String("barrage"),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: t.Subnets, SecurityGroups: []string{t.SecurityGroup}, AssignPublicIp: ecstypes.AssignPublicIpEnabled}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: &t.Container, Environment: envs}}}}
	if t.Spot {
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	} else {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	var arns []string
	var reasons []string
	left := n
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for round := 0; left > 0 && round < 5; round++ {
		if round > 0 {
			select {
			case <-ctx.Done():
				return arns, ctx.Err()
			case <-time.After(backoff << (round - 1)):
			}
		}
		want := left
		reasons = reasons[:0]
		for want > 0 {
			c := min(want, RunTaskMax)
			want -= c
			call := in
			call.Count = aws.Int32(int32(c))
			out, err := t.Client.RunTask(ctx, &call)
			if err != nil {
				reasons = append(reasons, err.Error())
			} else {
				for _, task := range out.Tasks {
					arns = append(arns, aws.ToString(task.TaskArn))
				}
				for _, f := range out.Failures {
					reasons = append(reasons, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
				}
			}
			select {
			case <-ctx.Done():
				return arns, ctx.Err()
			case <-tick.C:
			}
		}
		left = n - len(arns)
	}
	if left > 0 {
		return arns, fmt.Errorf("run tasks: %d of %d not started: %s", left, n, strings.Join(reasons, "; "))
	}
	return arns, nil
}

// Schedules creates one-time EventBridge Scheduler schedules.
type Schedules struct {
	Client  *scheduler.Client
	Group   string
	RoleArn string
}

// At schedules one invocation of the Lambda function targetArn with input
// at t (rounded up to the second), deleted after it ran. A schedule of the
// same name that exists already counts as done: schedule names derive from
// run ids, so a repeated dispatch schedules nothing twice.
func (s *Schedules) At(ctx context.Context, name string, t time.Time, targetArn string, input any) error {
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	at := t.UTC().Add(time.Second - 1).Truncate(time.Second)
	_, err = s.Client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: &name, GroupName: &s.Group,
		ScheduleExpression:    aws.String("at(" + at.Format("2006-01-02T15:04:05") + ")"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		Target: &schedtypes.Target{Arn: &targetArn, RoleArn: &s.RoleArn, Input: aws.String(string(body)),
			RetryPolicy: &schedtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3)}}})
	var conflict *schedtypes.ConflictException
	if errors.As(err, &conflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schedule %s: %w", name, err)
	}
	return nil
}
