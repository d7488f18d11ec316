package launch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// Fargate's launch rate (per account and region): a burst of 100 tasks,
// then 20 a second; and at most 10 tasks per RunTask call.
const (
	RunTaskMax   = 10
	FargateBurst = 100
	FargateRate  = 20.0
)

// Tasks runs Fargate tasks.
type Tasks struct {
	Client         *ecs.Client
	Cluster        string
	TaskDefinition string
	Container      string
	Subnets        []string
	SecurityGroup  string
	Spot           bool
	// CPU and Memory, when set, override the task definition's size (ECS
	// units: 2048 is 2 vCPU, memory in MiB): the reducer's task.
	CPU, Memory string
	// Interval spaces RunTask calls: ECS allows 20 a second. Default 50 ms.
	Interval time.Duration
	// Rate and Burst bound tasks launched (a token bucket); defaults
	// FargateRate a second and FargateBurst.
	Rate  float64
	Burst int
	// Backoff is the first wait before starting failed tasks again; it
	// doubles each round. Default 1 s.
	Backoff time.Duration
}

// Bucket is a token bucket as a pure function of time: Take answers how
// long to wait before n tokens are there, and spends them.
type Bucket struct {
	Rate  float64 // tokens a second
	Burst float64 // the most it holds
	level float64
	at    time.Time
}

// Take spends n tokens at now and returns how long the caller must wait
// before acting (0 if they were there).
func (b *Bucket) Take(now time.Time, n float64) time.Duration {
	if b.at.IsZero() {
		b.level, b.at = b.Burst, now
	}
	b.level = min(b.Burst, b.level+now.Sub(b.at).Seconds()*b.Rate)
	b.at = now
	b.level -= n
	if b.level >= 0 {
		return 0
	}
	return time.Duration(-b.level / b.Rate * float64(time.Second))
}

// Run starts n tasks with env added to the container's environment: at
// most RunTaskMax per call, one call per Interval, and no faster than
// Fargate launches (Rate, Burst). Tasks an answer lists in failures[], and
// calls ECS throttled, are retried (up to 5 rounds, backing off); the error
// names what could not be started. It returns the started tasks' ARNs.
func (t *Tasks) Run(ctx context.Context, n int, env map[string]string) ([]string, error) {
	interval, backoff := t.Interval, t.Backoff
	if interval == 0 {
		interval = 50 * time.Millisecond
	}
	if backoff == 0 {
		backoff = time.Second
	}
	bucket := &Bucket{Rate: t.Rate, Burst: float64(t.Burst)}
	if bucket.Rate == 0 {
		bucket.Rate = FargateRate
	}
	if bucket.Burst == 0 {
		bucket.Burst = FargateBurst
	}
	in := t.input(env)
	var arns, reasons []string
	left := n
	for round := 0; left > 0 && round < 5; round++ {
		if round > 0 {
			if err := sleep(ctx, backoff<<(round-1)); err != nil {
				return arns, err
			}
		}
		want := left
		reasons = reasons[:0]
		for want > 0 {
			c := min(want, RunTaskMax)
			want -= c
			if err := sleep(ctx, max(interval, bucket.Take(time.Now(), float64(c)))); err != nil {
				return arns, err
			}
			call := in
			call.Count = aws.Int32(int32(c))
			out, err := t.Client.RunTask(ctx, &call)
			if err != nil {
				reasons = append(reasons, err.Error())
				if !throttledECS(err) {
					continue
				}
				// Throttled: give the rest of this round back to the backoff.
				want = 0
				continue
			}
			for _, task := range out.Tasks {
				arns = append(arns, aws.ToString(task.TaskArn))
			}
			for _, f := range out.Failures {
				reasons = append(reasons, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
			}
		}
		left = n - len(arns)
	}
	if left > 0 {
		return arns, fmt.Errorf("run tasks: %d of %d not started: %s", left, n, strings.Join(reasons, "; "))
	}
	return arns, nil
}

func (t *Tasks) input(env map[string]string) ecs.RunTaskInput {
	var envs []ecstypes.KeyValuePair
	for k, v := range env {
		envs = append(envs, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	in := ecs.RunTaskInput{Cluster: &t.Cluster, TaskDefinition: &t.TaskDefinition,
		StartedBy: aws.String("barrage"),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: t.Subnets, SecurityGroups: []string{t.SecurityGroup}, AssignPublicIp: ecstypes.AssignPublicIpEnabled}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: &t.Container, Environment: envs}}}}
	if t.CPU != "" {
		in.Overrides.Cpu = aws.String(t.CPU)
	}
	if t.Memory != "" {
		in.Overrides.Memory = aws.String(t.Memory)
	}
	if t.Spot {
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	} else {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	return in
}

// throttledECS reports whether ECS asked us to slow down.
func throttledECS(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ThrottlingException" || ae.ErrorCode() == "RequestLimitExceeded")
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TaskState is what became of a started task.
type TaskState struct {
	ARN string
	// Running: the task reached RUNNING (or stopped after running).
	Running bool
	// Stopped: the task stopped; Reason says why, when it never ran.
	Stopped bool
	Reason  string
}

// Describe reads the state of tasks (at most 100 per call).
func (t *Tasks) Describe(ctx context.Context, arns []string) ([]TaskState, error) {
	var out []TaskState
	for i := 0; i < len(arns); i += 100 {
		batch := arns[i:min(i+100, len(arns))]
		res, err := t.Client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &t.Cluster, Tasks: batch})
		if err != nil {
			return out, fmt.Errorf("describe tasks: %w", err)
		}
		for _, task := range res.Tasks {
			st := TaskState{ARN: aws.ToString(task.TaskArn)}
			last := aws.ToString(task.LastStatus)
			st.Stopped = last == "STOPPED" || last == "DEPROVISIONING"
			st.Running = last == "RUNNING" || task.StartedAt != nil
			if st.Stopped && !st.Running {
				st.Reason = stopReason(task)
			}
			out = append(out, st)
		}
		for _, f := range res.Failures {
			out = append(out, TaskState{ARN: aws.ToString(f.Arn), Stopped: true,
				Reason: "unknown to ECS: " + aws.ToString(f.Reason)})
		}
	}
	return out, nil
}

// stopReason names why a task stopped: the task's reason and the first
// container's, as the ECS console shows them.
func stopReason(task ecstypes.Task) string {
	why := aws.ToString(task.StoppedReason)
	if task.StopCode != "" {
		why = string(task.StopCode) + ": " + why
	}
	for _, c := range task.Containers {
		if r := aws.ToString(c.Reason); r != "" {
			why += " (" + r + ")"
			break
		}
	}
	return strings.TrimSpace(why)
}

// Stop stops tasks, for reason; tasks already stopped are not an error.
func (t *Tasks) Stop(ctx context.Context, arns []string, reason string) error {
	var errs []error
	for _, a := range arns {
		_, err := t.Client.StopTask(ctx, &ecs.StopTaskInput{Cluster: &t.Cluster, Task: aws.String(a), Reason: &reason})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
