#!/usr/bin/env bash
# Compare barrage with vegeta and wrk on this machine: nginx pinned to CPU 0,
# each load tool pinned to CPU 1, tools alternated over several rounds.
# Usage: bash bench/compare.sh [-scenarios capacity,rate,rss,h2c] [-rounds 3] [-duration 5s] [-c 50]
set -euo pipefail
cd "$(dirname "$0")/.."
gobin="$(go env GOPATH)/bin"
if ! command -v vegeta >/dev/null && [ ! -x "$gobin/vegeta" ]; then
  echo "installing vegeta v12.13.0"
  go install github.com/tsenart/vegeta/v12@v12.13.0
fi
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  echo "installing wrk and nginx"
  apt-get install -y wrk nginx >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk nginx >/dev/null; }
fi
vegeta="$(command -v vegeta || echo "$gobin/vegeta")"
mkdir -p bench/out
go build -o bench/out/barrage ./orchestrator/cmd/barrage
exec go run ./bench/compare -barrage bench/out/barrage -vegeta "$vegeta" -wrk "$(command -v wrk)" "$@"
