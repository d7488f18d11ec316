package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/barrage-load/barrage/pkg/stack"
)

// appProps are the app's props: the stack's name and its props.
type appProps struct {
	stackName string
	BarrageStackProps
}

// logRetention maps days to CloudWatch Logs' allowed retentions.
var logRetention = map[int]awslogs.RetentionDays{
	0: awslogs.RetentionDays_INFINITE, 1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS,
	30: awslogs.RetentionDays_ONE_MONTH, 60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS,
	365: awslogs.RetentionDays_ONE_YEAR, 400: awslogs.RetentionDays_THIRTEEN_MONTHS,
}

// propsFromContext reads the app's props from CDK context (cdk.json's
// "context", or -c key=value on the command line, where every value is a
// string). Every problem is reported, each naming its key.
func propsFromContext(get func(key string) any) (appProps, error) {
	p := appProps{stackName: stack.DefaultStackName}
	var errs []error
	str := func(key string) (string, bool) {
		switch v := get(key).(type) {
		case nil:
			return "", false
		case string:
			return v, true
		default:
			b, _ := json.Marshal(v)
			return string(b), true
		}
	}
	num := func(key string, dst *float64) {
		if s, ok := str(key); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a number ≥ 0", key, s))
			}
			*dst = f
		}
	}
	boolean := func(key string) *bool {
		s, ok := str(key)
		if !ok {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, s))
		}
		return &b
	}
	list := func(key string) []string {
		s, ok := str(key)
		if !ok {
			return nil
		}
		var l []string
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", key, err))
			}
			return l
		}
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				l = append(l, f)
			}
		}
		return l
	}
	if s, ok := str("stackName"); ok {
		p.stackName = s
	}
	p.AllowedTargets = list("allowedTargets")
	p.AvailabilityZones = list("availabilityZones")
	num("maxRate", &p.MaxRate)
	num("workerMemoryMB", &p.WorkerMemoryMB)
	num("workerConcurrency", &p.WorkerConcurrency)
	num("runRetentionDays", &p.RunRetentionDays)
	num("taskCpu", &p.TaskCPU)
	num("taskMemoryMiB", &p.TaskMemoryMiB)
	if s, ok := str("maxDuration"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("maxDuration: %q is not a duration such as 30m or 2h", s))
		}
		p.MaxDuration = d
	}
	if s, ok := str("logRetentionDays"); ok {
		n, err := strconv.Atoi(s)
		r, known := logRetention[n]
		if err != nil || !known {
			errs = append(errs, fmt.Errorf("logRetentionDays: %q is not one of 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400", s))
		}
		p.LogRetention = r
	}
	if b := boolean("fargateSpot"); b != nil {
		p.FargateSpot = *b
	}
	p.APICloudWatchRole = boolean("apiCloudWatchRole")
	if s, ok := str("assetsDir"); ok {
		p.AssetsDir = s
	}
	if s, ok := str("secretsPrefix"); ok {
		p.SecretsPrefix = strings.Trim(s, "/")
	}
	if s, ok := str("imageDir"); ok {
		p.ImageDir = s
	}
	if s, ok := str("scheduledRuns"); ok {
		var runs []struct {
			Name, Expression, SpecKey, Timezone, Kind string
		}
		if err := json.Unmarshal([]byte(s), &runs); err != nil {
			errs = append(errs, fmt.Errorf("scheduledRuns: want a JSON list of {name, expression, specKey, timezone, kind}: %v", err))
		}
		for i, r := range runs {
			if r.Name == "" || r.Expression == "" || r.SpecKey == "" {
				errs = append(errs, fmt.Errorf("scheduledRuns[%d]: name, expression and specKey are required", i))
			}
			p.ScheduledRuns = append(p.ScheduledRuns, ScheduledRun(r))
		}
	}
	return p, errors.Join(errs...)
}
