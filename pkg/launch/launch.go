// Package launch starts barrage's AWS workers and schedules: asynchronous
// Lambda invocations (bounded concurrency, back-off on throttling), ECS
// RunTask for Fargate tasks (at most 10 per call and 20 calls a second,
// reading failures[] of successful answers), and EventBridge Scheduler
// one-time schedules (the reducer at a run's deadline, later windows). Like
// the S3 store and the SQS queue, it is an adapter: it imports the AWS SDK,
// and takes its clients from the main (pkg/awsenv builds them).
package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Lambda invokes a function asynchronously.
type Lambda struct {
	Client   *lambda.Client
	Function string
	// Parallel bounds invocations in flight; default 20.
	Parallel int
	// Attempts bounds the tries of a throttled invocation; default 8 (about
	// 18 s of back-off). An API answering a client sets fewer: the client
	// retries.
	Attempts int
}

// InvokeAsync invokes the function n times with payload (InvocationType
// Event), retrying throttled calls with exponential back-off, and returns
// how many were accepted.
func (l *Lambda) InvokeAsync(ctx context.Context, n int, payload any) (int, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	par := l.Parallel
	if par <= 0 {
		par = 20
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, errs := 0, []error{}
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			attempts := l.Attempts
			if attempts <= 0 {
				attempts = 8
			}
			err := retry(ctx, attempts, throttled, func() error {
				_, err := l.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &l.Function,
					InvocationType: lambdatypes.InvocationTypeEvent, Payload: body})
				return err
			})
			mu.Lock()
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return ok, fmt.Errorf("invoke %s: %d of %d invocations failed: %w", l.Function, len(errs), n, errs[0])
	}
	return ok, nil
}

// throttled reports whether Lambda asked us to slow down.
func throttled(err error) bool {
	var tmr *lambdatypes.TooManyRequestsException
	var ec2 *lambdatypes.EC2ThrottledException
	return errors.As(err, &tmr) || errors.As(err, &ec2)
}

// retry calls f until it succeeds, fails with an error again does not
// accept, or attempts run out, backing off 100 ms × 2^k (at most 5 s).
func retry(ctx context.Context, attempts int, again func(error) bool, f func() error) error {
	var err error
	for k := range attempts {
		if err = f(); err == nil || !again(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(100*time.Millisecond<<k, 5*time.Second)):
		}
	}
	return err
}
