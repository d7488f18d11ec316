package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// TestNag fails on any error or warning of cdk-nag's AwsSolutions pack (or
// of the synthesis itself) that the stack does not accept with a reason
// (suppress.go). The pack runs as an aspect on every synthesis of the tests
// (stacks); what it was told to accept is logged by rule (go test -v).
func TestNag(t *testing.T) {
	rule := regexp.MustCompile(`^CdkNagSuppression.*?: (AwsSolutions-[A-Z]+[0-9]+) was triggered but suppressed`)
	for name, s := range stacks() {
		a := assertions.Annotations_FromStack(s.stack)
		for level, msgs := range map[string]*[]*cxapi.SynthesisMessage{
			"error":   a.FindError(jsii.String("*"), assertions.Match_AnyValue()),
			"warning": a.FindWarning(jsii.String("*"), assertions.Match_AnyValue()),
		} {
			for _, m := range *msgs {
				t.Errorf("%s: %s %s: %s", name, level, *m.Id, strings.SplitN(fmt.Sprint(m.Entry.Data), "\n", 2)[0])
			}
		}
		accepted := map[string]int{}
		for _, m := range *a.FindInfo(jsii.String("*"), assertions.Match_AnyValue()) {
			if r := rule.FindStringSubmatch(fmt.Sprint(m.Entry.Data)); r != nil {
				accepted[r[1]]++
			}
		}
		var summary []string
		for _, r := range slices.Sorted(maps.Keys(accepted)) {
			summary = append(summary, fmt.Sprintf("%s ×%d", r, accepted[r]))
		}
		t.Logf("%s: accepted %s", name, strings.Join(summary, ", "))
	}
}
