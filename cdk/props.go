package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/stack"
)

// Defaults of BarrageStackProps.
const (
	DefaultMaxRate          = 10_000
	DefaultMaxDuration      = time.Hour
	DefaultRunRetentionDays = 30
	DefaultTaskCPU          = 1024 // 1 vCPU
	DefaultTaskMemoryMiB    = 2048
	// MaxReceiveCount is how many times a shard message is received before
	// it goes to the dead-letter queue: a worker that cannot start it
	// (crash, timeout) leaves it to another, twice.
	MaxReceiveCount = 3
	// VisibilityFactor times the worker timeout is the queues' visibility
	// timeout, as AWS advises for queues that Lambda reads.
	VisibilityFactor = 6
	// DefaultSecretsPrefix: workers read ssm:/barrage/… and
	// secretsmanager:barrage/… references.
	DefaultSecretsPrefix = "barrage"
)

// BarrageStackProps configures the stack. The zero value (with
// AllowedTargets set) is a working deployment.
type BarrageStackProps struct {
	awscdk.StackProps
	// AllowedTargets are the hosts load may go to ("host", "*.domain", or
	// "*" for any); empty denies every run.
	AllowedTargets []string
	// MaxRate caps a run's peak arrivals per second (default 10,000).
	MaxRate float64
	// MaxDuration caps a run's duration (default 1 h).
	MaxDuration time.Duration
	// WorkerMemoryMB is the worker Lambda's memory: 1769 MB is one vCPU
	// (the default); the planner sizes shards by it.
	WorkerMemoryMB float64
	// WorkerConcurrency reserves that many concurrent worker Lambdas (and
	// caps them); 0 leaves the worker on the account's unreserved pool.
	WorkerConcurrency float64
	// RunRetentionDays is how long runs (results, reports) are kept in the
	// bucket (default 30).
	RunRetentionDays float64
	// LogRetention is how long the functions' and the task's logs are kept
	// (default one month).
	LogRetention awslogs.RetentionDays
	// FargateSpot runs Fargate workers on FARGATE_SPOT: about 70 % cheaper,
	// and an interruption leaves a truncated shard in the report.
	FargateSpot bool
	// TaskCPU and TaskMemoryMiB size the Fargate task (default 1 vCPU, 2 GiB).
	TaskCPU, TaskMemoryMiB float64
	// AvailabilityZones fixes the VPC's zones. Empty keeps the stack
	// environment-agnostic (two zones from Fn::GetAZs at deploy time). Either
	// way synthesis makes no AWS call.
	AvailabilityZones []string
	// AssetsDir holds the built functions, AssetsDir/NAME/bootstrap
	// (functions/build.sh); default ../build/lambda.
	AssetsDir string
	// ImageDir is the Docker build context of the Fargate task, the
	// repository root (default ..), built from tasks/worker/Dockerfile.
	ImageDir string
	// ScheduledRuns start stored specs on EventBridge schedules.
	ScheduledRuns []ScheduledRun
	// SecretsPrefix is where workers may read scenarios' secrets: SSM
	// parameters under /PREFIX/ and Secrets Manager secrets named PREFIX/…
	// (default "barrage").
	SecretsPrefix string
	// APICloudWatchRole (nil: true) creates the role API Gateway needs to
	// write any log in this account and region, and sets it in the
	// account's API Gateway settings (AWS::ApiGateway::Account); the role
	// is retained on cdk destroy, since the setting outlives the stack.
	// Set it to false where the account already has such a role.
	APICloudWatchRole *bool
}

// ScheduledRun starts the spec stored at SpecKey in the bucket on Expression
// ("rate(1 day)", "cron(0 3 * * ? *)"), in Timezone (default UTC).
type ScheduledRun struct {
	Name, Expression, SpecKey, Timezone string
	// Kind is "lambda", "fargate" or empty for the planner's choice.
	Kind string
}

func (p *BarrageStackProps) withDefaults() {
	if p.MaxRate == 0 {
		p.MaxRate = DefaultMaxRate
	}
	if p.MaxDuration == 0 {
		p.MaxDuration = DefaultMaxDuration
	}
	if p.WorkerMemoryMB == 0 {
		p.WorkerMemoryMB = plan.DefaultLambdaMemoryMB
	}
	if p.RunRetentionDays == 0 {
		p.RunRetentionDays = DefaultRunRetentionDays
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.TaskCPU == 0 {
		p.TaskCPU = DefaultTaskCPU
	}
	if p.TaskMemoryMiB == 0 {
		p.TaskMemoryMiB = DefaultTaskMemoryMiB
	}
	if p.AssetsDir == "" {
		p.AssetsDir = filepath.Join("..", "build", "lambda")
	}
	if p.ImageDir == "" {
		p.ImageDir = ".."
	}
	if p.SecretsPrefix == "" {
		p.SecretsPrefix = DefaultSecretsPrefix
	}
	if p.APICloudWatchRole == nil {
		p.APICloudWatchRole = jsii.Bool(true)
	}
}

// appProps are the app's props: the stack's name and its props.
type appProps struct {
	stackName string
	BarrageStackProps
}

// logRetention maps days to CloudWatch Logs' allowed retentions.
var logRetention = map[int]awslogs.RetentionDays{
	0: awslogs.RetentionDays_INFINITE, 1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS,
	30: awslogs.RetentionDays_ONE_MONTH, 60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS,
	365: awslogs.RetentionDays_ONE_YEAR, 400: awslogs.RetentionDays_THIRTEEN_MONTHS,
}

// propsFromContext reads the app's props from CDK context (cdk.json's
// "context", or -c key=value on the command line, where every value is a
// string). Every problem is reported, each naming its key.
func propsFromContext(get func(key string) any) (appProps, error) {
	p := appProps{stackName: stack.DefaultStackName}
	var errs []error
	str := func(key string) (string, bool) {
		switch v := get(key).(type) {
		case nil:
			return "", false
		case string:
			return v, true
		default:
			b, _ := json.Marshal(v)
			return string(b), true
		}
	}
	num := func(key string, dst *float64) {
		if s, ok := str(key); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a number ≥ 0", key, s))
			}
			*dst = f
		}
	}
	boolean := func(key string) *bool {
		s, ok := str(key)
		if !ok {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, s))
		}
		return &b
	}
	list := func(key string) []string {
		s, ok := str(key)
		if !ok {
			return nil
		}
		var l []string
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", key, err))
			}
			return l
		}
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				l = append(l, f)
			}
		}
		return l
	}
	if s, ok := str("stackName"); ok {
		p.stackName = s
	}
	p.AllowedTargets = list("allowedTargets")
	p.AvailabilityZones = list("availabilityZones")
	num("maxRate", &p.MaxRate)
	num("workerMemoryMB", &p.WorkerMemoryMB)
	num("workerConcurrency", &p.WorkerConcurrency)
	num("runRetentionDays", &p.RunRetentionDays)
	num("taskCpu", &p.TaskCPU)
	num("taskMemoryMiB", &p.TaskMemoryMiB)
	if s, ok := str("maxDuration"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("maxDuration: %q is not a duration such as 30m or 2h", s))
		}
		p.MaxDuration = d
	}
	if s, ok := str("logRetentionDays"); ok {
		n, err := strconv.Atoi(s)
		r, known := logRetention[n]
		if err != nil || !known {
			errs = append(errs, fmt.Errorf("logRetentionDays: %q is not one of 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400", s))
		}
		p.LogRetention = r
	}
	if b := boolean("fargateSpot"); b != nil {
		p.FargateSpot = *b
	}
	p.APICloudWatchRole = boolean("apiCloudWatchRole")
	if s, ok := str("assetsDir"); ok {
		p.AssetsDir = s
	}
	if s, ok := str("secretsPrefix"); ok {
		p.SecretsPrefix = strings.Trim(s, "/")
	}
	if s, ok := str("imageDir"); ok {
		p.ImageDir = s
	}
	if s, ok := str("scheduledRuns"); ok {
		var runs []struct {
			Name, Expression, SpecKey, Timezone, Kind string
		}
		if err := json.Unmarshal([]byte(s), &runs); err != nil {
			errs = append(errs, fmt.Errorf("scheduledRuns: want a JSON list of {name, expression, specKey, timezone, kind}: %v", err))
		}
		for i, r := range runs {
			if r.Name == "" || r.Expression == "" || r.SpecKey == "" {
				errs = append(errs, fmt.Errorf("scheduledRuns[%d]: name, expression and specKey are required", i))
			}
			p.ScheduledRuns = append(p.ScheduledRuns, ScheduledRun(r))
		}
	}
	return p, errors.Join(errs...)
}
