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

// FargateVCPUQuotas are the Service Quotas codes of the account's Fargate
// vCPU limits that a run's preflight reads: On-Demand and Spot.
var FargateVCPUQuotas = []string{"L-3032A538", "L-36FBB829"}

// allow is a statement allowing actions on resources.
func allow(actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources})
}

// arn is the ARN of this stack's account and region for service's
// resource/name (sep: ArnFormat_SLASH_RESOURCE_NAME or _COLON_).
func (b *builder) arn(service, resource, name string, sep awscdk.ArnFormat) *string {
	return b.st.FormatArn(&awscdk.ArnComponents{Service: &service, Resource: &resource, ResourceName: &name, ArnFormat: sep})
}

// grantS3 allows actions on the bucket's objects under pattern ("runs/*").
func (b *builder) grantS3(role awsiam.IRole, sid string, actions []string, pattern string) {
	s := allow(actions, b.bucket.ArnForObjects(&pattern))
	s.SetSid(jsii.String(sid))
	b.add(role, s, "objects "+pattern+" of the stack's bucket: run and shard ids are made at run time, "+
		"so a key pattern is the narrowest name of what this role reads or writes")
}

// grantList allows listing the bucket under prefix pattern. S3 answers a
// GET or HEAD of a missing object 404 only to a caller whose ListBucket
// permission covers the request, which one with an s3:prefix condition does
// not (the request has no prefix): the store asks List, which this allows,
// whether a key that drew a 403 is there (pkg/store/s3store).
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
	b.grantSecrets(role)
}

// grantSecrets lets role read scenarios' secret references (ssm:/…,
// secretsmanager:…) under the stack's secrets prefix only: the workers
// resolve them, the api and scheduler functions check before a run that
// they can be read.
func (b *builder) grantSecrets(role awsiam.IRole) {
	param := b.arn("ssm", "parameter", b.p.SecretsPrefix+"/*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)
	secret := b.arn("secretsmanager", "secret", b.p.SecretsPrefix+"/*", awscdk.ArnFormat_COLON_RESOURCE_NAME)
	prefix := "scenario secrets are named by the user under the stack's secrets prefix (SecretsPrefix), which is their scope"
	b.add(role, allow([]string{"ssm:GetParameter", "ssm:GetParameters"}, param), prefix)
	b.add(role, allow([]string{"secretsmanager:GetSecretValue"}, secret), prefix)
	// A SecureString parameter or a secret under a customer-managed KMS key
	// also needs kms:Decrypt from the reader (AWS-managed aws/ssm and
	// aws/secretsmanager keys do not). The stack cannot know those keys'
	// ARNs, so the resource is "*"; the conditions narrow it to what the
	// statements above allow anyway: decryptions that SSM or Secrets Manager
	// make for this role, of a parameter or secret under the prefix (each
	// service puts that ARN in the KMS encryption context). The key's own
	// policy must still let the account's IAM policies grant its use.
	for _, v := range []struct{ service, contextKey, arn string }{
		{"ssm", "kms:EncryptionContext:PARAMETER_ARN", *param},
		{"secretsmanager", "kms:EncryptionContext:SecretARN", *secret},
	} {
		s := allow([]string{"kms:Decrypt"}, jsii.String("*"))
		s.AddCondition(jsii.String("StringEquals"), map[string]any{
			"kms:ViaService": v.service + "." + *b.st.Region() + "." + *b.st.UrlSuffix()})
		s.AddCondition(jsii.String("StringLike"), map[string]any{v.contextKey: v.arn})
		b.add(role, s, "kms:Decrypt of the secrets' customer-managed keys, unknown to the stack: only via "+
			v.service+", for names under the secrets prefix (kms:ViaService, encryption context)")
	}
}

// grantPreflight lets role read what bounds a run before it starts: the
// account's Lambda concurrency, the worker's reserved concurrency, and the
// account's Fargate vCPU quotas.
func (b *builder) grantPreflight(role awsiam.IRole) {
	// GetAccountSettings is account-level: it has no resource type, so
	// IAM accepts only "*" for it.
	b.add(role, allow([]string{"lambda:GetAccountSettings"}, jsii.String("*")),
		"lambda:GetAccountSettings is account-level: IAM accepts only Resource * for it")
	role.AddToPrincipalPolicy(allow([]string{"lambda:GetFunctionConcurrency"}, b.worker.FunctionArn()))
	var quotas []*string
	for _, code := range FargateVCPUQuotas {
		quotas = append(quotas, b.arn("servicequotas", "fargate", code, awscdk.ArnFormat_SLASH_RESOURCE_NAME))
	}
	role.AddToPrincipalPolicy(allow([]string{"servicequotas:GetServiceQuota"}, quotas...))
	// An account that never had a quota raised has no applied value: the
	// reader falls back to AWS's default, an action with no resource type.
	b.add(role, allow([]string{"servicequotas:GetAWSDefaultServiceQuota"}, jsii.String("*")),
		"servicequotas:GetAWSDefaultServiceQuota has no resource type: IAM accepts only Resource * for it")
}

// schedulesWhy is why a role may act on every schedule of the group.
const schedulesWhy = "a run's schedules (later windows, deadline) are named at run time: the stack's schedule group is their scope"

// schedulesArn is the ARN of every schedule in the stack's group.
func (b *builder) schedulesArn() *string {
	return b.arn("scheduler", "schedule", *b.group.Name()+"/*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)
}
