#!/usr/bin/env bash
# Builds the Lambda functions as AWS wants them: provided.al2023 on arm64,
# one static `bootstrap` per function, without the RPC shim (lambda.norpc).
# Output: build/lambda/{worker,reducer,api,scheduler}/bootstrap, which the
# CDK stack deploys. GOARCH=amd64 bash functions/build.sh builds for x86-64;
# BARRAGE_LAMBDA_OUT=DIR writes DIR/{worker,…}/bootstrap instead (the cold
# start benchmark, bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${GOARCH:-arm64}"
out="${BARRAGE_LAMBDA_OUT:-build/lambda}"
for fn in worker reducer api scheduler; do
  GOOS=linux GOARCH="$arch" CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags="-s -w" \
    -o "$out/$fn/bootstrap" "./functions/$fn"
  echo "$out/$fn/bootstrap ($(du -h "$out/$fn/bootstrap" | cut -f1))"
done
