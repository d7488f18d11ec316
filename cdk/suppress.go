package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The template is checked by cdk-nag's AwsSolutions pack (nag_test.go) and
// Serverless pack (nag-serverless.sh), and by cfn-lint (lint.sh). What they
// find is fixed in the stack, or accepted here (and where the statements
// are written, for IAM5), finding by finding, on the resource it is about,
// with the reason it does not apply to a load generator; the reasons land
// in the template's Metadata.

// suppress accepts cdk-nag's finding rule on c (and its children: a role's
// default policy), for reason; appliesTo narrows it to those findings'
// subjects (an IAM5 finding's "Resource::…").
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: &rule, Reason: &reason}
	if len(appliesTo) > 0 {
		a := make([]any, len(appliesTo))
		for i, v := range appliesTo {
			a[i] = v
		}
		s.AppliesTo = &a
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// add adds statement s to role's policy. For a resource of s with a
// wildcard ("runs/*", "*"), why is the reason cdk-nag's IAM5 finding for
// that resource, on that role only, is accepted (cdk-nag refuses a reason
// shorter than 10 characters).
func (b *builder) add(role awsiam.IRole, s awsiam.PolicyStatement, why string) {
	role.AddToPrincipalPolicy(s)
	for _, r := range *s.Resources() {
		if !strings.Contains(*r, "*") {
			continue
		}
		suppress(role, "AwsSolutions-IAM5", why, "Resource::"+nagForm(b.st.Resolve(r)))
	}
}

// nagForm writes a resolved CloudFormation value the way cdk-nag names a
// resource in a finding: Ref X as <X>, Fn::GetAtt X.Y as <X.Y>, Fn::Join
// joined.
func nagForm(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"]; ok {
			return fmt.Sprintf("<%v>", ref)
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("<%v.%v>", att[0], att[1])
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			parts, _ := join[1].([]any)
			s := make([]string, len(parts))
			for i, p := range parts {
				s[i] = nagForm(p)
			}
			return strings.Join(s, fmt.Sprint(join[0]))
		}
	}
	return fmt.Sprint(v)
}

// lambdaDependsOnRole is why cfn-lint's W3005 (a DependsOn already implied
// by a GetAtt) does not apply to a function.
const lambdaDependsOnRole = "CDK makes a function depend on its role and the role's policy, so that it never runs " +
	"without its permissions; the role half repeats the Role GetAtt, harmlessly"

// noTracing is why the functions and the API do not trace with X-Ray.
const noTracing = "no X-Ray: barrage's functions are not instrumented, so traces would hold only Lambda's own " +
	"segments, at a price per trace and with xray:Put* on Resource * for every role; the run's report, the " +
	"access logs and the functions' logs are what is looked at"

// lintIgnore makes cfn-lint skip check on resource r, for reason (kept in
// the template beside it).
func lintIgnore(r awscdk.CfnResource, check, reason string) {
	r.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{
		"ignore_checks": []string{check}, "ignore_reasons": map[string]string{check: reason}}})
}

// accept records the cdk-nag findings the stack accepts beyond IAM5's
// (which add records where each statement is written), each on its
// resource, and cfn-lint's.
func (b *builder) accept() {
	for _, m := range *b.rest.Methods() {
		suppress(m, "AwsSolutions-COG4", "callers are IAM principals: every method requires AWS_IAM (SigV4) "+
			"authorization, so there is no user pool to authorize against")
	}
	suppress(b.rest.DeploymentStage(), "Serverless-APIGWXrayEnabled", noTracing)
	// cdk-nag's rule reads a Deployment's StageDescription, which CDK's
	// deployments do not have, and fails; it passes on the stage.
	suppress(b.rest.LatestDeployment(), "CdkNagValidationFailure", "Serverless-APIGWStructuredLogging fails "+
		"on a Deployment without StageDescription; the stage's access log format is JSON (TestAccessLogs)",
		"Serverless-APIGWStructuredLogging")
	suppress(b.dlq, "Serverless-SQSRedrivePolicy", "this is the dead-letter queue: the end of the line, "+
		"its messages kept 14 days for someone to read")
	suppress(b.rest.DeploymentStage(), "AwsSolutions-APIG3", "no WAF web ACL: unsigned requests are refused by "+
		"API Gateway (AWS_IAM) and the stage is throttled to 20 requests/s; a web ACL would cost every month "+
		"for a stack that otherwise costs nothing idle")
	if role := b.rest.Node().TryFindChild(jsii.String("CloudWatchRole")); role != nil {
		suppress(role, "AwsSolutions-IAM4", "the account's API Gateway logging role serves every API of the "+
			"account and region, so it has AWS's policy for it (AmazonAPIGatewayPushToCloudWatchLogs), "+
			"not one scoped to this stack's log groups", "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	}
	suppress(b.bucket, "AwsSolutions-S1", "no server access logs: only the stack's roles write the bucket, and "+
		"logging every shard's writes would need a second, retained bucket; CloudTrail data events audit it if needed")
	suppress(b.task, "AwsSolutions-ECS2", "the task's environment holds only the bucket's name and the queue's "+
		"URL; secrets are read at run time by reference (SSM, Secrets Manager), never set in the task definition")
	suppress(b.cluster, "AwsSolutions-ECS4", "no Container Insights: each worker reports its own CPU, memory, "+
		"connections and achieved rate into its shard's result, which the report shows; per-task metrics "+
		"would cost for every short-lived task")
	suppress(b.vpc, "AwsSolutions-VPC7", "no flow logs: the VPC carries only the Fargate workers' outbound "+
		"load, and flow logs would record each of its connections (thousands per second) at CloudWatch's price")
	suppress(b.task.ExecutionRole(), "AwsSolutions-IAM5", "ecr:GetAuthorizationToken (CDK's image pull) "+
		"accepts only Resource *", "Resource::*")
	// CDK's own handler that sets the bucket's notifications at deploy time.
	for _, c := range *b.st.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "BucketNotificationsHandler") {
			suppress(c, "AwsSolutions-IAM4", "CDK's bucket-notifications handler, run only by CloudFormation at "+
				"deploy time, comes with AWSLambdaBasicExecutionRole",
				"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
			for _, rule := range []string{"Serverless-LambdaDLQ", "Serverless-LambdaDefaultMemorySize", "Serverless-LambdaTracing"} {
				suppress(c, rule, "CDK's bucket-notifications handler, run only by CloudFormation at deploy time "+
					"(synchronously, as a custom resource), is CDK's to configure")
			}
			lintIgnore(c.Node().DefaultChild().(awscdk.CfnResource), "W3005", lambdaDependsOnRole)
		}
	}
}
