// Package sqsqueue is the shard queue on Amazon SQS, or on a server that
// speaks its JSON protocol (fauxqs in the integration tests): batched,
// parallel sends that check every entry of every answer, long polls that
// report each message's receive count, acknowledgement by deletion and
// visibility extension.
//
// This is one of the few packages that import the AWS SDK.
package sqsqueue
