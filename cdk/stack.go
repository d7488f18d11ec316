package main

import (
	"fmt"
	"maps"
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

	"github.com/barrage-load/barrage/pkg/stack"
)

// SQS keeps a message at least a minute and at most 14 days.
const minRetention, maxRetention = time.Minute, 14 * 24 * time.Hour

// retention is how long a shard queue keeps a message that no worker took:
// about twice the longest window a shard of that queue may have, so a
// message outlives any window it could still start in, and a leftover one
// goes away on its own; within SQS's bounds.
func retention(window time.Duration) time.Duration {
	return min(max(2*window, minRetention), maxRetention)
}

// NewBarrageStack defines barrage's deployment: one per account and region.
//
// Who may do what (every action named, none with a wildcard):
//
//	worker Lambda     read runs/*, write runs/*/shards/*; receive from the Lambda queue;
//	                  read secrets under SecretsPrefix; send failed invocations to the DLQ
//	Fargate task      the same, with the Fargate queue (and no DLQ); write runs/*/report.* (a reducer task)
//	reducer Lambda    read runs/*, write runs/*/report.*; send failed invocations to the DLQ;
//	                  start the reducer task (RunTask, PassRole), write runs/*/reducer-task.json
//	api Lambda        read and write runs/*; invoke the scheduler and reducer functions;
//	                  read quotas (preflight) and secrets; read and delete the group's schedules
//	scheduler Lambda  read specs/* and runs/*, write runs/*; send to both queues, invoke the
//	                  worker and reducer, run, describe and stop the task, create, read and
//	                  delete schedules in the group (the orchestrator); quotas, secrets, DLQ
//	scheduler role    invoke the scheduler and reducer functions; send failures to the DLQ
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
	b.reducerTask()
	b.orchestrate()
	b.api()
	b.schedules()
	b.dashboard()
	b.outputs()
	b.accept()
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
	queue := func(id string, window time.Duration) awssqs.Queue {
		return awssqs.NewQueue(b.st, &id, &awssqs.QueueProps{
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(VisibilityFactor * stack.WorkerTimeoutSeconds)),
			RetentionPeriod:   awscdk.Duration_Seconds(jsii.Number(retention(window).Seconds())),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: b.dlq, MaxReceiveCount: jsii.Number(MaxReceiveCount)},
		})
	}
	// A Lambda shard's window ends within the worker's timeout; a Fargate
	// shard's within the run's longest duration.
	b.lambdaQueue = queue("LambdaShards", stack.WorkerTimeoutSeconds*time.Second)
	b.fargateQueue = queue("FargateShards", b.p.MaxDuration)
}

// function defines one of the Lambda functions from AssetsDir/name/bootstrap,
// with its own log group and a role that may write there and nowhere else
// (rather than AWSLambdaBasicExecutionRole's every log group of the account).
func (b *builder) function(id, name string, timeout, memory float64, env map[string]*string) awslambda.Function {
	logs := awslogs.NewLogGroup(b.st, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	role := awsiam.NewRole(b.st, jsii.String(id+"ServiceRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPrincipalPolicy(allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, logs.LogGroupArn()))
	fn := awslambda.NewFunction(b.st, &id, &awslambda.FunctionProps{
		Role:         role,
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.p.AssetsDir, name)), nil),
		Timeout:      awscdk.Duration_Seconds(&timeout),
		MemorySize:   &memory,
		Environment:  &env,
		LogGroup:     logs,
	})
	lintIgnore(fn.Node().DefaultChild().(awscdk.CfnResource), "W3005", lambdaDependsOnRole)
	suppress(fn, "Serverless-LambdaTracing", noTracing)
	return fn
}

func (b *builder) functions() {
	bucket := b.bucket.BucketName()
	b.worker = b.function("Worker", "worker", stack.WorkerTimeoutSeconds, b.p.WorkerMemoryMB, map[string]*string{
		stack.EnvBucket: bucket, stack.EnvLambdaQueueURL: b.lambdaQueue.QueueUrl(),
		// The workers guard what they dial with the deployment's allow-list
		// (pkg/hostguard): without it they contact no host.
		stack.EnvAllowedTargets: b.allowedTargets()})
	cfn := b.worker.Node().DefaultChild().(awslambda.CfnFunction)
	if b.p.WorkerConcurrency > 0 {
		cfn.SetReservedConcurrentExecutions(&b.p.WorkerConcurrency)
	}
	// A worker invocation that fails is not retried by Lambda: its shard
	// stays in the queue for another worker, and a retry after the window
	// would only write "missed". An event that waited over a minute finds
	// its run's shards past their window: Lambda drops it to the DLQ.
	b.asyncInvoke("Worker", b.worker, 0, 60)
	b.reducer = b.function("Reducer", "reducer", stack.ReducerTimeoutSeconds, 1769, map[string]*string{stack.EnvBucket: bucket})
	// The reducer is woken asynchronously (a result's S3 event, a run's
	// deadline): Lambda's usual two retries over up to six hours, then the
	// event is kept in the DLQ rather than lost.
	b.asyncInvoke("Reducer", b.reducer, 2, 6*3600)
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
		Environment: &map[string]*string{stack.EnvBucket: b.bucket.BucketName(), stack.EnvFargateQueueURL: b.fargateQueue.QueueUrl(),
			stack.EnvAllowedTargets: b.allowedTargets()},
	})
	b.grantShardWorker(b.task.TaskRole(), b.fargateQueue)
}

// reducerTask lets the reducer function hand a run too large for it
// (pkg/plan.Reducer) to a Fargate task of the worker's task definition,
// which then reduces it (stack.EnvReduceRun): the function starts the task
// in the stack's cluster and records it (runs/*/reducer-task.json); the
// task writes the report.
func (b *builder) reducerTask() {
	var subnets []string
	for _, s := range *b.vpc.PublicSubnets() {
		subnets = append(subnets, *s.SubnetId())
	}
	for k, v := range map[string]*string{
		stack.EnvCluster:        b.cluster.ClusterArn(),
		stack.EnvTaskDefinition: b.task.TaskDefinitionArn(),
		stack.EnvTaskContainer:  jsii.String(stack.TaskContainerName),
		stack.EnvSubnets:        awscdk.Fn_Join(jsii.String(","), jsii.Strings(subnets...)),
		stack.EnvSecurityGroup:  b.taskSG.SecurityGroupId(),
	} {
		b.reducer.AddEnvironment(jsii.String(k), v, nil)
	}
	role := b.reducer.Role()
	run := allow([]string{"ecs:RunTask"}, b.task.TaskDefinitionArn())
	run.AddCondition(jsii.String("ArnEquals"), map[string]any{"ecs:cluster": b.cluster.ClusterArn()})
	role.AddToPrincipalPolicy(run)
	role.AddToPrincipalPolicy(allow([]string{"iam:PassRole"}, b.task.TaskRole().RoleArn(), b.task.ExecutionRole().RoleArn()))
	b.grantS3(role, "RecordReducerTask", []string{"s3:PutObject"}, "runs/*/reducer-task.json")
	b.grantS3(b.task.TaskRole(), "WriteReports", []string{"s3:PutObject"}, "runs/*/report.*")
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
	// Lambda retries a failed dispatch twice (dispatching is idempotent);
	// after ten minutes a dispatch is too late to be worth starting.
	b.asyncInvoke("Scheduler", b.disp, 2, 600)
	b.schedRole.AddToPolicy(allow([]string{"lambda:InvokeFunction"}, b.dispArn, b.reducer.FunctionArn()))
	// A stored-spec schedule whose invocations all fail leaves its event in
	// the DLQ.
	b.schedRole.AddToPolicy(allow([]string{"sqs:SendMessage"}, b.dlq.QueueArn()))

	role := b.disp.Role()
	b.grantS3(role, "ReadSpecs", []string{"s3:GetObject"}, "specs/*")
	b.grantS3(role, "ReadWriteRuns", []string{"s3:GetObject", "s3:PutObject"}, "runs/*")
	b.grantList(role, "runs/*")
	role.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
		b.lambdaQueue.QueueArn(), b.fargateQueue.QueueArn()))
	// The reducer: a run past its deadline with no report is handed to it.
	role.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, b.worker.FunctionArn(), b.dispArn, b.reducer.FunctionArn()))
	run := allow([]string{"ecs:RunTask"}, b.task.TaskDefinitionArn())
	run.AddCondition(jsii.String("ArnEquals"), map[string]any{"ecs:cluster": b.cluster.ClusterArn()})
	role.AddToPrincipalPolicy(run)
	// Follow the run's tasks, and stop those of an aborted run: tasks of
	// this cluster only.
	b.add(role, allow([]string{"ecs:DescribeTasks", "ecs:StopTask"},
		b.arn("ecs", "task", *b.cluster.ClusterName()+"/*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)),
		"tasks are started at run time, their ids unknown to the stack: the cluster's tasks are the narrowest name")
	role.AddToPrincipalPolicy(allow([]string{"iam:PassRole"}, b.task.TaskRole().RoleArn(), b.task.ExecutionRole().RoleArn()))
	// Later windows' and deadlines' schedules: created here, read and
	// deleted when a run is aborted.
	b.add(role, allow([]string{"scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:DeleteSchedule"},
		b.schedulesArn()), schedulesWhy)
	pass := allow([]string{"iam:PassRole"}, b.schedRole.RoleArn())
	pass.AddCondition(jsii.String("StringEquals"), map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"})
	role.AddToPrincipalPolicy(pass)
	// Stored specs are submitted here, with the same checks as the API's.
	b.grantPreflight(role)
	b.grantSecrets(role)
}

// asyncInvoke configures fn's asynchronous invocations: how many times
// Lambda retries a failed one, how old an event may get before Lambda drops
// it, and the DLQ as the destination of those dropped or failed for good.
// It is the L1 resource because the L2 destination binds with a grant
// helper; fn's role is allowed to send to the DLQ by name, and Lambda
// checks that permission when the configuration is created.
func (b *builder) asyncInvoke(id string, fn awslambda.Function, retries, maxAgeSeconds float64) {
	fn.Role().AddToPrincipalPolicy(allow([]string{"sqs:SendMessage"}, b.dlq.QueueArn()))
	cfg := awslambda.NewCfnEventInvokeConfig(b.st, jsii.String(id+"AsyncInvoke"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName: fn.FunctionName(), Qualifier: jsii.String("$LATEST"),
		MaximumRetryAttempts: &retries, MaximumEventAgeInSeconds: &maxAgeSeconds,
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: b.dlq.QueueArn()}},
	})
	cfg.Node().AddDependency(fn.Role())
	suppress(fn, "Serverless-LambdaDLQ", "failed asynchronous invocations go to the stack's DLQ through an "+
		"on-failure destination (EventInvokeConfig), which keeps the error with the event, rather than a function DLQ")
}

// runEnv is the environment of the functions that plan a run, check it
// against the account's quotas, and hand it on (the api and scheduler
// functions).
func (b *builder) runEnv() map[string]*string {
	return map[string]*string{
		stack.EnvBucket:         b.bucket.BucketName(),
		stack.EnvDispatcher:     b.dispArn,
		stack.EnvReducerArn:     b.reducer.FunctionArn(),
		stack.EnvWorkerFunction: b.worker.FunctionName(),
		stack.EnvScheduleGroup:  b.group.Name(),
		stack.EnvSpot:           jsii.String(strconv.FormatBool(b.p.FargateSpot)),
		stack.EnvTaskVCPU:       b.taskVCPU(),
		stack.EnvAllowedTargets: b.allowedTargets(),
		stack.EnvMaxRate:        jsii.String(strconv.FormatFloat(b.p.MaxRate, 'g', -1, 64)),
		stack.EnvMaxDuration:    jsii.String(b.p.MaxDuration.String()),
		stack.EnvWorkerMemoryMB: jsii.String(strconv.Itoa(int(b.p.WorkerMemoryMB))),
	}
}

// orchestratorEnv is the environment of the scheduler function, which also
// starts the work: runEnv and where the shards and tasks go.
func (b *builder) orchestratorEnv() map[string]*string {
	var subnets []string
	for _, s := range *b.vpc.PublicSubnets() {
		subnets = append(subnets, *s.SubnetId())
	}
	env := b.runEnv()
	maps.Copy(env, map[string]*string{
		stack.EnvLambdaQueueURL:  b.lambdaQueue.QueueUrl(),
		stack.EnvFargateQueueURL: b.fargateQueue.QueueUrl(),
		stack.EnvSchedulerRole:   b.schedRole.RoleArn(),
		stack.EnvCluster:         b.cluster.ClusterArn(),
		stack.EnvTaskDefinition:  b.task.TaskDefinitionArn(),
		stack.EnvTaskContainer:   jsii.String(stack.TaskContainerName),
		stack.EnvSubnets:         awscdk.Fn_Join(jsii.String(","), jsii.Strings(subnets...)),
		stack.EnvSecurityGroup:   b.taskSG.SecurityGroupId(),
		stack.EnvDeadLetterQueue: b.dlq.QueueArn(),
	})
	return env
}

// taskVCPU is the Fargate task's vCPUs as a decimal string ("1" for 1024
// CPU units, "0.25" for 256), for the planner and the vCPU quota check.
func (b *builder) taskVCPU() *string {
	return jsii.String(strconv.FormatFloat(b.p.TaskCPU/1024, 'f', -1, 64))
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
				Input: &input, RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(3)},
				// A firing whose invocations all fail is kept, not lost.
				DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: b.dlq.QueueArn()}},
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
	out(OutDLQURL, b.dlq.QueueUrl())
}

// OutDLQURL is the output that names the dead-letter queue, for people
// (the command line does not read it).
const OutDLQURL = "DeadLetterQueueUrl"

// allowedTargets is the allow-list as the functions and the task read it.
func (b *builder) allowedTargets() *string { return jsii.String(strings.Join(b.p.AllowedTargets, ",")) }
