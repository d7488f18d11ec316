package launch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"
	"github.com/aws/smithy-go"

	"github.com/barrage-load/barrage/pkg/plan"
)

// LambdaQuotas is what ReadQuotas asks Lambda; *lambda.Client has it.
type LambdaQuotas interface {
	GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
	GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
}

// ServiceQuotas is what ReadQuotas asks Service Quotas; *servicequotas.Client has it.
type ServiceQuotas interface {
	GetServiceQuota(context.Context, *servicequotas.GetServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	GetAWSDefaultServiceQuota(context.Context, *servicequotas.GetAWSDefaultServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error)
}

var (
	_ LambdaQuotas  = (*lambda.Client)(nil)
	_ ServiceQuotas = (*servicequotas.Client)(nil)
)

// ReadQuotas reads the account's quotas the planner checks:
//
//   - the concurrency the worker function may use: its reserved concurrency
//     (GetFunctionConcurrency) if it has one, else the account's unreserved
//     concurrency (GetAccountSettings);
//   - the Fargate On-Demand vCPU quota, or the Spot one (Service Quotas
//     GetServiceQuota, or GetAWSDefaultServiceQuota where the account has no
//     applied value).
//
// Partial knowledge is better than none: what could be read is returned,
// with a *QuotaReadError naming what could not (its figure left 0,
// unknown). sq may be nil: Fargate is then not read.
func ReadQuotas(ctx context.Context, lc LambdaQuotas, sq ServiceQuotas, workerFunction string, spot bool) (plan.Quotas, error) {
	var q plan.Quotas
	var missed QuotaReadError
	missed.Reserved, missed.Lambda = readLambda(ctx, lc, workerFunction, &q)
	q.FargateSpot = spot
	if sq == nil {
		missed.Fargate = errors.New("no Service Quotas client")
	} else if err := readFargate(ctx, sq, &q); err != nil {
		missed.Fargate = err
	}
	if missed.Reserved != nil || missed.Lambda != nil || missed.Fargate != nil {
		return q, &missed
	}
	return q, nil
}

// QuotaReadError says which quotas ReadQuotas could not read, and why.
type QuotaReadError struct {
	// Reserved: the worker's reserved concurrency was not read; the
	// account's unreserved concurrency stands for it.
	Reserved error
	Lambda   error // no Lambda concurrency was read
	Fargate  error // the Fargate vCPU quota was not read
}

func (e *QuotaReadError) Error() string {
	var parts []string
	if e.Reserved != nil {
		parts = append(parts, "the worker's reserved concurrency not read (planned against the account's unreserved): "+oneLine(e.Reserved))
	}
	if e.Lambda != nil {
		parts = append(parts, "Lambda concurrency not read: "+oneLine(e.Lambda))
	}
	if e.Fargate != nil {
		parts = append(parts, "Fargate vCPU quota not read: "+oneLine(e.Fargate))
	}
	return strings.Join(parts, "; ")
}

func (e *QuotaReadError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Reserved, e.Lambda, e.Fargate} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// oneLine writes err on one line, an AWS error as its code and message
// (AccessDeniedException: …) rather than the SDK's whole story.
func oneLine(err error) string {
	msg := err.Error()
	var api smithy.APIError
	if errors.As(err, &api) {
		if i := strings.Index(msg, "operation error "); i >= 0 {
			msg = msg[:i] + api.ErrorCode() + ": " + api.ErrorMessage()
		}
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// readLambda fills q's Lambda figure. A worker whose reserved concurrency
// cannot be read is planned against the account's unreserved concurrency:
// reserved says why.
func readLambda(ctx context.Context, lc LambdaQuotas, fn string, q *plan.Quotas) (reserved, err error) {
	if fn != "" {
		out, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: &fn})
		switch {
		case err != nil:
			reserved = fmt.Errorf("%s: %w", fn, err)
		case out.ReservedConcurrentExecutions == nil: // unreserved: the account's pool
		case *out.ReservedConcurrentExecutions == 0:
			return nil, fmt.Errorf("worker %s has a reserved concurrency of 0: every invocation is throttled (the stack's workerConcurrency)", fn)
		default:
			q.LambdaConcurrency, q.LambdaReserved = int(*out.ReservedConcurrentExecutions), true
			q.LambdaSource = "reserved concurrency of " + fn
			return nil, nil
		}
	}
	out, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	switch {
	case err != nil:
		return reserved, fmt.Errorf("account settings: %w", err)
	case out.AccountLimit == nil || out.AccountLimit.UnreservedConcurrentExecutions == nil:
		return reserved, errors.New("account settings: no unreserved concurrency in the answer")
	case *out.AccountLimit.UnreservedConcurrentExecutions == 0:
		return reserved, errors.New("the account has no unreserved concurrency left: other functions reserve it all")
	}
	limit := out.AccountLimit.ConcurrentExecutions
	q.LambdaConcurrency = int(*out.AccountLimit.UnreservedConcurrentExecutions)
	q.LambdaSource = fmt.Sprintf("account unreserved concurrency; the account's limit is %d", limit)
	return reserved, nil
}

// readFargate fills q's Fargate figure: the account's applied value, or
// AWS's default where none is applied.
func readFargate(ctx context.Context, sq ServiceQuotas, q *plan.Quotas) error {
	code, name := plan.QuotaCodeFargateOnDemand, "Fargate On-Demand vCPU quota"
	if q.FargateSpot {
		code, name = plan.QuotaCodeFargateSpot, "Fargate Spot vCPU quota"
	}
	var quota *sqtypes.ServiceQuota
	applied, err := sq.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String("fargate"), QuotaCode: &code})
	var missing *sqtypes.NoSuchResourceException
	switch {
	case errors.As(err, &missing):
		def, err := sq.GetAWSDefaultServiceQuota(ctx, &servicequotas.GetAWSDefaultServiceQuotaInput{ServiceCode: aws.String("fargate"), QuotaCode: &code})
		if err != nil {
			return fmt.Errorf("%s (%s), AWS default: %w", name, code, err)
		}
		quota, name = def.Quota, name+", AWS default"
	case err != nil:
		return fmt.Errorf("%s (%s): %w", name, code, err)
	default:
		quota = applied.Quota
	}
	if quota == nil || quota.Value == nil || *quota.Value <= 0 {
		return fmt.Errorf("%s (%s): no value in the answer", name, code)
	}
	q.FargateVCPU, q.FargateSource = *quota.Value, fmt.Sprintf("%s, %s", name, code)
	return nil
}
