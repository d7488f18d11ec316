package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
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
}

// NewBarrageStack defines barrage's deployment: one per account and region.
//
// Who may do what (every action named, none with a wildcard):
//
//	worker Lambda     read runs/*, write runs/*/shards/*; receive from the Lambda queue;
//	                  read secrets under SecretsPrefix
//	Fargate task      the same, with the Fargate queue
//	reducer Lambda    read runs/*, write runs/*/report.*
//	api Lambda        read and write runs/*; invoke the scheduler function
//	scheduler Lambda  read specs/* and runs/*, write runs/*; send to both queues, invoke the
//	                  worker, run the task, create schedules in the group (the orchestrator)
//	scheduler role    invoke the scheduler and reducer functions
func NewBarrageStack(scope constructs.Construct, id string, props *BarrageStackProps) awscdk.Stack {
	if props == nil {
		props = &BarrageStackProps{}
	}
	p := *props
	p.withDefaults()
	st := awscdk.NewStack(scope, &id, &p.StackProps)
	if len(p.AllowedTargets) == 0 {
		awscdk.Annotations_Of(st).AddWarning(jsii.String("barrage: no allowed targets: every run will be refused (set -c allowedTargets=host1,*.domain)"))
	}
	b := &builder{st: st, p: p}
	b.storage()
	b.functions()
	b.fargate()
	b.orchestrate()
	b.api()
	b.schedules()
	b.outputs()
	return st
}

// builder holds the stack's pieces while NewBarrageStack wires them.
type builder struct {
	st awscdk.Stack
	p  BarrageStackProps

	bucket                       awss3.Bucket
	lambdaQueue, fargateQueue    awssqs.Queue
	dlq                          awssqs.Queue
	worker, reducer, apiFn, disp awslambda.Function
	dispArn                      *string
	cluster                      awsecs.Cluster
	task                         awsecs.FargateTaskDefinition
	taskSG                       awsec2.SecurityGroup
	vpc                          awsec2.Vpc
	group                        awsscheduler.CfnScheduleGroup
	schedRole                    awsiam.Role
	rest                         awsapigateway.RestApi
}

func (b *builder) storage() {
	b.bucket = awss3.NewBucket(b.st, jsii.String("Runs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-runs"),
			Prefix:                              jsii.String("runs/"),
			Expiration:                          awscdk.Duration_Days(&b.p.RunRetentionDays),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	b.dlq = awssqs.NewQueue(b.st, jsii.String("ShardDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	queue := func(id string) awssqs.Queue {
		return awssqs.NewQueue(b.st, &id, &awssqs.QueueProps{
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(VisibilityFactor * stack.WorkerTimeoutSeconds)),
			RetentionPeriod:   awscdk.Duration_Days(jsii.Number(1)),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: b.dlq, MaxReceiveCount: jsii.Number(MaxReceiveCount)},
		})
	}
	b.lambdaQueue = queue("LambdaShards")
	b.fargateQueue = queue("FargateShards")
}

// function defines one of the Lambda functions from AssetsDir/name/bootstrap.
func (b *builder) function(id, name string, timeout, memory float64, env map[string]*string) awslambda.Function {
	logs := awslogs.NewLogGroup(b.st, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	return awslambda.NewFunction(b.st, &id, &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.p.AssetsDir, name)), nil),
		Timeout:      awscdk.Duration_Seconds(&timeout),
		MemorySize:   &memory,
		Environment:  &env,
		LogGroup:     logs,
	})
}

func (b *builder) functions() {
	bucket := b.bucket.BucketName()
	b.worker = b.function("Worker", "worker", stack.WorkerTimeoutSeconds, b.p.WorkerMemoryMB, map[string]*string{
		stack.EnvBucket: bucket, stack.EnvLambdaQueueURL: b.lambdaQueue.QueueUrl()})
	cfn := b.worker.Node().DefaultChild().(awslambda.CfnFunction)
	if b.p.WorkerConcurrency > 0 {
		cfn.SetReservedConcurrentExecutions(&b.p.WorkerConcurrency)
	}
	// A worker invocation that fails is not retried by Lambda: its shard
	// stays in the queue for another worker, and a retry after the window
	// would only write "missed".
	b.worker.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(0), MaxEventAge: awscdk.Duration_Minutes(jsii.Number(15))})
	b.reducer = b.function("Reducer", "reducer", stack.ReducerTimeoutSeconds, 1769, map[string]*string{stack.EnvBucket: bucket})
	b.grantShardWorker(b.worker.Role(), b.lambdaQueue)
	b.grantS3(b.reducer.Role(), "Read", []string{"s3:GetObject"}, "runs/*")
	b.grantS3(b.reducer.Role(), "WriteReports", []string{"s3:PutObject"}, "runs/*/report.*")
	b.grantList(b.reducer.Role(), "runs/*")
	b.bucket.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(b.reducer),
		&awss3.NotificationKeyFilter{Prefix: jsii.String("runs/"), Suffix: jsii.String("/result.json")})
}

func (b *builder) fargate() {
	subnets := &[]*awsec2.SubnetConfiguration{{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(20)}}
	vp := &awsec2.VpcProps{NatGateways: jsii.Number(0), SubnetConfiguration: subnets, RestrictDefaultSecurityGroup: jsii.Bool(false)}
	if len(b.p.AvailabilityZones) > 0 {
		vp.AvailabilityZones = jsii.Strings(b.p.AvailabilityZones...)
	} else {
		vp.MaxAzs = jsii.Number(2)
	}
	b.vpc = awsec2.NewVpc(b.st, jsii.String("Vpc"), vp)
	b.taskSG = awsec2.NewSecurityGroup(b.st, jsii.String("TaskSG"), &awsec2.SecurityGroupProps{
		Vpc: b.vpc, AllowAllOutbound: jsii.Bool(true), Description: jsii.String("barrage Fargate workers: outbound only")})
	b.cluster = awsecs.NewCluster(b.st, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc: b.vpc, EnableFargateCapacityProviders: jsii.Bool(true)})
	b.task = awsecs.NewFargateTaskDefinition(b.st, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu: &b.p.TaskCPU, MemoryLimitMiB: &b.p.TaskMemoryMiB,
		RuntimePlatform: &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
	})
	logs := awslogs.NewLogGroup(b.st, jsii.String("TaskLogs"), &awslogs.LogGroupProps{
		Retention: b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	b.task.AddContainer(jsii.String(stack.TaskContainerName), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromAsset(jsii.String(b.p.ImageDir), &awsecs.AssetImageProps{
			File: jsii.String("tasks/worker/Dockerfile"), Platform: awsecrassets.Platform_LINUX_ARM64(),
			Exclude: jsii.Strings(".git", "build", "cdk", "bench/out", "barrage-runs", "integration/.deps", "**/node_modules", "**/cdk.out")}),
		Essential: jsii.Bool(true),
		// Spot gives two minutes' notice: the task stops sending on SIGTERM,
		// uploads a truncated result and exits well inside this.
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(120)),
		Ulimits:     &[]*awsecs.Ulimit{{Name: awsecs.UlimitName_NOFILE, SoftLimit: jsii.Number(65536), HardLimit: jsii.Number(65536)}},
		Logging:     awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("worker"), LogGroup: logs}),
		Environment: &map[string]*string{stack.EnvBucket: b.bucket.BucketName(), stack.EnvFargateQueueURL: b.fargateQueue.QueueUrl()},
	})
	b.grantShardWorker(b.task.TaskRole(), b.fargateQueue)
}

// orchestrate defines the scheduler function, which dispatches runs and
// windows and starts stored specs, and the role EventBridge Scheduler uses.
func (b *builder) orchestrate() {
	name := *b.st.StackName() + "-scheduler"
	// The function schedules its own later windows, so it needs its own ARN
	// in its environment: built from its name, not from the function, which
	// would be a circular reference.
	b.dispArn = b.st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: &name, ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	b.group = awsscheduler.NewCfnScheduleGroup(b.st, jsii.String("Schedules"), &awsscheduler.CfnScheduleGroupProps{
		Name: jsii.String(*b.st.StackName() + "-runs")})
	b.schedRole = awsiam.NewRole(b.st, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": b.st.Account()}}}),
		Description: jsii.String("EventBridge Scheduler invokes barrage's scheduler and reducer functions"),
	})
	env := b.orchestratorEnv()
	b.disp = b.function("Scheduler", "scheduler", 900, 1024, env)
	b.disp.Node().DefaultChild().(awslambda.CfnFunction).SetFunctionName(&name)
	b.schedRole.AddToPolicy(allow([]string{"lambda:InvokeFunction"}, b.dispArn, b.reducer.FunctionArn()))

	role := b.disp.Role()
	b.grantS3(role, "ReadSpecs", []string{"s3:GetObject"}, "specs/*")
	b.grantS3(role, "ReadWriteRuns", []string{"s3:GetObject", "s3:PutObject"}, "runs/*")
	b.grantList(role, "runs/*")
	role.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
		b.lambdaQueue.QueueArn(), b.fargateQueue.QueueArn()))
	role.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, b.worker.FunctionArn(), b.dispArn))
	run := allow([]string{"ecs:RunTask"}, b.task.TaskDefinitionArn())
	run.AddCondition(jsii.String("ArnEquals"), map[string]any{"ecs:cluster": b.cluster.ClusterArn()})
	role.AddToPrincipalPolicy(run)
	role.AddToPrincipalPolicy(allow([]string{"iam:PassRole"}, b.task.TaskRole().RoleArn(), b.task.ExecutionRole().RoleArn()))
	role.AddToPrincipalPolicy(allow([]string{"scheduler:CreateSchedule"}, b.st.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule"),
		ResourceName: jsii.String(*b.group.Name() + "/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})))
	pass := allow([]string{"iam:PassRole"}, b.schedRole.RoleArn())
	pass.AddCondition(jsii.String("StringEquals"), map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"})
	role.AddToPrincipalPolicy(pass)
}

// orchestratorEnv is the environment of the functions that plan and dispatch.
func (b *builder) orchestratorEnv() map[string]*string {
	var subnets []string
	for _, s := range *b.vpc.PublicSubnets() {
		subnets = append(subnets, *s.SubnetId())
	}
	return map[string]*string{
		stack.EnvBucket:          b.bucket.BucketName(),
		stack.EnvLambdaQueueURL:  b.lambdaQueue.QueueUrl(),
		stack.EnvFargateQueueURL: b.fargateQueue.QueueUrl(),
		stack.EnvWorkerFunction:  b.worker.FunctionName(),
		stack.EnvDispatcher:      b.dispArn,
		stack.EnvReducerArn:      b.reducer.FunctionArn(),
		stack.EnvScheduleGroup:   b.group.Name(),
		stack.EnvSchedulerRole:   b.schedRole.RoleArn(),
		stack.EnvCluster:         b.cluster.ClusterArn(),
		stack.EnvTaskDefinition:  b.task.TaskDefinitionArn(),
		stack.EnvTaskContainer:   jsii.String(stack.TaskContainerName),
		stack.EnvSubnets:         awscdk.Fn_Join(jsii.String(","), jsii.Strings(subnets...)),
		stack.EnvSecurityGroup:   b.taskSG.SecurityGroupId(),
		stack.EnvSpot:            jsii.String(strconv.FormatBool(b.p.FargateSpot)),
		stack.EnvAllowedTargets:  jsii.String(strings.Join(b.p.AllowedTargets, ",")),
		stack.EnvMaxRate:         jsii.String(strconv.FormatFloat(b.p.MaxRate, 'g', -1, 64)),
		stack.EnvMaxDuration:     jsii.String(b.p.MaxDuration.String()),
		stack.EnvWorkerMemoryMB:  jsii.String(strconv.Itoa(int(b.p.WorkerMemoryMB))),
	}
}

// api defines the REST API and its function, which validates, plans and
// stores a run and hands it to the scheduler function to dispatch.
func (b *builder) api() {
	b.apiFn = b.function("Api", "api", 29, 1024, map[string]*string{
		stack.EnvBucket:         b.bucket.BucketName(),
		stack.EnvDispatcher:     b.dispArn,
		stack.EnvAllowedTargets: jsii.String(strings.Join(b.p.AllowedTargets, ",")),
		stack.EnvMaxRate:        jsii.String(strconv.FormatFloat(b.p.MaxRate, 'g', -1, 64)),
		stack.EnvMaxDuration:    jsii.String(b.p.MaxDuration.String()),
		stack.EnvWorkerMemoryMB: jsii.String(strconv.Itoa(int(b.p.WorkerMemoryMB))),
	})
	role := b.apiFn.Role()
	b.grantS3(role, "ReadWriteRuns", []string{"s3:GetObject", "s3:PutObject"}, "runs/*")
	b.grantList(role, "runs/*")
	role.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, b.dispArn))

	b.rest = awsapigateway.NewRestApi(b.st, jsii.String("RestApi"), &awsapigateway.RestApiProps{
		Description:          jsii.String("barrage runs: POST /runs, GET /runs/{id}, GET /runs/{id}/report, DELETE /runs/{id}"),
		CloudWatchRole:       jsii.Bool(false),
		EndpointTypes:        &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		DefaultMethodOptions: &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_IAM},
		DeployOptions:        &awsapigateway.StageOptions{StageName: jsii.String("v1"), ThrottlingRateLimit: jsii.Number(20), ThrottlingBurstLimit: jsii.Number(40)},
	})
	in := awsapigateway.NewLambdaIntegration(b.apiFn, nil)
	runs := b.rest.Root().AddResource(jsii.String("runs"), nil)
	runs.AddMethod(jsii.String("POST"), in, nil)
	run := runs.AddResource(jsii.String("{id}"), nil)
	run.AddMethod(jsii.String("GET"), in, nil)
	run.AddMethod(jsii.String("DELETE"), in, nil)
	run.AddResource(jsii.String("report"), nil).AddMethod(jsii.String("GET"), in, nil)
}

// schedules defines the stored-spec schedules of ScheduledRuns.
func (b *builder) schedules() {
	for i, r := range b.p.ScheduledRuns {
		input := fmt.Sprintf(`{"schedule":%q,"spec_key":%q,"time":"<aws.scheduler.scheduled-time>","kind":%q}`, r.Name, r.SpecKey, r.Kind)
		tz := r.Timezone
		if tz == "" {
			tz = "UTC"
		}
		awsscheduler.NewCfnSchedule(b.st, jsii.String(fmt.Sprintf("Scheduled%d", i)), &awsscheduler.CfnScheduleProps{
			Name: jsii.String(r.Name), GroupName: b.group.Name(),
			ScheduleExpression: jsii.String(r.Expression), ScheduleExpressionTimezone: &tz,
			FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
			Target: &awsscheduler.CfnSchedule_TargetProperty{Arn: b.disp.FunctionArn(), RoleArn: b.schedRole.RoleArn(),
				Input: &input, RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(3)}},
		}).AddDependency(b.group)
	}
}

func (b *builder) outputs() {
	out := func(name string, v *string) {
		awscdk.NewCfnOutput(b.st, &name, &awscdk.CfnOutputProps{Value: v})
	}
	out(stack.OutBucket, b.bucket.BucketName())
	out(stack.OutLambdaQueueURL, b.lambdaQueue.QueueUrl())
	out(stack.OutFargateQueueURL, b.fargateQueue.QueueUrl())
	out(stack.OutApiURL, b.rest.Url())
	out(stack.OutWorkerFunction, b.worker.FunctionName())
	out(stack.OutReducerFunction, b.reducer.FunctionName())
	out(stack.OutApiFunction, b.apiFn.FunctionName())
	out(stack.OutCluster, b.cluster.ClusterArn())
	out(stack.OutTaskDefinition, b.task.TaskDefinitionArn())
	out(stack.OutScheduleGroup, b.group.Name())
}
