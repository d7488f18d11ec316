package launch

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

var creds = credentials.NewStaticCredentialsProvider("a", "b", "")

func awsError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"__type":"`+code+`","message":"injected"}`)
}

// TestInvokeAsyncBacksOff throttles the first invocations: they are retried
// with back-off, all are accepted, and no more than Parallel are in flight.
func TestInvokeAsyncBacksOff(t *testing.T) {
	var calls, inflight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if r.Header.Get("X-Amz-Invocation-Type") != "Event" {
			t.Errorf("invocation type %q; want Event", r.Header.Get("X-Amz-Invocation-Type"))
		}
		time.Sleep(5 * time.Millisecond)
		if calls.Add(1) <= 10 {
			awsError(w, http.StatusTooManyRequests, "TooManyRequestsException")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	l := &Lambda{Function: "worker", Parallel: 4, Client: lambda.New(lambda.Options{Region: "us-east-1",
		BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})}
	ok, err := l.InvokeAsync(context.Background(), 30, map[string]string{"run_id": "r"})
	if err != nil || ok != 30 {
		t.Fatalf("InvokeAsync = %d, %v; want all 30 accepted", ok, err)
	}
	if calls.Load() != 40 || peak.Load() > 4 {
		t.Errorf("%d calls (want 30 + 10 throttled), %d at once (want ≤ 4)", calls.Load(), peak.Load())
	}
}

// TestRunTaskBatchesAndFailures asks for 25 tasks: calls of at most 10,
// spaced by Interval; failures reported in a 200 answer are retried; what
// never starts is named in the error.
func TestRunTaskBatchesAndFailures(t *testing.T) {
	var mu sync.Mutex
	var counts []int
	var times []time.Time
	started := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Count          int    `json:"count"`
			TaskDefinition string `json:"taskDefinition"`
			LaunchType     string `json:"launchType"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		counts = append(counts, in.Count)
		times = append(times, time.Now())
		first := len(counts) == 1
		mu.Unlock()
		var tasks, failures []map[string]string
		for i := range in.Count {
			// The first call: 3 tasks fail for want of capacity.
			if first && i < 3 {
				failures = append(failures, map[string]string{"reason": "RESOURCE:FARGATE", "detail": "no capacity"})
				continue
			}
			mu.Lock()
			started++
			tasks = append(tasks, map[string]string{"taskArn": "arn:task/" + strings.Repeat("x", started%7+1)})
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"tasks": tasks, "failures": failures})
	}))
	defer srv.Close()
	tk := &Tasks{Cluster: "c", TaskDefinition: "td", Container: "worker", Subnets: []string{"s"}, SecurityGroup: "sg",
		Interval: 20 * time.Millisecond, Backoff: 10 * time.Millisecond, Client: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})}
	arns, err := tk.Run(context.Background(), 25, map[string]string{"BARRAGE_RUN_ID": "r"})
	if err != nil || len(arns) != 25 {
		t.Fatalf("Run = %d tasks, %v; want 25", len(arns), err)
	}
	if counts[0] != 10 || counts[1] != 10 || counts[2] != 5 || len(counts) != 4 || counts[3] != 3 {
		t.Errorf("calls asked for %v; want 10, 10, 5, then the 3 failed ones again", counts)
	}
	for i := 1; i < 3; i++ {
		if gap := times[i].Sub(times[i-1]); gap < 15*time.Millisecond {
			t.Errorf("calls %d and %d %v apart; want ≥ the interval (ECS allows 20 calls/s)", i-1, i, gap)
		}
	}
}

func TestRunTaskReportsWhatNeverStarts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"tasks": [], "failures": [{"reason": "RESOURCE:ENI", "detail": "limit"}]}`)
	}))
	defer srv.Close()
	tk := &Tasks{Cluster: "c", TaskDefinition: "td", Subnets: []string{"s"}, Interval: time.Millisecond, Backoff: 10 * time.Millisecond,
		Client: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := tk.Run(ctx, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 not started") || !strings.Contains(err.Error(), "RESOURCE:ENI") {
		t.Errorf("err = %v; want the tasks and the reason named", err)
	}
}

func TestScheduleAt(t *testing.T) {
	var got []map[string]any
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		got, paths = append(got, in), append(paths, r.URL.Path)
		if len(got) > 1 {
			awsError(w, http.StatusConflict, "ConflictException")
			return
		}
		io.WriteString(w, `{"ScheduleArn": "arn"}`)
	}))
	defer srv.Close()
	s := &Schedules{Group: "g", RoleArn: "role", DeadLetterArn: "arn:dlq", Client: scheduler.New(scheduler.Options{Region: "us-east-1",
		BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})}
	at := time.Date(2026, 11, 23, 10, 0, 0, 500_000_000, time.UTC)
	for range 2 { // the second is a conflict: already scheduled, not an error
		if err := s.At(context.Background(), "barrage-r-reduce", at, "arn:reducer", map[string]string{"run_id": "r"}); err != nil {
			t.Fatal(err)
		}
	}
	if paths[0] != "/schedules/barrage-r-reduce" || got[0]["ScheduleExpression"] != "at(2026-11-23T10:00:01)" ||
		got[0]["ActionAfterCompletion"] != "DELETE" || got[0]["GroupName"] != "g" ||
		got[0]["Target"].(map[string]any)["DeadLetterConfig"].(map[string]any)["Arn"] != "arn:dlq" {
		t.Errorf("request %s %v", paths[0], got[0])
	}
}
