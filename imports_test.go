package barrage_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// awsEdges are the packages under pkg/ that may link the AWS SDK: the
// adapters and the place that wires them (pkg/awsenv doc). Every other
// package under pkg/, and events, is core: what the engine, the worker
// runtime and the reducer are made of, linked by every process.
var awsEdges = []string{
	"github.com/barrage-load/barrage/pkg/awsenv",
	"github.com/barrage-load/barrage/pkg/launch",
	"github.com/barrage-load/barrage/pkg/queue/sqsqueue",
	"github.com/barrage-load/barrage/pkg/secret/awssecret",
	"github.com/barrage-load/barrage/pkg/store/s3store",
}

// mustBeCore are the packages the issue names; the test fails if one of
// them is no longer checked (renamed, or listed as an edge).
var mustBeCore = []string{"engine", "worker", "journey", "scenario", "plan", "report", "reduce", "secret"}

// isAWSSDK reports whether path is a package of the AWS SDK for Go v2 or
// of smithy-go, its runtime.
func isAWSSDK(path string) bool {
	return strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(path, "github.com/aws/smithy-go")
}

// sdkChain returns the shortest import chain from root to a package of the
// AWS SDK in the graph imports (package → its imports), or nil if there is
// none.
func sdkChain(imports map[string][]string, root string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if isAWSSDK(p) {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range imports[p] {
			if _, seen := prev[imp]; !seen {
				prev[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// TestSDKChain pins sdkChain on a small graph.
func TestSDKChain(t *testing.T) {
	g := map[string][]string{
		"core":      {"fmt", "mid", "far"},
		"mid":       {"awssecret"},
		"far":       {"x", "y"},
		"y":         {"github.com/aws/smithy-go"},
		"awssecret": {"github.com/aws/aws-sdk-go-v2/service/ssm"},
		"clean":     {"fmt", "strings"},
	}
	for _, tc := range []struct{ root, want string }{
		// The shortest chain, through the first import that reaches the SDK.
		{"core", "core mid awssecret github.com/aws/aws-sdk-go-v2/service/ssm"},
		// smithy-go counts as the SDK.
		{"far", "far y github.com/aws/smithy-go"},
		// A package that reaches none.
		{"clean", ""},
	} {
		if got := strings.Join(sdkChain(g, tc.root), " "); got != tc.want {
			t.Errorf("sdkChain(%s) = %q; want %q", tc.root, got, tc.want)
		}
	}
}

// TestCoreLinksNoAWSSDK lists, with go list -deps, what every core package
// links (see awsEdges), and fails for each that links a package of the AWS
// SDK, naming the chain of imports that pulls it in. The SDK belongs to
// the mains (functions/, tasks/, the command), which wire the adapters.
func TestCoreLinksNoAWSSDK(t *testing.T) {
	list := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	var roots []string
	for _, p := range list("./events", "./pkg/...") {
		if !slices.Contains(awsEdges, p) {
			roots = append(roots, p)
		}
	}
	for _, name := range mustBeCore {
		if !slices.Contains(roots, "github.com/barrage-load/barrage/pkg/"+name) {
			t.Errorf("pkg/%s is not among the core packages checked", name)
		}
	}
	imports := map[string][]string{}
	for _, line := range list(append([]string{"-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, roots...)...) {
		fields := strings.Fields(line)
		imports[fields[0]] = fields[1:]
	}
	for _, root := range roots {
		if chain := sdkChain(imports, root); chain != nil {
			t.Errorf("%s links the AWS SDK: %s (wire AWS in a main, through pkg/awsenv)", root, strings.Join(chain, " → "))
		}
	}
}
