#!/usr/bin/env bash
# cdk-nag's Serverless pack on the template that cdk/synth.sh wrote. The Go
# test (nag_test.go) runs the AwsSolutions pack; cdk-nag-go has the
# Serverless pack only from versions that need a newer constructs than
# aws-cdk-go 2.220.0 builds with, so this runs the npm cdk-nag on Node
# instead, against the same aws-cdk-lib (installed once, pinned, into
# cdk/.nag, gitignored). Fails on any finding not accepted.
# Usage: nag-serverless.sh [TEMPLATE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmpl="${1:-$here/cdk.out/Barrage.template.json}"
[ -s "$tmpl" ] || { echo "nag-serverless.sh: no template $tmpl (run cdk/synth.sh first)" >&2; exit 1; }
nag_version=2.37.55
deps="$here/.nag"
if [ "$(node -p "require('$deps/node_modules/cdk-nag/package.json').version" 2>/dev/null)" != "$nag_version" ]; then
  mkdir -p "$deps"
  echo '{"name":"barrage-cdk-nag","private":true}' >"$deps/package.json"
  (cd "$deps" && npm install --save-exact --no-audit --no-fund --loglevel=error \
    aws-cdk-lib@2.220.0 constructs@10.4.2 "cdk-nag@$nag_version")
fi
NODE_PATH="$deps/node_modules" node "$here/nag-serverless.js" "$tmpl"
