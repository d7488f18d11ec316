// Package awsenv is where barrage is wired to AWS: it loads a process's
// one AWS configuration (config.LoadDefaultConfig: the environment, shared
// files, roles), reads the endpoint overrides, and builds from both every
// adapter and client the process needs:
//
//	Env.Store          the run store on S3           (pkg/store/s3store)
//	Env.Queue          a shard queue on SQS          (pkg/queue/sqsqueue)
//	Env.Lambda, ECS,   the clients of the launchers  (pkg/launch)
//	Scheduler,
//	ServiceQuotas
//	Env.SecretSources  ssm: and secretsmanager: secret references (pkg/secret/awssecret)
//
// Only the mains use it: orchestrator/lambdas.FromEnv (the four functions
// of functions/ and the Fargate task of tasks/) with Load, and the command
// (orchestrator/cmd/barrage) with Load, or Lazy where a run may never
// reach AWS. The adapters take an aws.Config and an endpoint and read no
// environment; the core (pkg/engine, pkg/worker, pkg/journey, pkg/secret,
// pkg/plan, pkg/reduce, pkg/report, …) never links the AWS SDK, which the
// root package's TestCoreLinksNoAWSSDK checks: the worker runtime takes
// its store, its queue and its secret.Sources from the main.
//
// # Endpoint overrides
//
// For local servers (MinIO, fauxqs, integration/awslocal, the tests), and
// unset on AWS; pkg/stack names them:
//
//	BARRAGE_S3_ENDPOINT               S3, path-style addressing (region us-east-1 if none is configured)
//	BARRAGE_SQS_ENDPOINT              SQS
//	BARRAGE_LAMBDA_ENDPOINT           Lambda
//	BARRAGE_ECS_ENDPOINT              ECS
//	BARRAGE_SCHEDULER_ENDPOINT        EventBridge Scheduler
//	BARRAGE_SERVICEQUOTAS_ENDPOINT    Service Quotas
//	BARRAGE_SSM_ENDPOINT              SSM Parameter Store (region us-east-1 if none is configured)
//	BARRAGE_SECRETSMANAGER_ENDPOINT   Secrets Manager (region us-east-1 if none is configured)
//
// EndpointsFromEnv is the only code that reads them.
package awsenv
