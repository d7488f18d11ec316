// Package integration holds barrage's end-to-end tests against real S3 and
// SQS protocol servers started on 127.0.0.1, and the harness that starts
// them, for this package's tests and any other package's integration tests:
//
//   - StartMinIO: MinIO (an S3 server that honours If-None-Match: *) on a
//     free port with a temporary data directory and one bucket, with an
//     *s3.Client for it;
//   - StartFauxqs: fauxqs (an SQS server speaking the JSON protocol of
//     aws-sdk-go-v2) on a loopback port, with an *sqs.Client and
//     CreateQueue;
//   - NewFaultProxy: a proxy in front of MinIO that fails chosen requests
//     with S3 errors (503 SlowDown, 409 ConditionalRequestConflict, …), for
//     retry tests;
//   - StartHydra: ory/hydra v2.3.0 (an OpenID provider) on an in-memory
//     SQLite, with a login-and-consent app of ours at its login, consent and
//     logout URLs, OAuth 2.0 clients for barrage's flows, a tap on its token
//     endpoint and introspection: the provider's own counts and state, to
//     hold against barrage's report (TestHydra);
//   - NewLab: Linux network namespaces as separate generator hosts, each
//     with its own ephemeral port range, on a bridge to a server namespace,
//     with helper processes (this test binary again) serving a target or the
//     shard queue inside them; it needs root and skips otherwise.
//
// Each server stops when its test ends. Run integration/install.sh once (it
// installs MinIO into $(go env GOPATH)/bin, Node 22 and fauxqs into
// integration/.deps, and builds hydra into integration/.deps/bin), then
// `go test -tags integration ./integration/...`; .ci/run does both.
// BARRAGE_MINIO, BARRAGE_HYDRA, BARRAGE_NODE and BARRAGE_INTEGRATION_DEPS
// point the harness elsewhere.
//
// The harness and the tests carry the integration build tag, since they
// need those servers; plain `go test ./...` builds only this file.
package integration
