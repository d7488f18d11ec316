// Package sqsqueue is the shard queue on Amazon SQS, or on a server that
// speaks its JSON protocol (fauxqs in the integration tests): batched,
// parallel sends that check every entry of every answer, long polls that
// report each message's receive count, acknowledgement by deletion and
// visibility extension.
//
// This is one of the few packages that import the AWS SDK. It reads no
// environment: NewFromConfig takes the process's aws.Config and endpoint,
// and pkg/awsenv, where the mains wire AWS, calls it.
package sqsqueue
