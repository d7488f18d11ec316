// Package stack names what the CDK stack (cdk/) and barrage's AWS functions
// and task share: the environment variables the stack sets on them, and the
// stack's outputs that the command line reads. One list, so the two sides
// cannot drift apart.
package stack

// Environment variables the stack sets on the functions and the task.
const (
	EnvBucket          = "BARRAGE_BUCKET"            // the run store's bucket
	EnvLambdaQueueURL  = "BARRAGE_LAMBDA_QUEUE_URL"  // shard queue of Lambda workers
	EnvFargateQueueURL = "BARRAGE_FARGATE_QUEUE_URL" // shard queue of Fargate workers
	EnvWorkerFunction  = "BARRAGE_WORKER_FUNCTION"   // the worker Lambda's name
	EnvDispatcher      = "BARRAGE_DISPATCHER"        // the scheduler Lambda's ARN: it also dispatches runs and windows
	EnvReducerArn      = "BARRAGE_REDUCER_ARN"       // the reducer Lambda's ARN (deadline schedules)
	EnvScheduleGroup   = "BARRAGE_SCHEDULE_GROUP"    // EventBridge Scheduler group for deadlines and stored specs
	EnvSchedulerRole   = "BARRAGE_SCHEDULER_ROLE"    // role EventBridge Scheduler assumes to invoke Lambdas
	EnvCluster         = "BARRAGE_CLUSTER"           // ECS cluster ARN
	EnvTaskDefinition  = "BARRAGE_TASK_DEFINITION"   // Fargate task definition ARN
	EnvTaskContainer   = "BARRAGE_TASK_CONTAINER"    // the task's container name
	EnvSubnets         = "BARRAGE_SUBNETS"           // comma-separated subnet ids for tasks
	EnvSecurityGroup   = "BARRAGE_SECURITY_GROUP"    // security group id for tasks
	EnvSpot            = "BARRAGE_SPOT"              // "true": run tasks on FARGATE_SPOT
	EnvAllowedTargets  = "BARRAGE_ALLOWED_TARGETS"   // comma-separated hosts (or *.suffix) load may go to
	EnvMaxRate         = "BARRAGE_MAX_RATE"          // arrivals per second a run may ask for
	EnvMaxDuration     = "BARRAGE_MAX_DURATION"      // Go duration a run may last
	EnvWorkerMemoryMB  = "BARRAGE_WORKER_MEMORY_MB"  // the worker Lambda's memory, for the planner
	EnvTaskVCPU        = "BARRAGE_TASK_VCPU"         // the Fargate task's vCPUs, for the planner
	EnvDeadLetterQueue = "BARRAGE_DLQ_ARN"           // where run-time schedules put an event they could not deliver
	EnvReduceRun       = "BARRAGE_REDUCE_RUN"        // set on a Fargate task: reduce this run, then exit (no shards)
)

// Stack outputs, read by `barrage run --backend aws` (or given as flags).
const (
	OutBucket          = "BucketName"
	OutLambdaQueueURL  = "LambdaQueueUrl"
	OutFargateQueueURL = "FargateQueueUrl"
	OutApiURL          = "ApiUrl"
	OutWorkerFunction  = "WorkerFunctionName"
	OutReducerFunction = "ReducerFunctionName"
	OutApiFunction     = "ApiFunctionName"
	OutCluster         = "ClusterArn"
	OutTaskDefinition  = "TaskDefinitionArn"
	OutScheduleGroup   = "ScheduleGroupName"
)

// Defaults of the stack.
const (
	DefaultStackName      = "Barrage"
	TaskContainerName     = "worker"
	WorkerTimeoutSeconds  = 900 // the worker Lambda's timeout
	ReducerTimeoutSeconds = 300
	ReducerMemoryMB       = 1769 // the reducer Lambda's memory: one vCPU
	// ReducerTaskCPU and ReducerTaskMemoryMiB size the Fargate task that
	// reduces a run too large for the reducer Lambda (pkg/plan.Reducer):
	// the worker's task definition, overridden at RunTask.
	ReducerTaskCPU       = 2048
	ReducerTaskMemoryMiB = 8192
)

// Endpoint overrides, for running the functions, the task and the command
// against local servers (MinIO, fauxqs, integration/awslocal, the tests);
// unset on AWS. Package awsenv reads them, and only it.
const (
	EnvS3Endpoint             = "BARRAGE_S3_ENDPOINT" // path-style addressing with it
	EnvSQSEndpoint            = "BARRAGE_SQS_ENDPOINT"
	EnvLambdaEndpoint         = "BARRAGE_LAMBDA_ENDPOINT"
	EnvECSEndpoint            = "BARRAGE_ECS_ENDPOINT"
	EnvSchedulerEndpoint      = "BARRAGE_SCHEDULER_ENDPOINT"
	EnvQuotasEndpoint         = "BARRAGE_SERVICEQUOTAS_ENDPOINT"
	EnvSSMEndpoint            = "BARRAGE_SSM_ENDPOINT"            // ssm: secret references
	EnvSecretsManagerEndpoint = "BARRAGE_SECRETSMANAGER_ENDPOINT" // secretsmanager: secret references
	// EnvLeadTime shortens the planner's lead before the start (10 s for
	// Lambda, 90 s for Fargate cold starts) where workers start at once.
	EnvLeadTime = "BARRAGE_LEAD_TIME"
	// EnvAllowLoopback, "true", lets runs contact loopback addresses, which
	// the API and the workers otherwise refuse: the end-to-end tests'
	// targets are on this machine. The stack never sets it.
	EnvAllowLoopback = "BARRAGE_ALLOW_LOOPBACK"
)

// The workers' live metrics in CloudWatch (pkg/worker's embedded metric
// format lines), which the stack's dashboard plots: their namespace and
// the dimensions of every metric.
const (
	MetricsNamespace = "barrage"
	MetricsRunID     = "RunId" // the run's id
	MetricsKind      = "Kind"  // the worker kind: lambda, fargate
)
