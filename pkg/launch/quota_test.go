package launch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/barrage-load/barrage/pkg/plan"
)

// quotaAccount answers Lambda's REST-JSON and Service Quotas' JSON 1.1
// protocols as an account with these settings would.
type quotaAccount struct {
	limit, unreserved int
	reserved          *int   // the worker's reserved concurrency; nil: none
	reservedErr       string // error code of GetFunctionConcurrency
	settingsErr       string // error code of GetAccountSettings
	applied           map[string]float64
	quotasErr         string // error code of every Service Quotas call
	defaults          map[string]float64
	asked             []string // quota codes asked for
}

func (a *quotaAccount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/2016-08-19/account-settings":
		if a.settingsErr != "" {
			awsError(w, http.StatusForbidden, a.settingsErr)
			return
		}
		reply(map[string]any{"AccountLimit": map[string]any{"ConcurrentExecutions": a.limit,
			"UnreservedConcurrentExecutions": a.unreserved}, "AccountUsage": map[string]any{"FunctionCount": 4}})
	case r.Method == http.MethodGet && r.URL.Path == "/2019-09-30/functions/barrage-worker/concurrency":
		if a.reservedErr != "" {
			awsError(w, http.StatusForbidden, a.reservedErr)
			return
		}
		if a.reserved == nil {
			reply(map[string]any{})
			return
		}
		reply(map[string]any{"ReservedConcurrentExecutions": *a.reserved})
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("X-Amz-Target"), "ServiceQuotasV20190624."):
		var in struct{ ServiceCode, QuotaCode string }
		json.NewDecoder(r.Body).Decode(&in)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "ServiceQuotasV20190624.")
		a.asked = append(a.asked, op+" "+in.ServiceCode+" "+in.QuotaCode)
		table := a.applied
		if op == "GetAWSDefaultServiceQuota" {
			table = a.defaults
		}
		v, ok := table[in.QuotaCode]
		switch {
		case a.quotasErr != "":
			awsError(w, http.StatusBadRequest, a.quotasErr)
		case !ok:
			awsError(w, http.StatusBadRequest, "NoSuchResourceException")
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{"Quota": {"ServiceCode": "fargate", "QuotaCode": "`+in.QuotaCode+`", "Value": `+jsonNum(v)+`, "Unit": "None"}}`)
		}
	default:
		http.NotFound(w, r)
	}
}

func jsonNum(v float64) string { b, _ := json.Marshal(v); return string(b) }

func TestReadQuotas(t *testing.T) {
	fifty := 50
	zero := 0
	tests := []struct {
		name    string
		account quotaAccount
		spot    bool
		want    plan.Quotas
		missed  []string // parts of the QuotaReadError; none: no error
		asked   string   // a Service Quotas call made
	}{
		// An unreserved worker shares the account's unreserved pool; the
		// applied On-Demand quota is read.
		{name: "unreserved", account: quotaAccount{limit: 1000, unreserved: 900, applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 400}},
			want: plan.Quotas{LambdaConcurrency: 900, LambdaSource: "account unreserved concurrency; the account's limit is 1000",
				FargateVCPU: 400, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"},
			asked: "GetServiceQuota fargate L-3032A538"},
		// A worker with reserved concurrency may use that much.
		{name: "reserved", account: quotaAccount{limit: 1000, unreserved: 950, reserved: &fifty, applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want: plan.Quotas{LambdaConcurrency: 50, LambdaReserved: true, LambdaSource: "reserved concurrency of barrage-worker",
				FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"}},
		// A new account: 10 in all (the planner's refusal says what to ask for).
		{name: "new account", account: quotaAccount{limit: 10, unreserved: 10, applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want: plan.Quotas{LambdaConcurrency: 10, LambdaSource: "account unreserved concurrency; the account's limit is 10",
				FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"}},
		// No applied value: AWS's default.
		{name: "default quota", account: quotaAccount{limit: 1000, unreserved: 1000, defaults: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want: plan.Quotas{LambdaConcurrency: 1000, LambdaSource: "account unreserved concurrency; the account's limit is 1000",
				FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, AWS default, L-3032A538"},
			asked: "GetAWSDefaultServiceQuota fargate L-3032A538"},
		// Spot tasks read the Spot quota.
		{name: "spot", spot: true, account: quotaAccount{limit: 1000, unreserved: 1000, applied: map[string]float64{plan.QuotaCodeFargateSpot: 12.5}},
			want: plan.Quotas{LambdaConcurrency: 1000, LambdaSource: "account unreserved concurrency; the account's limit is 1000",
				FargateVCPU: 12.5, FargateSpot: true, FargateSource: "Fargate Spot vCPU quota, L-36FBB829"},
			asked: "GetServiceQuota fargate L-36FBB829"},
		// Service Quotas denied: Fargate unknown, Lambda still read.
		{name: "service quotas denied", account: quotaAccount{limit: 1000, unreserved: 900, quotasErr: "AccessDeniedException"},
			want:   plan.Quotas{LambdaConcurrency: 900, LambdaSource: "account unreserved concurrency; the account's limit is 1000"},
			missed: []string{"Fargate vCPU quota not read: Fargate On-Demand vCPU quota (L-3032A538):", "AccessDeniedException"}},
		// The worker's concurrency denied: the unreserved pool stands for it.
		{name: "function denied", account: quotaAccount{limit: 1000, unreserved: 900, reservedErr: "AccessDeniedException",
			applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want: plan.Quotas{LambdaConcurrency: 900, LambdaSource: "account unreserved concurrency; the account's limit is 1000",
				FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"},
			missed: []string{"the worker's reserved concurrency not read (planned against the account's unreserved): barrage-worker:"}},
		// Lambda denied altogether: Lambda unknown, Fargate read.
		{name: "lambda denied", account: quotaAccount{reservedErr: "AccessDeniedException", settingsErr: "AccessDeniedException",
			applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want:   plan.Quotas{FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"},
			missed: []string{"Lambda concurrency not read: account settings:"}},
		// A reserved concurrency of 0 runs nothing: unknown, and said so.
		{name: "reserved zero", account: quotaAccount{limit: 1000, unreserved: 1000, reserved: &zero, applied: map[string]float64{plan.QuotaCodeFargateOnDemand: 6}},
			want:   plan.Quotas{FargateVCPU: 6, FargateSource: "Fargate On-Demand vCPU quota, L-3032A538"},
			missed: []string{"reserved concurrency of 0: every invocation is throttled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&tt.account)
			defer srv.Close()
			lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
			sq := servicequotas.New(servicequotas.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
			got, err := ReadQuotas(context.Background(), lc, sq, "barrage-worker", tt.spot)
			if got != tt.want {
				t.Errorf("quotas\n%+v\nwant\n%+v", got, tt.want)
			}
			var qe *QuotaReadError
			switch {
			case len(tt.missed) == 0 && err != nil:
				t.Errorf("err = %v; want none", err)
			case len(tt.missed) > 0 && !errors.As(err, &qe):
				t.Errorf("err = %v; want a *QuotaReadError", err)
			}
			for _, m := range tt.missed {
				if !strings.Contains(err.Error(), m) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %q; want one line containing %q", err, m)
				}
			}
			if tt.asked != "" && !strings.Contains(strings.Join(tt.account.asked, "|"), tt.asked) {
				t.Errorf("Service Quotas was asked %q; want %q", tt.account.asked, tt.asked)
			}
		})
	}
}

// TestReadQuotasWithoutServiceQuotas: no client, no Fargate figure.
func TestReadQuotasWithoutServiceQuotas(t *testing.T) {
	srv := httptest.NewServer(&quotaAccount{limit: 1000, unreserved: 1000})
	defer srv.Close()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
	q, err := ReadQuotas(context.Background(), lc, nil, "", false)
	if q.LambdaConcurrency != 1000 || q.FargateVCPU != 0 || err == nil || !strings.Contains(err.Error(), "Fargate vCPU quota not read") {
		t.Errorf("quotas %+v, err %v; want Lambda read and Fargate named as not read", q, err)
	}
}
