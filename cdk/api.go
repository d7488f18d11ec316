package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// AccessLogFields are the fields of each line of the API's access log, one
// JSON object per request: who called (the IAM identity that signed the
// request), from where, what, and how it ended.
var AccessLogFields = map[string]string{
	"requestId":      "$context.requestId",
	"requestTime":    "$context.requestTime",
	"caller":         "$context.identity.caller",
	"userArn":        "$context.identity.userArn",
	"accountId":      "$context.identity.accountId",
	"sourceIp":       "$context.identity.sourceIp",
	"httpMethod":     "$context.httpMethod",
	"resourcePath":   "$context.resourcePath",
	"status":         "$context.status",
	"responseLength": "$context.responseLength",
}

// apiStage is the API's only stage.
const apiStage = "v1"

// api defines the REST API and its function, which validates, plans and
// stores a run and hands it to the scheduler function to dispatch.
func (b *builder) api() {
	b.apiFn = b.function("Api", "api", 29, 1024, b.runEnv())
	suppress(b.apiFn, "Serverless-LambdaDLQ", "API Gateway invokes the api function synchronously and "+
		"answers the caller with its error: there is no asynchronous event to keep")
	role := b.apiFn.Role()
	b.grantS3(role, "ReadWriteRuns", []string{"s3:GetObject", "s3:PutObject"}, "runs/*")
	b.grantList(role, "runs/*")
	// The scheduler function dispatches a new run; the reducer takes a run
	// whose status is read after its deadline with no report.
	role.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, b.dispArn, b.reducer.FunctionArn()))
	// Aborting a run deletes its later windows' and deadline's schedules.
	b.add(role, allow([]string{"scheduler:GetSchedule", "scheduler:DeleteSchedule"}, b.schedulesArn()), schedulesWhy)
	// A run is refused before anything starts when the account's quotas
	// cannot hold it or its scenario's secrets cannot be read.
	b.grantPreflight(role)
	b.grantSecrets(role)

	format, _ := json.Marshal(AccessLogFields)
	logs := awslogs.NewLogGroup(b.st, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	props := &awsapigateway.RestApiProps{
		Description: jsii.String("barrage runs: POST /runs, GET /runs/{id}, GET /runs/{id}/report, DELETE /runs/{id}"),
		// API Gateway writes logs with the account's role (one per account
		// and region): the stack creates it unless told the account has one
		// (APICloudWatchRole).
		CloudWatchRole:       b.p.APICloudWatchRole,
		EndpointTypes:        &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		DefaultMethodOptions: &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_IAM},
		DeployOptions: &awsapigateway.StageOptions{StageName: jsii.String(apiStage),
			ThrottlingRateLimit: jsii.Number(20), ThrottlingBurstLimit: jsii.Number(40),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(logs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(string(format))),
			// Execution logs of failed requests only (why the integration
			// failed: a throttled or broken function), never bodies.
			LoggingLevel: awsapigateway.MethodLoggingLevel_ERROR, DataTraceEnabled: jsii.Bool(false)},
	}
	if *b.p.APICloudWatchRole {
		// Kept on cdk destroy with the account's setting that names it:
		// deleting it would silently stop every API's logs in the region.
		props.CloudWatchRoleRemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	b.rest = awsapigateway.NewRestApi(b.st, jsii.String("RestApi"), props)
	// API Gateway writes execution logs to a group of this name, which it
	// would create itself, never expiring, and leave after cdk destroy: the
	// stack creates it first, with the stack's retention.
	execLogs := awslogs.NewLogGroup(b.st, jsii.String("ApiExecutionLogs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String("API-Gateway-Execution-Logs_" + *b.rest.RestApiId() + "/" + apiStage),
		Retention:    b.p.LogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	b.rest.DeploymentStage().Node().AddDependency(execLogs)
	// API Gateway refuses a body that is not a JSON object and a request
	// without its path's id before the function runs (the function checks
	// the rest).
	validator := b.rest.AddRequestValidator(jsii.String("Validator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestBody: jsii.Bool(true), ValidateRequestParameters: jsii.Bool(true)})
	object := b.rest.AddModel(jsii.String("RunRequest"), &awsapigateway.ModelOptions{ContentType: jsii.String("application/json"),
		Schema: &awsapigateway.JsonSchema{Schema: awsapigateway.JsonSchemaVersion_DRAFT4, Type: awsapigateway.JsonSchemaType_OBJECT}})
	withID := &awsapigateway.MethodOptions{RequestValidator: validator,
		RequestParameters: &map[string]*bool{"method.request.path.id": jsii.Bool(true)}}
	in := awsapigateway.NewLambdaIntegration(b.apiFn, nil)
	runs := b.rest.Root().AddResource(jsii.String("runs"), nil)
	runs.AddMethod(jsii.String("POST"), in, &awsapigateway.MethodOptions{RequestValidator: validator,
		RequestModels: &map[string]awsapigateway.IModel{"application/json": object}})
	run := runs.AddResource(jsii.String("{id}"), nil)
	run.AddMethod(jsii.String("GET"), in, withID)
	run.AddMethod(jsii.String("DELETE"), in, withID)
	run.AddResource(jsii.String("report"), nil).AddMethod(jsii.String("GET"), in, withID)
}
