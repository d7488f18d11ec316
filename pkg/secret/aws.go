package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// Endpoint overrides, for running against local servers (emulators, the
// end-to-end tests); unset on AWS. They follow pkg/stack's
// BARRAGE_S3_ENDPOINT and friends.
const (
	EnvSSMEndpoint            = "BARRAGE_SSM_ENDPOINT"
	EnvSecretsManagerEndpoint = "BARRAGE_SECRETSMANAGER_ENDPOINT"
)

// DefaultRegion is the region used with an endpoint override when the AWS
// configuration names none (emulators ignore it, but requests are signed
// for one).
const DefaultRegion = "us-east-1"

// ParameterGetter is the part of the SSM client a Resolver uses;
// *ssm.Client is one.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretValueGetter is the part of the Secrets Manager client a Resolver
// uses; *secretsmanager.Client is one.
type SecretValueGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ ParameterGetter   = (*ssm.Client)(nil)
	_ SecretValueGetter = (*secretsmanager.Client)(nil)
)

// LoadAWSConfig loads the default AWS configuration (environment, shared
// files, roles). It is what a Resolver uses unless given WithAWSConfig.
func LoadAWSConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}

// NewSSMClient returns an SSM client built from cfg that sends its requests
// to the endpoint in EnvSSMEndpoint when that is set; optFns adjust its
// options last.
func NewSSMClient(cfg aws.Config, optFns ...func(*ssm.Options)) *ssm.Client {
	ep := os.Getenv(EnvSSMEndpoint)
	return ssm.NewFromConfig(cfg, append([]func(*ssm.Options){func(o *ssm.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
			if o.Region == "" {
				o.Region = DefaultRegion
			}
		}
	}}, optFns...)...)
}

// NewSecretsManagerClient returns a Secrets Manager client built from cfg
// that sends its requests to the endpoint in EnvSecretsManagerEndpoint when
// that is set; optFns adjust its options last.
func NewSecretsManagerClient(cfg aws.Config, optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	ep := os.Getenv(EnvSecretsManagerEndpoint)
	return secretsmanager.NewFromConfig(cfg, append([]func(*secretsmanager.Options){func(o *secretsmanager.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
			if o.Region == "" {
				o.Region = DefaultRegion
			}
		}
	}}, optFns...)...)
}

// getParameter fetches an SSM parameter, decrypted.
func (r *Resolver) getParameter(ctx context.Context, name string) (string, error) {
	c, err := r.ssmClient(ctx)
	if err != nil {
		return "", err
	}
	var opts []func(*ssm.Options)
	if region := arnRegion(name); region != "" {
		opts = append(opts, func(o *ssm.Options) { o.Region = region })
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)}, opts...)
	if err != nil {
		return "", awsError(err)
	}
	if out == nil || out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("answer holds no parameter value")
	}
	return *out.Parameter.Value, nil
}

// getSecretValue fetches the SecretString of a Secrets Manager secret.
func (r *Resolver) getSecretValue(ctx context.Context, name string) (string, error) {
	c, err := r.smClient(ctx)
	if err != nil {
		return "", err
	}
	var opts []func(*secretsmanager.Options)
	if region := arnRegion(name); region != "" {
		opts = append(opts, func(o *secretsmanager.Options) { o.Region = region })
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)}, opts...)
	if err != nil {
		return "", awsError(err)
	}
	if out == nil || out.SecretString == nil {
		return "", errors.New("secret has no SecretString (binary secrets are not supported)")
	}
	return *out.SecretString, nil
}

// ssmClient returns the SSM client, building it on first use.
func (r *Resolver) ssmClient(ctx context.Context) (ParameterGetter, error) {
	r.awsMu.Lock()
	defer r.awsMu.Unlock()
	if r.ssm == nil {
		cfg, err := r.awsConfig(ctx)
		if err != nil {
			return nil, err
		}
		r.ssm = NewSSMClient(cfg)
	}
	return r.ssm, nil
}

// smClient returns the Secrets Manager client, building it on first use.
func (r *Resolver) smClient(ctx context.Context) (SecretValueGetter, error) {
	r.awsMu.Lock()
	defer r.awsMu.Unlock()
	if r.sm == nil {
		cfg, err := r.awsConfig(ctx)
		if err != nil {
			return nil, err
		}
		r.sm = NewSecretsManagerClient(cfg)
	}
	return r.sm, nil
}

// awsConfig loads the AWS configuration once; a failed load is tried again
// at the next call. The caller holds awsMu.
func (r *Resolver) awsConfig(ctx context.Context) (aws.Config, error) {
	if r.cfg == nil {
		cfg, err := r.loadAWS(ctx)
		if err != nil {
			return aws.Config{}, fmt.Errorf("aws config: %w", err)
		}
		r.cfg = &cfg
	}
	return *r.cfg, nil
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
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.As(err, &de):
		return errors.New("malformed answer (not quoted: it may hold the secret)")
	}
	return err
}
