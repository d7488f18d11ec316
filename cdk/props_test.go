package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// TestRetention: a shard queue keeps a message twice its longest window,
// within SQS's minute to 14 days.
func TestRetention(t *testing.T) {
	for _, tt := range []struct{ window, want time.Duration }{
		{900 * time.Second, 30 * time.Minute},      // a Lambda worker's timeout
		{time.Hour, 2 * time.Hour},                 // the default MaxDuration
		{10 * time.Second, time.Minute},            // SQS's least
		{30 * 24 * time.Hour, 14 * 24 * time.Hour}, // SQS's most
	} {
		if got := retention(tt.window); got != tt.want {
			t.Errorf("retention(%v) = %v, want %v", tt.window, got, tt.want)
		}
	}
}

func TestPropsFromContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]any
		want    appProps
		wantErr []string // substrings of the error; nil: no error
	}{
		// No context: the default stack name, everything else at its default.
		{"empty", nil, appProps{stackName: "Barrage"}, nil},
		// -c values are strings; lists are comma-separated.
		{"command line", map[string]any{"stackName": "LoadTest", "allowedTargets": "idp.example.com, *.internal",
			"maxRate": "2500", "maxDuration": "30m", "workerMemoryMB": "3008", "workerConcurrency": "100",
			"runRetentionDays": "7", "logRetentionDays": "14", "fargateSpot": "true", "availabilityZones": "eu-west-1a,eu-west-1b",
			"apiCloudWatchRole": "false"},
			appProps{stackName: "LoadTest", BarrageStackProps: BarrageStackProps{AllowedTargets: []string{"idp.example.com", "*.internal"},
				MaxRate: 2500, MaxDuration: 30 * time.Minute, WorkerMemoryMB: 3008, WorkerConcurrency: 100, RunRetentionDays: 7,
				LogRetention: awslogs.RetentionDays_TWO_WEEKS, FargateSpot: true, AvailabilityZones: []string{"eu-west-1a", "eu-west-1b"},
				APICloudWatchRole: jsii.Bool(false)}}, nil},
		// cdk.json may give typed values: lists, numbers, booleans.
		{"cdk.json", map[string]any{"allowedTargets": []any{"a.example.com"}, "maxRate": 100.0, "fargateSpot": false,
			"scheduledRuns": []any{map[string]any{"name": "nightly", "expression": "rate(1 day)", "specKey": "specs/n.yaml"}}},
			appProps{stackName: "Barrage", BarrageStackProps: BarrageStackProps{AllowedTargets: []string{"a.example.com"}, MaxRate: 100,
				ScheduledRuns: []ScheduledRun{{Name: "nightly", Expression: "rate(1 day)", SpecKey: "specs/n.yaml"}}}}, nil},
		// Every bad value is reported, each by its key.
		{"bad", map[string]any{"maxRate": "fast", "maxDuration": "1 hour", "logRetentionDays": "10", "fargateSpot": "maybe", "apiCloudWatchRole": "no",
			"scheduledRuns": `[{"name": "x"}]`},
			appProps{}, []string{"maxRate", "maxDuration", "logRetentionDays", "fargateSpot", "apiCloudWatchRole", "scheduledRuns[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := propsFromContext(func(k string) any { return tt.ctx[k] })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want one naming %v", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
