package awsenv

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/barrage-load/barrage/pkg/queue/sqsqueue"
	"github.com/barrage-load/barrage/pkg/secret"
	"github.com/barrage-load/barrage/pkg/secret/awssecret"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store/s3store"
)

// Endpoints override the endpoints of the AWS services barrage calls, for
// local servers (MinIO, fauxqs, integration/awslocal, the tests); ""
// keeps the service's own. On AWS all are "".
type Endpoints struct {
	S3, SQS                        string
	Lambda, ECS, Scheduler, Quotas string
	SSM, SecretsManager            string
}

// EndpointsFromEnv reads the overrides from the environment variables
// pkg/stack names (BARRAGE_S3_ENDPOINT, BARRAGE_SQS_ENDPOINT, …). It is
// the only place they are read.
func EndpointsFromEnv() Endpoints {
	get := os.Getenv
	return Endpoints{
		S3: get(stack.EnvS3Endpoint), SQS: get(stack.EnvSQSEndpoint),
		Lambda: get(stack.EnvLambdaEndpoint), ECS: get(stack.EnvECSEndpoint),
		Scheduler: get(stack.EnvSchedulerEndpoint), Quotas: get(stack.EnvQuotasEndpoint),
		SSM: get(stack.EnvSSMEndpoint), SecretsManager: get(stack.EnvSecretsManagerEndpoint),
	}
}

// Env is how a process reaches AWS: one configuration, loaded once, and
// the endpoint overrides. Its methods build the adapters and clients from
// both.
type Env struct {
	Config    aws.Config
	Endpoints Endpoints
}

// Load loads the default AWS configuration (environment, shared files,
// roles; optFns adjust it, as config.LoadDefaultConfig's) and reads the
// endpoint overrides.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (*Env, error) {
	e, err := load(ctx, optFns)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	return e, nil
}

// load is Load with the SDK's error as it is.
func load(ctx context.Context, optFns []func(*config.LoadOptions) error) (*Env, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, err
	}
	return &Env{Config: cfg, Endpoints: EndpointsFromEnv()}, nil
}

// Store returns the run store at url, s3://bucket[/prefix].
func (e *Env) Store(url string) (*s3store.Store, error) {
	return s3store.NewFromConfig(e.Config, url, s3store.WithEndpoint(e.Endpoints.S3))
}

// Queue returns the SQS shard queue at url.
func (e *Env) Queue(url string) (*sqsqueue.Queue, error) {
	return sqsqueue.NewFromConfig(e.Config, url, sqsqueue.WithEndpoint(e.Endpoints.SQS))
}

// Lambda returns a Lambda client, for pkg/launch's invocations and quota
// reads.
func (e *Env) Lambda() *lambda.Client {
	return lambda.NewFromConfig(e.Config, func(o *lambda.Options) { override(&o.BaseEndpoint, e.Endpoints.Lambda) })
}

// ECS returns an ECS client, for pkg/launch's Fargate tasks.
func (e *Env) ECS() *ecs.Client {
	return ecs.NewFromConfig(e.Config, func(o *ecs.Options) { override(&o.BaseEndpoint, e.Endpoints.ECS) })
}

// Scheduler returns an EventBridge Scheduler client, for pkg/launch's
// schedules.
func (e *Env) Scheduler() *scheduler.Client {
	return scheduler.NewFromConfig(e.Config, func(o *scheduler.Options) { override(&o.BaseEndpoint, e.Endpoints.Scheduler) })
}

// ServiceQuotas returns a Service Quotas client, for pkg/launch's quota
// reads.
func (e *Env) ServiceQuotas() *servicequotas.Client {
	return servicequotas.NewFromConfig(e.Config, func(o *servicequotas.Options) { override(&o.BaseEndpoint, e.Endpoints.Quotas) })
}

// SecretSources returns the sources of ssm: and secretsmanager:
// references (package awssecret), for secret.WithSources and the Secrets
// fields of the worker runtime and the backends.
func (e *Env) SecretSources() secret.Sources {
	return awssecret.Sources(func(context.Context) (aws.Config, error) { return e.Config, nil }, e.Endpoints.secrets())
}

// secrets returns the overrides of awssecret's clients.
func (ep Endpoints) secrets() awssecret.Endpoints {
	return awssecret.Endpoints{SSM: ep.SSM, SecretsManager: ep.SecretsManager}
}

// override sets a client's endpoint to endpoint, if not "".
func override(base **string, endpoint string) {
	if endpoint != "" {
		*base = aws.String(endpoint)
	}
}

// Lazy loads an Env at its first use, once, for a process that may never
// reach AWS (the command: a local run reads env: and file: secrets, a
// worker a store directory). A failed load is tried again at the next use.
// It is safe for concurrent use.
type Lazy struct {
	// Options adjust the configuration, as Load's optFns.
	Options []func(*config.LoadOptions) error

	mu  sync.Mutex
	env *Env
}

// Get returns the Env, loading it if it has not been.
func (l *Lazy) Get(ctx context.Context) (*Env, error) {
	e, err := l.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	return e, nil
}

func (l *Lazy) get(ctx context.Context) (*Env, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.env == nil {
		e, err := load(ctx, l.Options)
		if err != nil {
			return nil, err
		}
		l.env = e
	}
	return l.env, nil
}

// SecretSources returns the sources of ssm: and secretsmanager:
// references, which load the Env when the first such reference is fetched
// (their errors say "aws config: …" when it fails to load). The endpoint
// overrides are read now.
func (l *Lazy) SecretSources() secret.Sources {
	cfg := func(ctx context.Context) (aws.Config, error) {
		e, err := l.get(ctx)
		if err != nil {
			return aws.Config{}, err
		}
		return e.Config, nil
	}
	return awssecret.Sources(cfg, EndpointsFromEnv().secrets())
}
