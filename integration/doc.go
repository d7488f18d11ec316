// Package integration holds barrage's end-to-end tests against real S3 and
// SQS protocol servers started on 127.0.0.1: MinIO for S3 (it honours
// conditional writes) and fauxqs for SQS. Run `integration/install.sh` once,
// then `go test -tags integration ./integration/...`; .ci/run does both.
// The tests and their helpers carry the integration build tag, since they
// need those servers; plain `go test ./...` skips them.
package integration
