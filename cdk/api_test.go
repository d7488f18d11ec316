package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestAPI(t *testing.T) {
	s := stacks()["defaults"]
	methods := s.resources("AWS::ApiGateway::Method")
	validator := s.logicalID(t, "AWS::ApiGateway::RequestValidator", "RestApiValidator")
	var got []string
	for _, m := range methods {
		got = append(got, m["HttpMethod"].(string))
		if m["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("%s method authorizes with %v, want AWS_IAM", m["HttpMethod"], m["AuthorizationType"])
		}
		// API Gateway refuses a POST body that is not a JSON object and a
		// request to /runs/{id}… without the id before the function runs.
		want := `{"method.request.path.id":true}`
		if m["HttpMethod"] == "POST" {
			want = "null"
			if b, _ := json.Marshal(m["RequestModels"]); !strings.HasPrefix(string(b), `{"application/json":{"Ref":"RestApiRunRequest`) {
				t.Errorf("POST /runs validates the body with %s", b)
			}
		}
		if b, _ := json.Marshal(m["RequestParameters"]); string(b) != want {
			t.Errorf("%s requires parameters %s, want %s", m["HttpMethod"], b, want)
		}
		if v, _ := m["RequestValidatorId"].(map[string]any); v["Ref"] != validator {
			t.Errorf("%s is not validated: %v", m["HttpMethod"], m["RequestValidatorId"])
		}
	}
	slices.Sort(got)
	if fmt.Sprint(got) != "[DELETE GET GET POST]" {
		t.Errorf("methods %v, want POST /runs, GET and DELETE /runs/{id}, GET /runs/{id}/report", got)
	}
	has(t, s, "AWS::ApiGateway::RequestValidator", map[string]any{"ValidateRequestBody": true, "ValidateRequestParameters": true})
	has(t, s, "AWS::ApiGateway::Model", map[string]any{"ContentType": "application/json",
		"Schema": map[string]any{"type": "object"}})
}

// TestAccessLogs: every request to the API leaves a JSON line naming who
// called, from where, what, and how it ended, in a log group of the stack.
func TestAccessLogs(t *testing.T) {
	for name, s := range stacks() {
		stage := s.resource(t, "AWS::ApiGateway::Stage", "RestApiDeploymentStage")["Properties"].(map[string]any)
		logs, _ := stage["AccessLogSetting"].(map[string]any)
		if b, _ := json.Marshal(logs["DestinationArn"]); string(b) != `{"Fn::GetAtt":["`+s.logicalID(t, "AWS::Logs::LogGroup", "ApiAccessLogs")+`","Arn"]}` {
			t.Errorf("%s: access logs go to %s, want the stack's ApiAccessLogs", name, b)
		}
		var format map[string]string
		if err := json.Unmarshal([]byte(fmt.Sprint(logs["Format"])), &format); err != nil {
			t.Fatalf("%s: access log format %v is not JSON: %v", name, logs["Format"], err)
		}
		for k, v := range map[string]string{"requestId": "$context.requestId", "caller": "$context.identity.caller",
			"userArn": "$context.identity.userArn", "accountId": "$context.identity.accountId",
			"sourceIp": "$context.identity.sourceIp", "httpMethod": "$context.httpMethod",
			"resourcePath": "$context.resourcePath", "status": "$context.status",
			"responseLength": "$context.responseLength", "requestTime": "$context.requestTime"} {
			if format[k] != v {
				t.Errorf("%s: access log field %s = %q, want %q", name, k, format[k], v)
			}
		}
	}
}

// TestExecutionLogs: API Gateway logs why a request failed (never bodies)
// to a log group the stack creates before the stage, so that it expires
// and goes with the stack.
func TestExecutionLogs(t *testing.T) {
	s := stacks()["defaults"]
	stage := s.resource(t, "AWS::ApiGateway::Stage", "RestApiDeploymentStage")
	settings, _ := json.Marshal(stage["Properties"].(map[string]any)["MethodSettings"])
	if !strings.Contains(string(settings), `"DataTraceEnabled":false,"HttpMethod":"*","LoggingLevel":"ERROR","ResourcePath":"/*"`) {
		t.Errorf("stage method settings %s, want ERROR execution logs without data trace", settings)
	}
	logs := s.logicalID(t, "AWS::Logs::LogGroup", "ApiExecutionLogs")
	has(t, s, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": float64(30), "LogGroupName": map[string]any{
		"Fn::Join": []any{"", []any{"API-Gateway-Execution-Logs_", map[string]any{"Ref": s.logicalID(t, "AWS::ApiGateway::RestApi", "RestApi")}, "/v1"}}}})
	if deps, _ := json.Marshal(stage["DependsOn"]); !strings.Contains(string(deps), `"`+logs+`"`) {
		t.Errorf("the stage does not wait for its execution log group: DependsOn %s", deps)
	}
	if r := s.resource(t, "AWS::Logs::LogGroup", logs); r["DeletionPolicy"] != "Delete" {
		t.Errorf("the execution log group is kept on cdk destroy: %v", r["DeletionPolicy"])
	}
}

// TestAPICloudWatchRole: API Gateway writes logs with the account's role.
// By default the stack creates it, sets it on the account before the stage
// exists, and keeps both on cdk destroy (the account's setting outlives the
// stack); apiCloudWatchRole=false (the custom stack) leaves the account's
// own setting alone.
func TestAPICloudWatchRole(t *testing.T) {
	s := stacks()["defaults"]
	account := s.resource(t, "AWS::ApiGateway::Account", "RestApiAccount")
	role := s.logicalID(t, "AWS::IAM::Role", "RestApiCloudWatchRole")
	if b, _ := json.Marshal(account["Properties"]); string(b) != `{"CloudWatchRoleArn":{"Fn::GetAtt":["`+role+`","Arn"]}}` {
		t.Errorf("the account's API Gateway logging role is %s, want %s", b, role)
	}
	for id, r := range map[string]map[string]any{"account setting": account, "role": s.resource(t, "AWS::IAM::Role", role)} {
		if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("the %s is not retained: %v, %v", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
	stage := s.resource(t, "AWS::ApiGateway::Stage", "RestApiDeploymentStage")
	if deps, _ := json.Marshal(stage["DependsOn"]); !strings.Contains(string(deps), `"RestApiAccount`) {
		t.Errorf("the stage (with access logs) does not wait for the account's logging role: DependsOn %s", deps)
	}
	custom := stacks()["custom"]
	if n := len(custom.resources("AWS::ApiGateway::Account")); n != 0 {
		t.Error("apiCloudWatchRole=false: the stack still changes the account's API Gateway logging role")
	}
	for id := range custom.resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, "RestApiCloudWatchRole") {
			t.Errorf("apiCloudWatchRole=false: the stack still creates %s", id)
		}
	}
}
