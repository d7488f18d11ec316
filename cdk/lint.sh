#!/usr/bin/env bash
# Lints the template that cdk/synth.sh wrote with cfn-lint (pip install
# cfn-lint; CI has 1.51.0): any error, warning or informational finding
# fails. A check is skipped only on a resource, with its reason beside it in
# the template's Metadata (cdk/suppress.go). Usage: lint.sh [TEMPLATE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmpl="${1:-$here/cdk.out/Barrage.template.json}"
[ -s "$tmpl" ] || { echo "lint.sh: no template $tmpl (run cdk/synth.sh first)" >&2; exit 1; }
command -v cfn-lint >/dev/null || { echo "lint.sh: cfn-lint is not installed (pip install cfn-lint)" >&2; exit 1; }
cfn-lint "$tmpl"
echo "cfn-lint $(cfn-lint --version | awk '{print $2}'): no findings in $tmpl"
