package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/pkg/stack"
)

// TestLeastPrivilege checks every statement of every policy: no wildcard
// actions, and only the orchestrator starts work.
func TestLeastPrivilege(t *testing.T) {
	s := stacks()["defaults"]
	for _, st := range s.statements() {
		for _, a := range st.actions {
			if strings.Contains(a, "*") {
				t.Errorf("%s allows wildcard action %s", st.policy, a)
			}
		}
	}
	disp, api, worker := s.roleOf(t, "Scheduler"), s.roleOf(t, "Api"), s.roleOf(t, "Worker")
	for _, action := range []string{"ecs:DescribeTasks", "ecs:StopTask", "scheduler:CreateSchedule"} {
		if got := s.who(action); !slices.Equal(got, []string{disp}) {
			t.Errorf("%s is allowed to %v, want only the scheduler function's role %s", action, got, disp)
		}
	}
	// The reducer function starts a task too: the one that reduces a run
	// too large for it, of the same task definition, in the same cluster.
	reducer := s.roleOf(t, "Reducer")
	for _, action := range []string{"ecs:RunTask", "iam:PassRole"} {
		if got := s.who(action); !slices.Equal(got, sorted(disp, reducer)) {
			t.Errorf("%s is allowed to %v, want the scheduler function's and the reducer's roles %v", action, got, sorted(disp, reducer))
		}
	}
	for _, st := range s.statements() {
		if slices.Contains(st.actions, "ecs:RunTask") && (!strings.Contains(st.resources, `"Task`) || st.condition["ArnEquals"] == nil) {
			t.Errorf("%v may run %s (conditions %v), want the task definition in the stack's cluster", st.roles, st.resources, st.condition)
		}
	}
	// Only the scheduler function sends shards; the DLQ takes the worker's,
	// the scheduler function's and the reducer's failed invocations and the
	// stored-spec schedules' failed firings.
	if got := s.whoOn("sqs:SendMessage", `"LambdaShards`); !slices.Equal(got, []string{disp}) {
		t.Errorf("%v may send to the Lambda shard queue, want only %s", got, disp)
	}
	if got := s.whoOn("sqs:SendMessage", `"FargateShards`); !slices.Equal(got, []string{disp}) {
		t.Errorf("%v may send to the Fargate shard queue, want only %s", got, disp)
	}
	if got, want := s.whoOn("sqs:SendMessage", `"ShardDLQ`), sorted(worker, disp, s.roleOf(t, "Reducer"), s.schedulerRole(t)); !slices.Equal(got, want) {
		t.Errorf("%v may send to the DLQ, want %v", got, want)
	}
	// Tasks of this cluster only are described and stopped.
	for _, st := range s.statements() {
		if slices.Contains(st.actions, "ecs:StopTask") && !regexp.MustCompile(`":task/",\{"Ref":"Cluster[0-9A-F]+"\},"/\*"`).MatchString(st.resources) {
			t.Errorf("ecs:StopTask on %s, want the cluster's tasks", st.resources)
		}
	}
	// The schedules of the group, and those only, are read and deleted by
	// the api (abort) and the scheduler function.
	for _, action := range []string{"scheduler:GetSchedule", "scheduler:DeleteSchedule"} {
		if got := s.whoOn(action, ":schedule/Barrage-runs/*"); !slices.Equal(got, sorted(api, disp)) || !slices.Equal(s.who(action), got) {
			t.Errorf("%s: %v (on any schedule: %v), want %v on the group's schedules", action, got, s.who(action), sorted(api, disp))
		}
	}
	// Only the scheduler function may invoke the worker.
	for _, st := range s.statements() {
		if slices.Contains(st.actions, "lambda:InvokeFunction") && strings.Contains(st.resources, `"Worker`) &&
			!slices.Equal(st.roles, []string{disp}) {
			t.Errorf("%v may invoke the worker", st.roles)
		}
	}
	// Workers get their prefix and their queue, and send nothing but the
	// Lambda worker's failed invocations to the DLQ.
	for name, role := range map[string]string{"worker": worker, "task": s.taskRole(t)} {
		var writes []string
		for _, st := range s.statements() {
			if !slices.Contains(st.roles, role) {
				continue
			}
			for _, a := range st.actions {
				dlq := a == "sqs:SendMessage" && name == "worker" && st.resources == `{"Fn::GetAtt":["`+s.dlq(t)+`","Arn"]}`
				if strings.HasPrefix(a, "sqs:Send") && !dlq || strings.HasPrefix(a, "lambda:") || strings.HasPrefix(a, "ecs:") {
					t.Errorf("%s may %s on %s", name, a, st.resources)
				}
			}
			if slices.Contains(st.actions, "s3:PutObject") {
				writes = append(writes, st.resources)
			}
			if slices.Contains(st.actions, "s3:ListBucket") && st.condition == nil {
				t.Errorf("%s may list the whole bucket", name)
			}
		}
		// The task also reduces a run too large for the reducer function.
		want := []string{`"/runs/*/shards/*"`}
		if name == "task" {
			want = append(want, `"/runs/*/report.*"`)
		}
		ok := len(writes) == len(want)
		for i := range writes {
			ok = ok && strings.Contains(writes[i], want[i])
		}
		if !ok {
			t.Errorf("%s writes %v, want only %v", name, writes, want)
		}
	}
	// The API hands new runs to the scheduler function and late ones to the
	// reducer rather than starting work.
	for _, st := range s.statements() {
		if slices.Contains(st.roles, api) && slices.Contains(st.actions, "lambda:InvokeFunction") &&
			st.resources != `[{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":lambda:",{"Ref":"AWS::Region"},":",`+
				`{"Ref":"AWS::AccountId"},":function:Barrage-scheduler"]]},{"Fn::GetAtt":["`+s.logicalID(t, "AWS::Lambda::Function", "Reducer")+`","Arn"]}]` {
			t.Errorf("api may invoke %s, want the scheduler function and the reducer", st.resources)
		}
	}
	if got := s.whoOn("lambda:InvokeFunction", `"Reducer`); !slices.Equal(got, sorted(api, disp, s.schedulerRole(t))) {
		t.Errorf("%v may invoke the reducer, want the api, the scheduler function and the scheduler role", got)
	}
}

// TestStarResources: a statement on every resource ("*") is there only for
// an action that IAM does not scope to a resource, or with conditions that
// narrow it.
func TestStarResources(t *testing.T) {
	s := stacks()["defaults"]
	why := map[string]string{
		"lambda:GetAccountSettings":               "account-level: no resource type",
		"servicequotas:GetAWSDefaultServiceQuota": "no resource type",
		"ecr:GetAuthorizationToken":               "the task's image pull (CDK's): no resource type",
		"kms:Decrypt":                             "keys of the secrets, unknown to the stack: narrowed by conditions",
	}
	for _, st := range s.statements() {
		if st.resources != `"*"` {
			continue
		}
		for _, a := range st.actions {
			if why[a] == "" {
				t.Errorf("%s allows %s on every resource", st.policy, a)
			}
		}
		if slices.Contains(st.actions, "kms:Decrypt") {
			c, _ := json.Marshal(st.condition)
			if !regexp.MustCompile(`"StringEquals":\{"kms:ViaService":.*"(ssm|secretsmanager)\."`).Match(c) ||
				!regexp.MustCompile(`"StringLike":\{"kms:EncryptionContext:(PARAMETER_ARN|SecretARN)":.*(:parameter/|:secret:)barrage/\*"`).Match(c) {
				t.Errorf("kms:Decrypt on * with conditions %s, want kms:ViaService and the secret's ARN under the prefix", c)
			}
		}
	}
}

// TestPreflight: the api and the scheduler function (which submits stored
// specs) read the quotas a run must fit in, and nothing more.
func TestPreflight(t *testing.T) {
	s := stacks()["defaults"]
	want := sorted(s.roleOf(t, "Api"), s.roleOf(t, "Scheduler"))
	worker := `{"Fn::GetAtt":["` + s.logicalID(t, "AWS::Lambda::Function", "Worker") + `","Arn"]}`
	quota := func(code string) string {
		return `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":servicequotas:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":fargate/` + code + `"]]}`
	}
	for action, resources := range map[string]string{
		"lambda:GetAccountSettings":     `"*"`,
		"lambda:GetFunctionConcurrency": worker,
		// Fargate On-Demand and Spot vCPUs.
		"servicequotas:GetServiceQuota": "[" + quota("L-3032A538") + "," + quota("L-36FBB829") + "]",
		// The fallback where the account has no applied value.
		"servicequotas:GetAWSDefaultServiceQuota": `"*"`,
	} {
		if got := s.who(action); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", action, got, want)
		}
		for _, st := range s.statements() {
			if slices.Contains(st.actions, action) && (st.resources != resources || len(st.actions) != 1) {
				t.Errorf("%v on %s, want %s on %s", st.actions, st.resources, action, resources)
			}
		}
	}
}

// TestSecrets: the workers, which resolve scenarios' secrets, and the api
// and scheduler functions, which check before a run that they can be read,
// read them under the secrets prefix only, and decrypt them only through
// SSM or Secrets Manager, for those same names.
func TestSecrets(t *testing.T) {
	s := stacks()["defaults"]
	want := sorted(s.roleOf(t, "Worker"), s.taskRole(t), s.roleOf(t, "Api"), s.roleOf(t, "Scheduler"))
	for _, action := range []string{"ssm:GetParameter", "ssm:GetParameters", "secretsmanager:GetSecretValue", "kms:Decrypt"} {
		if got := s.who(action); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", action, got, want)
		}
	}
	decrypts := map[string]int{}
	for _, st := range s.statements() {
		switch {
		case slices.Contains(st.actions, "ssm:GetParameter") && !strings.HasSuffix(st.resources, `:parameter/barrage/*"]]}`),
			slices.Contains(st.actions, "secretsmanager:GetSecretValue") && !strings.HasSuffix(st.resources, `:secret:barrage/*"]]}`):
			t.Errorf("%v on %s: not under the prefix", st.actions, st.resources)
		case slices.Contains(st.actions, "kms:Decrypt"):
			b, _ := json.Marshal(st.condition)
			c := string(b)
			for service, arn := range map[string]string{"ssm": `PARAMETER_ARN":{.*:parameter/barrage/\*"`, "secretsmanager": `SecretARN":{.*:secret:barrage/\*"`} {
				if strings.Contains(c, `"kms:ViaService":{"Fn::Join":["",["`+service+`.",{"Ref":"AWS::Region"}`) {
					decrypts[service]++
					if !regexp.MustCompile(`"StringLike":{"kms:EncryptionContext:` + arn).MatchString(c) {
						t.Errorf("kms:Decrypt via %s for any name: %s", service, c)
					}
				}
			}
		}
	}
	// Each reader, once via each service.
	if decrypts["ssm"] != len(want) || decrypts["secretsmanager"] != len(want) {
		t.Errorf("kms:Decrypt statements via each service %v, want %d each", decrypts, len(want))
	}
}

// TestFunctionRoles: each function's role is its own, with no managed
// policy (AWSLambdaBasicExecutionRole may write to every log group), and
// writes logs to its function's log group only.
func TestFunctionRoles(t *testing.T) {
	s := stacks()["defaults"]
	for _, fn := range []string{"Worker", "Reducer", "Api", "Scheduler"} {
		role := s.roleOf(t, fn)
		if r := s.resource(t, "AWS::IAM::Role", role)["Properties"].(map[string]any); r["ManagedPolicyArns"] != nil {
			t.Errorf("%s's role has managed policies %v", fn, r["ManagedPolicyArns"])
		}
		logs := s.logicalID(t, "AWS::Logs::LogGroup", fn+"Logs")
		for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			var on []string
			for _, st := range s.statements() {
				if slices.Contains(st.roles, role) && slices.Contains(st.actions, action) {
					on = append(on, st.resources)
				}
			}
			if want := `{"Fn::GetAtt":["` + logs + `","Arn"]}`; !slices.Equal(on, []string{want}) {
				t.Errorf("%s may %s on %v, want its log group %s only", fn, action, on, want)
			}
		}
	}
}

// TestReducerTask: the reducer function can start the reducer task, a run
// of the worker's task definition in the stack's cluster: it has the
// variables lambdas.FromEnv builds the tasks from, may pass the task's
// roles and record the task (runs/*/reducer-task.json), and the task may
// write the report.
func TestReducerTask(t *testing.T) {
	s := stacks()["defaults"]
	env := s.env(t, "Reducer")
	for _, k := range []string{stack.EnvBucket, stack.EnvCluster, stack.EnvTaskDefinition, stack.EnvTaskContainer, stack.EnvSubnets, stack.EnvSecurityGroup} {
		if env[k] == nil {
			t.Errorf("reducer function lacks %s", k)
		}
	}
	if env[stack.EnvTaskContainer] != stack.TaskContainerName {
		t.Errorf("reducer function: %s = %v, want %s", stack.EnvTaskContainer, env[stack.EnvTaskContainer], stack.TaskContainerName)
	}
	reducer := s.roleOf(t, "Reducer")
	if got := s.whoOn("s3:PutObject", "/runs/*/reducer-task.json"); !slices.Equal(got, []string{reducer}) {
		t.Errorf("%v may write the reducer task's record, want the reducer's role %s", got, reducer)
	}
	if got := s.whoOn("iam:PassRole", `"`+s.taskRole(t)); !slices.Contains(got, reducer) {
		t.Errorf("%v may pass the task's role, want the reducer's among them", got)
	}
	if got := s.whoOn("s3:PutObject", "/runs/*/report.*"); !slices.Contains(got, s.taskRole(t)) || !slices.Contains(got, reducer) {
		t.Errorf("%v may write reports, want the reducer function's and the task's roles", got)
	}
}
