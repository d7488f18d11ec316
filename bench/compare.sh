#!/usr/bin/env bash
# Compare barrage with vegeta, wrk and h2load on this machine (see bench/README.md):
# nginx pinned to CPU 0, each load tool pinned to CPU 1, the tools alternated
# over several rounds, medians and ratios printed. Installs what is missing,
# builds barrage, then runs the Go harness with this script's arguments:
#
#   bash bench/compare.sh [-scenarios capacity,rate,rss,h2c,h2] [-rounds 3] [-duration 5s] [-c 50] …
#
# Every load run is bounded in time and stops by itself; all traffic goes to
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

gobin="$(go env GOBIN)"                    # where go install puts vegeta:
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin" # GOBIN, else $(go env GOPATH)/bin
if [ -x "$gobin/vegeta" ]; then
  vegeta="$gobin/vegeta"
elif command -v vegeta >/dev/null; then
  vegeta="$(command -v vegeta)"
else
  echo "compare.sh: installing vegeta v12.13.0 into $gobin" >&2
  go install github.com/tsenart/vegeta/v12@v12.13.0
  vegeta="$gobin/vegeta"
fi

# The journey scenario runs k6 v1.8.1 (from the module proxy, a minute or
# two to build), installed only when it is asked for.
k6=()
case " $* " in
*journey*)
  if [ -x "$gobin/k6" ]; then
    k6=(-k6 "$gobin/k6")
  elif command -v k6 >/dev/null; then
    k6=(-k6 "$(command -v k6)")
  else
    echo "compare.sh: installing k6 v1.8.1 into $gobin" >&2
    go install go.k6.io/k6@v1.8.1
    k6=(-k6 "$gobin/k6")
  fi
  ;;
esac

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v taskset >/dev/null || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "compare.sh: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y "${missing[@]}" >/tmp/barrage-bench-apt.log 2>&1; then
    echo "compare.sh: apt-get install failed; running apt-get update and trying again" >&2
    apt-get update >>/tmp/barrage-bench-apt.log 2>&1 || true
    if ! apt-get install -y "${missing[@]}" >>/tmp/barrage-bench-apt.log 2>&1; then
      tail -n 20 /tmp/barrage-bench-apt.log >&2
      echo "compare.sh: could not install ${missing[*]}" >&2
      exit 1
    fi
  fi
fi
# The nginx package may start a system-wide nginx on port 80; the harness
# starts its own on free ports and does not need that one.

mkdir -p bench/out
echo "compare.sh: building barrage into bench/out/barrage" >&2
go build -o bench/out/barrage ./orchestrator/cmd/barrage

# Flags given to this script come last, so they override these defaults.
exec go run ./bench/compare -barrage bench/out/barrage -vegeta "$vegeta" -wrk "$(command -v wrk)" -h2load "$(command -v h2load)" ${k6[@]+"${k6[@]}"} "$@"
