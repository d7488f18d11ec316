// Package api is barrage's REST API as a plain http.Handler: submit a run,
// read its status and its report, abort it (CONTRACT.md, "REST API"). It
// knows nothing of where it is served: behind API Gateway, the api
// function adapts it (orchestrator/lambdas.API, with
// aws-lambda-go-api-proxy) over the AWS backend; `barrage serve` serves it
// on 127.0.0.1 over the local backend (orchestrator.LocalRuns). The
// command line's orchestrator.APIClient talks to either.
package api
