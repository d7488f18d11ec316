package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/barrage-load/barrage/pkg/stack"
)

// The stack is synthesized twice for all the tests (jsii makes each
// synthesis take seconds): once with defaults, once with every prop set.
type synthesized struct {
	stack  awscdk.Stack
	tmpl   assertions.Template
	json   map[string]any // the template
	outdir string
}

var stacks = sync.OnceValue(func() map[string]*synthesized {
	assets, _ := os.MkdirTemp("", "barrage-cdk-assets")
	for _, fn := range []string{"worker", "reducer", "api", "scheduler"} {
		os.MkdirAll(filepath.Join(assets, fn), 0o755)
		// Distinct contents: identical assets would be deduplicated.
		os.WriteFile(filepath.Join(assets, fn, "bootstrap"), []byte("stub "+fn), 0o755)
	}
	out := map[string]*synthesized{}
	for name, props := range map[string]*BarrageStackProps{
		"defaults": {AllowedTargets: []string{"idp.example.com"}, AssetsDir: assets},
		"custom": {AllowedTargets: []string{"*.example.com", "api.example.org"}, AssetsDir: assets,
			MaxRate: 2500, MaxDuration: 30 * time.Minute, WorkerMemoryMB: 3008, WorkerConcurrency: 200,
			RunRetentionDays: 7, FargateSpot: true, AvailabilityZones: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
			TaskCPU: 512, APICloudWatchRole: jsii.Bool(false),
			ScheduledRuns: []ScheduledRun{{Name: "nightly", Expression: "cron(0 3 * * ? *)", SpecKey: "specs/nightly.yaml"}}},
	} {
		dir, _ := os.MkdirTemp("", "barrage-cdk-out")
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: &dir})
		st := NewBarrageStack(app, "Barrage", props)
		// cdk-nag's checks run on every synthesis (TestNag reads them).
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false), LogIgnores: jsii.Bool(true)}), nil)
		app.Synth(nil)
		tmpl := assertions.Template_FromStack(st, nil)
		b, _ := json.Marshal(tmpl.ToJSON())
		var m map[string]any
		json.Unmarshal(b, &m)
		out[name] = &synthesized{stack: st, tmpl: tmpl, json: m, outdir: dir}
	}
	return out
})

// has asserts with the assertions library, turning its panic into a test error.
func has(t *testing.T, s *synthesized, typ string, props map[string]any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("no %s like %v:\n%v", typ, props, r)
		}
	}()
	s.tmpl.HasResourceProperties(&typ, assertions.Match_ObjectLike(&props))
}

// resource returns the template's resource of a type whose logical id
// starts with prefix, whole (Type, Properties, DeletionPolicy …).
func (s *synthesized) resource(t *testing.T, typ, prefix string) map[string]any {
	t.Helper()
	return s.json["Resources"].(map[string]any)[s.logicalID(t, typ, prefix)].(map[string]any)
}

// logicalID returns the logical id of the resource of a type whose logical
// id starts with prefix.
func (s *synthesized) logicalID(t *testing.T, typ, prefix string) string {
	t.Helper()
	for id, r := range s.json["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == typ && strings.HasPrefix(id, prefix) {
			return id
		}
	}
	t.Fatalf("no %s %s*", typ, prefix)
	return ""
}

func (s *synthesized) dlq(t *testing.T) string { return s.logicalID(t, "AWS::SQS::Queue", "ShardDLQ") }

// resources returns the template's resources of a type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			p, _ := r["Properties"].(map[string]any)
			out[id] = p
		}
	}
	return out
}

// statement is one IAM policy statement, with the logical id of its policy.
type statement struct {
	policy    string
	roles     []string
	actions   []string
	resources string // JSON of the Resource field
	condition map[string]any
}

func (s *synthesized) statements() []statement {
	var out []statement
	for id, p := range s.resources("AWS::IAM::Policy") {
		var roles []string
		for _, r := range p["Roles"].([]any) {
			roles = append(roles, r.(map[string]any)["Ref"].(string))
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
			res, _ := json.Marshal(st["Resource"])
			cond, _ := st["Condition"].(map[string]any)
			out = append(out, statement{id, roles, actions, string(res), cond})
		}
	}
	return out
}

// roleOf returns the logical id of the role of the function whose logical
// id starts with prefix.
func (s *synthesized) roleOf(t *testing.T, prefix string) string {
	t.Helper()
	p := s.resource(t, "AWS::Lambda::Function", prefix)["Properties"].(map[string]any)
	return p["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
}

// schedulerRole is the logical id of the role EventBridge Scheduler assumes.
func (s *synthesized) schedulerRole(t *testing.T) string {
	t.Helper()
	return s.logicalID(t, "AWS::IAM::Role", "SchedulerRole")
}

func (s *synthesized) taskRole(t *testing.T) string {
	t.Helper()
	for _, p := range s.resources("AWS::ECS::TaskDefinition") {
		return p["TaskRoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	}
	t.Fatal("no task definition")
	return ""
}

// who returns the roles allowed action (on any resource).
func (s *synthesized) who(action string) []string {
	return s.whoOn(action, "")
}

// whoOn returns the roles allowed action on a resource whose JSON contains
// resource.
func (s *synthesized) whoOn(action, resource string) []string {
	var roles []string
	for _, st := range s.statements() {
		if slices.Contains(st.actions, action) && strings.Contains(st.resources, resource) {
			roles = append(roles, st.roles...)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// sorted returns ids, sorted.
func sorted(ids ...string) []string {
	return slices.Sorted(slices.Values(ids))
}

func TestBucket(t *testing.T) {
	for name, s := range stacks() {
		t.Run(name, func(t *testing.T) {
			days := map[string]float64{"defaults": 30, "custom": 7}[name]
			has(t, s, "AWS::S3::Bucket", map[string]any{
				"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true,
					"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
				"LifecycleConfiguration": map[string]any{"Rules": []any{
					map[string]any{"Prefix": "runs/", "ExpirationInDays": days, "Status": "Enabled"}}},
			})
			// TLS only: deny every request not made over TLS.
			has(t, s, "AWS::S3::BucketPolicy", map[string]any{"PolicyDocument": map[string]any{"Statement": []any{
				map[string]any{"Effect": "Deny", "Action": "s3:*", "Principal": map[string]any{"AWS": "*"},
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}}}})
			// Results, and only results, wake the reducer.
			has(t, s, "Custom::S3BucketNotifications", map[string]any{"NotificationConfiguration": map[string]any{
				"LambdaFunctionConfigurations": []any{map[string]any{"Events": []any{"s3:ObjectCreated:*"},
					"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
						map[string]any{"Name": "suffix", "Value": "/result.json"},
						map[string]any{"Name": "prefix", "Value": "runs/"}}}}}}}})
		})
	}
}

func TestQueues(t *testing.T) {
	s := stacks()["defaults"]
	queues := s.resources("AWS::SQS::Queue")
	if len(queues) != 3 {
		t.Fatalf("%d queues, want 2 shard queues and a DLQ", len(queues))
	}
	var dlq string
	for id, q := range queues {
		if q["SqsManagedSseEnabled"] != true {
			t.Errorf("%s is not encrypted: %v", id, q)
		}
		if strings.HasPrefix(id, "ShardDLQ") {
			dlq = id
		}
	}
	for id, q := range queues {
		if id == dlq {
			continue
		}
		// A shard in flight must not become visible again while its worker
		// may still run it: AWS advises 6 × the function's timeout.
		if v, _ := q["VisibilityTimeout"].(float64); v < 6*stack.WorkerTimeoutSeconds {
			t.Errorf("%s: visibility %v s < 6 × %d s", id, q["VisibilityTimeout"], stack.WorkerTimeoutSeconds)
		}
		rp, _ := q["RedrivePolicy"].(map[string]any)
		target, _ := json.Marshal(rp["deadLetterTargetArn"])
		if rp["maxReceiveCount"] != float64(MaxReceiveCount) || !strings.Contains(string(target), dlq) {
			t.Errorf("%s: redrive %v, want %d receives then %s", id, rp, MaxReceiveCount, dlq)
		}
	}
	// Each queue refuses requests without TLS.
	tls := 0
	for _, p := range s.resources("AWS::SQS::QueuePolicy") {
		b, _ := json.Marshal(p)
		if strings.Contains(string(b), `"aws:SecureTransport":"false"`) && strings.Contains(string(b), `"Effect":"Deny"`) {
			tls++
		}
	}
	if tls != 3 {
		t.Errorf("%d queues deny non-TLS requests, want 3", tls)
	}
}

// TestQueueRetention: a shard message lives about twice the longest window
// of its queue's shards: the worker's timeout for Lambda, MaxDuration for
// Fargate; the DLQ keeps what it gets for SQS's longest, 14 days.
func TestQueueRetention(t *testing.T) {
	for name, s := range stacks() {
		want := map[string]float64{"LambdaShards": 2 * stack.WorkerTimeoutSeconds, "ShardDLQ": 14 * 24 * 3600,
			"FargateShards": map[string]float64{"defaults": 2 * 3600, "custom": 2 * 1800}[name]}
		for prefix, secs := range want {
			q := s.resource(t, "AWS::SQS::Queue", prefix)["Properties"].(map[string]any)
			if q["MessageRetentionPeriod"] != secs {
				t.Errorf("%s: %s keeps messages %v s, want %v s", name, prefix, q["MessageRetentionPeriod"], secs)
			}
		}
	}
}

func TestFunctions(t *testing.T) {
	for name, s := range stacks() {
		t.Run(name, func(t *testing.T) {
			fns := s.resources("AWS::Lambda::Function")
			ours := 0
			for id, f := range fns {
				if strings.HasPrefix(id, "BucketNotificationsHandler") {
					continue // CDK's own, inline
				}
				ours++
				if f["Runtime"] != "provided.al2023" || f["Handler"] != "bootstrap" || fmt.Sprint(f["Architectures"]) != "[arm64]" {
					t.Errorf("%s: runtime %v, handler %v, architectures %v; want provided.al2023, bootstrap, [arm64]",
						id, f["Runtime"], f["Handler"], f["Architectures"])
				}
				if f["VpcConfig"] != nil {
					t.Errorf("%s is in a VPC: workers need their own network interface", id)
				}
			}
			if ours != 4 {
				t.Errorf("%d functions, want worker, reducer, api and scheduler", ours)
			}
			worker := map[string]any{"Timeout": float64(stack.WorkerTimeoutSeconds), "MemorySize": float64(1769)}
			if name == "custom" {
				worker = map[string]any{"MemorySize": float64(3008), "ReservedConcurrentExecutions": float64(200)}
			} else {
				worker["ReservedConcurrentExecutions"] = assertions.Match_Absent()
			}
			worker["Environment"] = map[string]any{"Variables": map[string]any{
				stack.EnvBucket: assertions.Match_AnyValue(), stack.EnvLambdaQueueURL: assertions.Match_AnyValue(),
				stack.EnvAllowedTargets: s.env(t, "Api")[stack.EnvAllowedTargets]}}
			has(t, s, "AWS::Lambda::Function", worker)
			// The task guards what it dials with the same list; loopback is
			// never let through (that switch is for the local tests).
			has(t, s, "AWS::ECS::TaskDefinition", map[string]any{"ContainerDefinitions": []any{map[string]any{
				"Environment": assertions.Match_ArrayWith(&[]any{map[string]any{"Name": stack.EnvAllowedTargets,
					"Value": s.env(t, "Api")[stack.EnvAllowedTargets]}})}}})
			if b, _ := json.Marshal(s.resources("AWS::Lambda::Function")); strings.Contains(string(b), stack.EnvAllowLoopback) {
				t.Errorf("a function sets %s", stack.EnvAllowLoopback)
			}
		})
	}
}

// TestAsyncInvoke: how Lambda retries the worker's, the scheduler
// function's and the reducer's asynchronous invocations, how long their
// events may wait, and where those that fail for good go (the DLQ, which
// their roles may send to).
func TestAsyncInvoke(t *testing.T) {
	s := stacks()["defaults"]
	dlq := map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^ShardDLQ")), "Arn"}}
	for fn, want := range map[string][2]float64{
		// Not retried: the shard stays in the queue for another worker; an
		// event older than a minute finds its shards past their window.
		"Worker": {0, 60},
		// Retried twice (dispatch is idempotent), for ten minutes at most.
		"Scheduler": {2, 600},
		// Lambda's usual: twice, over six hours.
		"Reducer": {2, 6 * 3600},
	} {
		has(t, s, "AWS::Lambda::EventInvokeConfig", map[string]any{"Qualifier": "$LATEST",
			"FunctionName":         map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + fn + "[0-9A-F]{8}$"))},
			"MaximumRetryAttempts": want[0], "MaximumEventAgeInSeconds": want[1],
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": dlq}}})
	}
	if n := len(s.resources("AWS::Lambda::EventInvokeConfig")); n != 3 {
		t.Errorf("%d async invoke configs, want the worker's, the scheduler function's and the reducer's", n)
	}
}

// runEnv is what both the api and the scheduler function read to plan a
// run and check it against the account's quotas.
var runEnv = []string{stack.EnvBucket, stack.EnvDispatcher, stack.EnvReducerArn, stack.EnvWorkerFunction,
	stack.EnvScheduleGroup, stack.EnvSpot, stack.EnvTaskVCPU, stack.EnvAllowedTargets, stack.EnvMaxRate,
	stack.EnvMaxDuration, stack.EnvWorkerMemoryMB}

// env returns the environment of the function whose logical id starts with prefix.
func (s *synthesized) env(t *testing.T, prefix string) map[string]any {
	t.Helper()
	f := s.resource(t, "AWS::Lambda::Function", prefix)["Properties"].(map[string]any)
	return f["Environment"].(map[string]any)["Variables"].(map[string]any)
}

// TestOrchestratorEnv checks that the scheduler function gets every
// variable lambdas.FromEnv reads to dispatch, that the api function gets
// what it plans and checks a run with (and no queue: it starts nothing),
// and the props' values.
func TestOrchestratorEnv(t *testing.T) {
	s := stacks()["custom"]
	for fn, vars := range map[string][]string{
		"Scheduler": append(slices.Clone(runEnv), stack.EnvLambdaQueueURL, stack.EnvFargateQueueURL, stack.EnvSchedulerRole,
			stack.EnvCluster, stack.EnvTaskDefinition, stack.EnvTaskContainer, stack.EnvSubnets, stack.EnvSecurityGroup,
			stack.EnvDeadLetterQueue),
		"Api": runEnv,
	} {
		env := s.env(t, fn)
		for _, k := range vars {
			if env[k] == nil {
				t.Errorf("%s function lacks %s", fn, k)
			}
		}
		if len(env) != len(vars) {
			t.Errorf("%s function has %d variables, want %d: %v", fn, len(env), len(vars), slices.Sorted(maps.Keys(env)))
		}
		for k, want := range map[string]string{stack.EnvAllowedTargets: "*.example.com,api.example.org",
			stack.EnvMaxRate: "2500", stack.EnvMaxDuration: "30m0s", stack.EnvWorkerMemoryMB: "3008", stack.EnvSpot: "true",
			stack.EnvTaskVCPU: "0.5", stack.EnvScheduleGroup: "Barrage-runs"} {
			if env[k] != want {
				t.Errorf("%s function: %s = %v, want %q", fn, k, env[k], want)
			}
		}
	}
	if v := stacks()["defaults"].env(t, "Api")[stack.EnvTaskVCPU]; v != "1" {
		t.Errorf("defaults: %s = %v, want 1 (1024 CPU units)", stack.EnvTaskVCPU, v)
	}
	has(t, s, "AWS::Lambda::Function", map[string]any{"FunctionName": "Barrage-scheduler"})
}

func TestFargate(t *testing.T) {
	for name, s := range stacks() {
		t.Run(name, func(t *testing.T) {
			has(t, s, "AWS::ECS::TaskDefinition", map[string]any{
				"RequiresCompatibilities": []any{"FARGATE"},
				"RuntimePlatform":         map[string]any{"CpuArchitecture": "ARM64"},
				"ContainerDefinitions": []any{map[string]any{"Name": stack.TaskContainerName, "StopTimeout": float64(120),
					"Ulimits": []any{map[string]any{"Name": "nofile", "SoftLimit": float64(65536)}}}},
			})
			has(t, s, "AWS::ECS::ClusterCapacityProviderAssociations", map[string]any{
				"CapacityProviders": assertions.Match_ArrayWith(&[]any{"FARGATE", "FARGATE_SPOT"})})
			// No VPC lookup: the zones are fixed, or left to the deploy.
			subnets := s.resources("AWS::EC2::Subnet")
			var zones []string
			for _, sn := range subnets {
				b, _ := json.Marshal(sn["AvailabilityZone"])
				zones = append(zones, string(b))
			}
			slices.Sort(zones)
			want := `[{"Fn::Select":[0,{"Fn::GetAZs":""}]} {"Fn::Select":[1,{"Fn::GetAZs":""}]}]`
			if name == "custom" {
				want = `["eu-west-1a" "eu-west-1b" "eu-west-1c"]`
			}
			if fmt.Sprint(zones) != want {
				t.Errorf("subnet zones %v, want %s", zones, want)
			}
			if n := len(s.resources("AWS::EC2::NatGateway")); n != 0 {
				t.Errorf("%d NAT gateways: tasks get public IPs, NAT costs money idle", n)
			}
			manifest, err := os.ReadFile(filepath.Join(s.outdir, "manifest.json"))
			if err != nil || strings.Contains(string(manifest), `"missing"`) {
				t.Errorf("synthesis needs context it would look up in AWS: %s %v", manifest, err)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	for name, s := range stacks() {
		t.Run(name, func(t *testing.T) {
			has(t, s, "AWS::Scheduler::ScheduleGroup", map[string]any{"Name": "Barrage-runs"})
			has(t, s, "AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": map[string]any{"Statement": []any{
				map[string]any{"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}}}}}})
			n := len(s.resources("AWS::Scheduler::Schedule"))
			if name == "defaults" && n != 0 || name == "custom" && n != 1 {
				t.Errorf("%d schedules", n)
			}
			if name == "custom" {
				// A firing whose invocations all fail goes to the DLQ (the
				// scheduler role may send to it: TestLeastPrivilege).
				has(t, s, "AWS::Scheduler::Schedule", map[string]any{"Name": "nightly", "GroupName": "Barrage-runs",
					"ScheduleExpression": "cron(0 3 * * ? *)", "ScheduleExpressionTimezone": "UTC",
					"Target": map[string]any{"Input": assertions.Match_SerializedJson(map[string]any{"schedule": "nightly",
						"spec_key": "specs/nightly.yaml", "time": "<aws.scheduler.scheduled-time>", "kind": ""}),
						"RetryPolicy":      map[string]any{"MaximumRetryAttempts": float64(3)},
						"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{s.dlq(t), "Arn"}}}}})
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	outs, _ := stacks()["defaults"].json["Outputs"].(map[string]any)
	for _, k := range []string{stack.OutBucket, stack.OutLambdaQueueURL, stack.OutFargateQueueURL, stack.OutApiURL,
		stack.OutWorkerFunction, stack.OutReducerFunction, stack.OutApiFunction, stack.OutCluster,
		stack.OutTaskDefinition, stack.OutScheduleGroup, OutDLQURL} {
		if outs[k] == nil {
			t.Errorf("no output %s", k)
		}
	}
}
