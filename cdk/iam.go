package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// The stack writes its policies out action by action rather than with the
// constructs' grant methods, which use wildcard actions (s3:GetObject*,
// s3:List*): a load generator's roles should do nothing they were not
// meant to.

// allow is a statement allowing actions on resources.
func allow(actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources})
}

// grantS3 allows actions on the bucket's objects under pattern ("runs/*").
func (b *builder) grantS3(role awsiam.IRole, sid string, actions []string, pattern string) {
	s := allow(actions, b.bucket.ArnForObjects(&pattern))
	s.SetSid(jsii.String(sid))
	role.AddToPrincipalPolicy(s)
}

// grantList allows listing the bucket under prefix pattern. Besides List,
// it makes S3 answer 404 rather than 403 for a missing object, which is how
// the store tells "not there yet" from "not allowed".
func (b *builder) grantList(role awsiam.IRole, pattern string) {
	s := allow([]string{"s3:ListBucket"}, b.bucket.BucketArn())
	s.AddCondition(jsii.String("StringLike"), map[string]any{"s3:prefix": []string{pattern}})
	role.AddToPrincipalPolicy(s)
}

// grantShardWorker gives a worker (Lambda or task) its prefix and its queue:
// it reads specs, plans and abort markers, writes only its shards' objects,
// and receives, extends and deletes shard messages, never sends them.
func (b *builder) grantShardWorker(role awsiam.IRole, q awssqs.Queue) {
	b.grantS3(role, "ReadRuns", []string{"s3:GetObject"}, "runs/*")
	b.grantS3(role, "WriteShards", []string{"s3:PutObject"}, "runs/*/shards/*")
	b.grantList(role, "runs/*")
	role.AddToPrincipalPolicy(allow([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
		"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, q.QueueArn()))
	// Scenarios' secret references (ssm:/…, secretsmanager:…) resolve in
	// the worker, under the stack's secrets prefix only.
	prefix := b.p.SecretsPrefix
	role.AddToPrincipalPolicy(allow([]string{"ssm:GetParameter"}, b.st.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(prefix + "/*"),
		ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})))
	role.AddToPrincipalPolicy(allow([]string{"secretsmanager:GetSecretValue"}, b.st.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("secretsmanager"), Resource: jsii.String("secret"), ResourceName: jsii.String(prefix + "/*"),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})))
}
