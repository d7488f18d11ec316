package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// fakeAccount answers the calls barrage plan --backend aws makes to read
// the quotas: CloudFormation's DescribeStacks (query protocol, XML),
// Lambda's account settings and function concurrency (REST-JSON), Service
// Quotas' GetServiceQuota (JSON 1.1). denied answers every call with
// AccessDenied.
type fakeAccount struct {
	denied bool
	calls  atomic.Int64
}

func (a *fakeAccount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if a.denied {
		if strings.Contains(string(body), "Action=DescribeStacks") {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied</Message></Error></ErrorResponse>`)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"__type": "AccessDeniedException", "message": "denied"}`)
		return
	}
	switch {
	case strings.Contains(string(body), "Action=DescribeStacks"):
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>Barrage</StackName><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>
<member><OutputKey>WorkerFunctionName</OutputKey><OutputValue>barrage-worker</OutputValue></member>
</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`)
	case r.URL.Path == "/2016-08-19/account-settings":
		io.WriteString(w, `{"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 950}}`)
	case r.URL.Path == "/2019-09-30/functions/barrage-worker/concurrency":
		io.WriteString(w, `{"ReservedConcurrentExecutions": 16}`)
	case target == "ServiceQuotasV20190624.GetServiceQuota":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Quota": {"ServiceCode": "fargate", "QuotaCode": "L-3032A538", "Value": 40}}`)
	default:
		http.NotFound(w, r)
	}
}

// awsEnv points the default AWS configuration at endpoint, with static
// credentials (or none) and nothing read from the home directory.
func awsEnv(t *testing.T, endpoint string, creds bool) {
	key, secret := "", ""
	if creds {
		key, secret = "AKIDTEST", "secret"
	}
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": key,
		"AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "BARRAGE_STACK": ""} {
		t.Setenv(k, v)
	}
}

// TestPlanQuotas runs barrage plan --backend aws in-process: the quota
// flags work offline, the account is read without them, a plan above the
// quotas is refused with one line (exit 2), and one that cannot be checked
// says so and how to give the quotas.
func TestPlanQuotas(t *testing.T) {
	keepalive200 := []string{"plan", "--backend", "aws", "--target", "http://x/", "--rate", "200", "--duration", "5m"}
	newConn := func(rate string) []string {
		return []string{"plan", "--backend", "aws", "--target", "http://x/", "--rate", rate, "--keepalive=false", "--duration", "10m"}
	}
	with := func(args []string, more ...string) []string { return append(append([]string{}, args...), more...) }
	tests := []struct {
		name    string
		args    []string
		account *fakeAccount // nil: no AWS call allowed
		creds   bool
		code    int
		stdout  []string // parts of the output
		stderr  string   // a part of the one line on stderr
	}{
		// Both quotas given: nothing read, and it fits.
		{name: "flags fit", args: with(keepalive200, "--lambda-concurrency", "10", "--fargate-vcpu", "6"),
			stdout: []string{"lambda concurrency 10 (--lambda-concurrency): the plan needs 1 concurrent worker Lambda (1 shard): fits"}},
		// 3,000 new connections/s plan 13 workers; 10 busier ones fit.
		{name: "flags fitted", args: with(newConn("3000"), "--lambda-concurrency", "10", "--fargate-vcpu", "6"),
			stdout: []string{"10 × lambda", "13 shards would exceed it; 10 lambda workers at 300/s each fit", "warning: 10 lambda workers instead of 13"}},
		// 5,000 new connections/s fit neither 10 Lambdas nor 6 Fargate vCPU.
		{name: "flags refused", args: with(newConn("5000"), "--lambda-concurrency", "10", "--fargate-vcpu", "6"), code: exitBadInput,
			stderr: `barrage: lambda concurrency: the plan needs 14 concurrent worker Lambdas (14 shards, the fewest the ports allow at 376 new connections/s each) and the worker may use 10 (--lambda-concurrency); raise "Concurrent executions" (L-B99A9384)`},
		// Lambda asked for: refused, pointing at Fargate.
		{name: "lambda forced", args: with(newConn("5000"), "--kind", "lambda", "--lambda-concurrency", "10", "--fargate-vcpu", "6"), code: exitBadInput,
			stderr: "or run on Fargate (--kind fargate)"},
		// Fargate moved to when Lambda does not fit.
		{name: "to fargate", args: with(newConn("5000"), "--lambda-concurrency", "10", "--fargate-vcpu", "32"),
			stdout: []string{"22 × fargate", "Fargate tasks instead", "fargate vcpu 32 (--fargate-vcpu): the plan needs 22 vCPU (22 tasks × 1 vCPU): fits"}},
		// A quota cannot be negative.
		{name: "negative", args: with(keepalive200, "--lambda-concurrency", "-1", "--fargate-vcpu", "6"), code: exitBadInput,
			stderr: "quotas must not be negative"},
		// Without flags the account is read: the worker's reserved
		// concurrency (its name from the stack's outputs), the Fargate quota.
		{name: "account read", args: with(newConn("5000")), account: &fakeAccount{}, creds: true,
			stdout: []string{"lambda concurrency 16 (reserved concurrency of barrage-worker): 22 shards would exceed it; 16 lambda workers"}},
		{name: "account read, fargate", args: with(newConn("5000"), "--kind", "fargate"), account: &fakeAccount{}, creds: true,
			stdout: []string{"fargate vcpu 40 (Fargate On-Demand vCPU quota, L-3032A538): the plan needs 22 vCPU"}},
		// A flag overrides what the account says.
		{name: "flag overrides", args: with(newConn("5000"), "--lambda-concurrency", "30"), account: &fakeAccount{}, creds: true,
			stdout: []string{"lambda concurrency 30 (--lambda-concurrency): the plan needs 22 concurrent worker Lambdas (22 shards): fits"}},
		// The account denies every read: planned without quotas, one line
		// says so and how to give them.
		{name: "account denied", args: keepalive200, account: &fakeAccount{denied: true}, creds: true,
			stdout: []string{"quotas not checked: the Lambda concurrency the worker may use is unknown",
				"warning: quotas not checked: Lambda concurrency not read: account settings: AccessDeniedException: denied; give it with --lambda-concurrency N"}},
		// No credentials: the same, offline.
		{name: "no credentials", args: keepalive200, account: &fakeAccount{},
			stdout: []string{"warning: quotas not checked: Lambda concurrency not read: no AWS credentials; give it with --lambda-concurrency N"}},
		// The Lambda figure given, the Fargate one unknown: the plan that
		// went to Fargate says which quota it could not check.
		{name: "fargate unknown", args: with(newConn("5000"), "--lambda-concurrency", "10"), account: &fakeAccount{},
			stdout: []string{"22 × fargate", "warning: quotas not checked: Fargate vCPU quota not read: no AWS credentials; give it with --fargate-vcpu N"}},
		// plan.json carries the reasons and the warning.
		{name: "json", args: with(keepalive200, "--json"), account: &fakeAccount{},
			stdout: []string{`"quotas not checked: Lambda concurrency not read: no AWS credentials; give it with --lambda-concurrency N"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Handler = tt.account
			if tt.account == nil {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					t.Errorf("the quota flags were given, yet %s %s was called", r.Method, r.URL)
					http.NotFound(w, r)
				})
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			awsEnv(t, srv.URL, tt.creds)
			var stdout, stderr bytes.Buffer
			code := cli(tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			switch {
			case tt.stderr == "" && stderr.Len() > 0:
				t.Errorf("stderr = %q; want nothing", stderr.String())
			case tt.stderr != "" && (len(lines) != 1 || !strings.Contains(lines[0], tt.stderr)):
				t.Errorf("stderr = %q; want one line containing %q", stderr.String(), tt.stderr)
			}
			if tt.name == "json" {
				var p events.Plan
				if err := json.Unmarshal(stdout.Bytes(), &p); err != nil || len(p.Warnings) != 1 {
					t.Errorf("plan.json: %v, warnings %q; want one warning", err, p.Warnings)
				}
			}
		})
	}
}
