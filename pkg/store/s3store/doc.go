// Package s3store is the run store on Amazon S3 or an S3-compatible server
// such as MinIO: the keys of store.Dir, each kept at prefix+key in one
// bucket, and shard claims and results created with If-None-Match: *, so
// that of any number of writers exactly one creates a key.
//
// Failures S3 reports as momentary are retried inside the SDK with jittered
// exponential backoff and a bounded number of attempts (see Retryer): 5xx,
// SlowDown and other throttling codes, and 409 ConditionalRequestConflict or
// OperationAborted, which S3 answers while another conditional write to the
// same key is in flight. A conditional create answered 412 Precondition
// Failed is store.ErrExists; a missing key is store.ErrNotFound.
//
// One consequence of retries is worth knowing: if S3 created the key but its
// answer was lost (a timeout, a 5xx from a proxy), the retry finds the key
// and the Put reports store.ErrExists for a write that was the caller's own.
// Callers that must tell the two apart write something of their own into
// the object (the worker's claim carries a nonce) and read it back.
//
// This is one of the few packages that import the AWS SDK. It reads no
// environment: NewFromConfig takes the process's aws.Config and endpoint,
// and pkg/awsenv, where the mains wire AWS, calls it.
package s3store
