// Package awslocal runs barrage's AWS deployables on this host the way AWS
// runs them, and misbehaves the way AWS may, for the end-to-end and fault
// tests. One endpoint answers the Lambda (Invoke, GetAccountSettings,
// GetFunctionConcurrency), Service Quotas (GetServiceQuota), ECS (RunTask, DescribeTasks, StopTask) and
// EventBridge Scheduler (CreateSchedule, DeleteSchedule) calls barrage
// makes. Functions run either as their real `bootstrap` binaries under
// AWS's own Lambda runtime interface emulator (aws-lambda-rie), one
// emulator per execution environment, or in this process (a handler
// function); tasks as processes or in this process. Lambda's semantics are
// kept: at most Concurrency invocations of a function run at once; an
// asynchronous event waits for a free environment, is retried after a
// failure, and is dropped once older than its maximum event age. Faults
// make AWS throttle, drop, fail and stop things on purpose. API Gateway's
// proxy integration (gateway.go) and S3's result events (WatchResults)
// complete it. Everything listens on 127.0.0.1 only.
package awslocal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults make the local AWS misbehave as the real one may. Each is asked
// per call (nil: never); set them before the calls they should affect.
type Faults struct {
	// InvokeThrottled answers an Invoke of function fn with 429
	// TooManyRequestsException.
	InvokeThrottled func(fn string) bool
	// InvokeDropped accepts an asynchronous invocation of fn (202) and never
	// runs it, as Lambda does with an event it throttled until its maximum
	// event age passed.
	InvokeDropped func(fn string) bool
	// RunTaskThrottled answers a RunTask call with ThrottlingException.
	RunTaskThrottled func() bool
	// TaskFails lists a task of a RunTask call in failures[] (no capacity)
	// instead of starting it.
	TaskFails func() bool
	// TaskStopsBeforeRunning starts a task that stops before it runs, with
	// the reason it returns ("" runs the task).
	TaskStopsBeforeRunning func() string
	// CreateScheduleFails answers CreateSchedule of name with a 500.
	CreateScheduleFails func(name string) bool
}

// FirstN returns a fault that fires on its first n calls.
func FirstN(n int) func() bool {
	var mu sync.Mutex
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		n--
		return n >= 0
	}
}

// EveryNth returns a fault that fires on calls n, 2n, 3n, …: a fraction 1/n,
// spread evenly and the same in every run.
func EveryNth(n int) func() bool {
	var mu sync.Mutex
	i := 0
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		i++
		return i%n == 0
	}
}

// Cloud is the local AWS.
type Cloud struct {
	// URL answers the Lambda, ECS and Scheduler calls.
	URL string
	// RIE is the aws-lambda-rie binary that runs functions given as Bin.
	RIE string
	// TaskBin and TaskEnv start a Fargate task's process; TaskHandler, if
	// set, runs a task in this process instead (its context ends at
	// StopTask or Close, as SIGTERM would).
	TaskBin     string
	TaskEnv     []string
	TaskHandler func(ctx context.Context, env map[string]string)
	// AccountConcurrency and UnreservedConcurrency are what
	// GetAccountSettings answers (default 1,000 both).
	AccountConcurrency, UnreservedConcurrency int
	// FargateVCPU is what Service Quotas answers for the Fargate vCPU
	// quotas (On-Demand and Spot; default 6, a new account's).
	FargateVCPU float64
	Faults      Faults
	Log         io.Writer

	mu        sync.Mutex
	fns       map[string]*fn
	tasks     map[string]*task
	taskOrder []string
	schedules map[string]*time.Timer
	nextID    int
	srv       *http.Server
}

// New starts the endpoint; add functions with Start.
func New(log io.Writer) (*Cloud, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &Cloud{URL: "http://" + ln.Addr().String(), Log: log, fns: map[string]*fn{}, tasks: map[string]*task{},
		schedules: map[string]*time.Timer{}, AccountConcurrency: 1000, UnreservedConcurrency: 1000, FargateVCPU: 6}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.serveAPI), ReadHeaderTimeout: 10 * time.Second}
	go c.srv.Serve(ln)
	return c, nil
}

// serveAPI answers the AWS calls barrage makes.
func (c *Cloud) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	const fns = "/2015-03-31/functions/"
	switch target := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(r.URL.Path, fns) && strings.HasSuffix(r.URL.Path, "/invocations"):
		c.serveInvoke(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, fns), "/invocations"), body)
	case r.URL.Path == "/2016-08-19/account-settings":
		writeJSON(w, map[string]any{"AccountLimit": map[string]any{"ConcurrentExecutions": c.AccountConcurrency,
			"UnreservedConcurrentExecutions": c.UnreservedConcurrency}, "AccountUsage": map[string]any{"FunctionCount": len(c.fns)}})
	case strings.HasPrefix(r.URL.Path, "/2019-09-30/functions/") && strings.HasSuffix(r.URL.Path, "/concurrency"):
		c.serveConcurrency(w, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2019-09-30/functions/"), "/concurrency"))
	case target == "AmazonEC2ContainerServiceV20141113.RunTask":
		c.runTask(w, body)
	case target == "AmazonEC2ContainerServiceV20141113.DescribeTasks":
		c.describeTasks(w, body)
	case target == "AmazonEC2ContainerServiceV20141113.StopTask":
		c.stopTask(w, body)
	case target == "ServiceQuotasV20190624.GetServiceQuota" || target == "ServiceQuotasV20190624.GetAWSDefaultServiceQuota":
		var in struct{ ServiceCode, QuotaCode string }
		json.Unmarshal(body, &in)
		writeJSON(w, map[string]any{"Quota": map[string]any{"ServiceCode": in.ServiceCode, "QuotaCode": in.QuotaCode,
			"QuotaName": "Fargate vCPU resource count", "Value": c.FargateVCPU}})
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/schedules/"):
		c.createSchedule(w, strings.TrimPrefix(r.URL.Path, "/schedules/"), body)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/schedules/"):
		c.deleteSchedule(w, strings.TrimPrefix(r.URL.Path, "/schedules/"))
	default:
		awsError(w, http.StatusBadRequest, "UnknownOperationException", r.Method+" "+r.URL.Path)
	}
}

func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func (c *Cloud) id(prefix string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return fmt.Sprintf("%s-%d", prefix, c.nextID)
}

// Close stops every function, task and schedule.
func (c *Cloud) Close() {
	c.mu.Lock()
	for _, t := range c.schedules {
		t.Stop()
	}
	fns := c.fns
	tasks := c.tasks
	c.mu.Unlock()
	for _, f := range fns {
		f.close()
	}
	for _, t := range tasks {
		t.stop()
	}
	c.srv.Close()
}

// WatchResults stands in for the bucket's S3 event notification: every
// poll it lists keys and invokes function fn, as S3 would, for each new
// shard result (a key ending in /result.json). It stops when stop closes.
func (c *Cloud) WatchResults(list func() ([]string, error), fn string, poll time.Duration, stop <-chan struct{}) {
	seen := map[string]bool{}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		keys, err := list()
		if err != nil {
			continue
		}
		for _, k := range keys {
			if seen[k] || !strings.HasSuffix(k, "/result.json") {
				continue
			}
			seen[k] = true
			ev := map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
				"s3": map[string]any{"object": map[string]any{"key": k}}}}}
			b, _ := json.Marshal(ev)
			c.Invoke(fn, b, true)
		}
	}
}
