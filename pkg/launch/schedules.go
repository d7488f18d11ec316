package launch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Schedules creates one-time EventBridge Scheduler schedules.
type Schedules struct {
	Client  *scheduler.Client
	Group   string
	RoleArn string
	// DeadLetterArn, if set, is the SQS queue where EventBridge Scheduler
	// puts an invocation it could not deliver after its retries.
	DeadLetterArn string
}

// ScheduleName names one of a run's schedules within EventBridge's 64
// characters: "barrage-", as much of the run id as fits, a hash of the
// whole id (two long ids that share a prefix or a suffix still differ),
// and what it is for ("reduce", "w3").
func ScheduleName(run, what string) string {
	sum := sha256.Sum256([]byte(run))
	tag := hex.EncodeToString(sum[:4])
	room := 64 - len("barrage-") - len(tag) - len(what) - 2
	id := run
	if len(id) > room {
		id = id[:max(0, room)]
	}
	return "barrage-" + id + "-" + tag + "-" + what
}

// At schedules one invocation of the Lambda function targetArn with input
// at t (rounded up to the second), deleted after it ran. A schedule of the
// same name that exists already counts as done: schedule names derive from
// run ids, so a repeated dispatch schedules nothing twice.
func (s *Schedules) At(ctx context.Context, name string, t time.Time, targetArn string, input any) error {
	body, err := json.Marshal(input)
	if err != nil {
		return err
	}
	at := t.UTC().Add(time.Second - 1).Truncate(time.Second)
	_, err = s.Client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: &name, GroupName: &s.Group,
		ScheduleExpression:    aws.String("at(" + at.Format("2006-01-02T15:04:05") + ")"),
		FlexibleTimeWindow:    &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: schedtypes.ActionAfterCompletionDelete,
		Target:                s.target(targetArn, string(body))})
	var conflict *schedtypes.ConflictException
	if errors.As(err, &conflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schedule %s: %w", name, err)
	}
	return nil
}

func (s *Schedules) target(arn, input string) *schedtypes.Target {
	t := &schedtypes.Target{Arn: &arn, RoleArn: &s.RoleArn, Input: &input,
		RetryPolicy: &schedtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3)}}
	if s.DeadLetterArn != "" {
		t.DeadLetterConfig = &schedtypes.DeadLetterConfig{Arn: &s.DeadLetterArn}
	}
	return t
}

// Delete deletes the schedule name; one that does not exist (never
// created, or deleted after it ran) is not an error.
func (s *Schedules) Delete(ctx context.Context, name string) error {
	_, err := s.Client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: &name, GroupName: &s.Group})
	var nf *schedtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete schedule %s: %w", name, err)
	}
	return nil
}
