package awssecret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/barrage-load/barrage/pkg/secret"
)

// DefaultRegion is the region used with an endpoint override when the AWS
// configuration names none (emulators ignore it, but requests are signed
// for one).
const DefaultRegion = "us-east-1"

// ParameterGetter is the part of the SSM client SSM uses; *ssm.Client is
// one.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretValueGetter is the part of the Secrets Manager client
// SecretsManager uses; *secretsmanager.Client is one.
type SecretValueGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ ParameterGetter   = (*ssm.Client)(nil)
	_ SecretValueGetter = (*secretsmanager.Client)(nil)
	_ secret.Source     = SSM{}
	_ secret.Source     = SecretsManager{}
)

// SSM is the source of ssm: references: SSM Parameter Store parameters,
// decrypted.
type SSM struct{ Client ParameterGetter }

// Get fetches the parameter name (a name or an ARN, fetched from the ARN's
// region), decrypted.
func (s SSM) Get(ctx context.Context, name string) (string, error) {
	var opts []func(*ssm.Options)
	if region := arnRegion(name); region != "" {
		opts = append(opts, func(o *ssm.Options) { o.Region = region })
	}
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)}, opts...)
	if err != nil {
		return "", awsError(err)
	}
	if out == nil || out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("answer holds no parameter value")
	}
	return *out.Parameter.Value, nil
}

// SecretsManager is the source of secretsmanager: references: the
// SecretString of a Secrets Manager secret.
type SecretsManager struct{ Client SecretValueGetter }

// Get fetches the SecretString of the secret name (a name or an ARN,
// fetched from the ARN's region).
func (s SecretsManager) Get(ctx context.Context, name string) (string, error) {
	var opts []func(*secretsmanager.Options)
	if region := arnRegion(name); region != "" {
		opts = append(opts, func(o *secretsmanager.Options) { o.Region = region })
	}
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)}, opts...)
	if err != nil {
		return "", awsError(err)
	}
	if out == nil || out.SecretString == nil {
		return "", errors.New("secret has no SecretString (binary secrets are not supported)")
	}
	return *out.SecretString, nil
}

// Endpoints send the clients' requests to local servers (emulators, the
// tests) instead of AWS's; "" keeps AWS's. The mains read them from
// BARRAGE_SSM_ENDPOINT and BARRAGE_SECRETSMANAGER_ENDPOINT (package awsenv).
type Endpoints struct{ SSM, SecretsManager string }

// Sources returns SSM and SecretsManager, by kind, for
// secret.WithSources. Their clients are built from the AWS configuration
// that load returns and ep, when the first ssm: or secretsmanager:
// reference is fetched, so that a process reading env: and file:
// references only needs no AWS configuration; a failed load is tried again
// at the next fetch. The sources are safe for concurrent use, and may be
// shared by any number of Resolvers.
func Sources(load func(context.Context) (aws.Config, error), ep Endpoints) secret.Sources {
	c := &clients{load: load, ep: ep}
	return secret.Sources{secret.KindSSM: SSM{c}, secret.KindSecretsManager: SecretsManager{c}}
}

// NewSSMClient returns an SSM client built from cfg that sends its
// requests to endpoint when that is not "".
func NewSSMClient(cfg aws.Config, endpoint string) *ssm.Client {
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) { override(&o.BaseEndpoint, &o.Region, endpoint) })
}

// NewSecretsManagerClient returns a Secrets Manager client built from cfg
// that sends its requests to endpoint when that is not "".
func NewSecretsManagerClient(cfg aws.Config, endpoint string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { override(&o.BaseEndpoint, &o.Region, endpoint) })
}

// override sets a client's endpoint to endpoint, if not "", and then its
// region to DefaultRegion if the configuration named none.
func override(base **string, region *string, endpoint string) {
	if endpoint == "" {
		return
	}
	*base = aws.String(endpoint)
	if *region == "" {
		*region = DefaultRegion
	}
}

// clients builds the SSM and Secrets Manager clients on first use, from
// one AWS configuration; it is both getters.
type clients struct {
	load func(context.Context) (aws.Config, error)
	ep   Endpoints

	mu  sync.Mutex // guards the three below
	cfg *aws.Config
	ssm *ssm.Client
	sm  *secretsmanager.Client
}

func (c *clients) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	client, err := built(ctx, c, &c.ssm, func(cfg aws.Config) *ssm.Client { return NewSSMClient(cfg, c.ep.SSM) })
	if err != nil {
		return nil, err
	}
	return client.GetParameter(ctx, in, optFns...)
}

func (c *clients) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	client, err := built(ctx, c, &c.sm, func(cfg aws.Config) *secretsmanager.Client { return NewSecretsManagerClient(cfg, c.ep.SecretsManager) })
	if err != nil {
		return nil, err
	}
	return client.GetSecretValue(ctx, in, optFns...)
}

// built returns the client in slot, one of c's, building it from c's
// configuration first if it has not been.
func built[C any](ctx context.Context, c *clients, slot **C, build func(aws.Config) *C) (*C, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *slot == nil {
		cfg, err := c.config(ctx)
		if err != nil {
			return nil, err
		}
		*slot = build(cfg)
	}
	return *slot, nil
}

// config loads the AWS configuration once; a failed load is tried again
// at the next call. The caller holds mu.
func (c *clients) config(ctx context.Context) (aws.Config, error) {
	if c.cfg == nil {
		cfg, err := c.load(ctx)
		if err != nil {
			return aws.Config{}, fmt.Errorf("aws config: %w", err)
		}
		c.cfg = &cfg
	}
	return *c.cfg, nil
}

// arnRegion returns the region of an ARN (arn:PARTITION:SERVICE:REGION:…),
// or "" if name is not an ARN. A secret named by ARN is fetched from its
// region, whichever region the worker runs in.
func arnRegion(name string) string {
	parts := strings.SplitN(name, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// awsError turns an SDK error into one that says what went wrong without
// anything a server sent back in a successful answer: a response that
// failed to decode may quote part of the body, the secret.
func awsError(err error) error {
	var (
		pnf  *ssmtypes.ParameterNotFound
		pvnf *ssmtypes.ParameterVersionNotFound
		rnf  *smtypes.ResourceNotFoundException
		de   *smithy.DeserializationError
	)
	switch {
	case errors.As(err, &pnf), errors.As(err, &pvnf), errors.As(err, &rnf):
		return fmt.Errorf("%w: %w", secret.ErrNotFound, err)
	case errors.As(err, &de):
		return errors.New("malformed answer (not quoted: it may hold the secret)")
	}
	return err
}
