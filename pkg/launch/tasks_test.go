package launch

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := &Bucket{Rate: 20, Burst: 100}
	for _, step := range []struct {
		at   time.Duration
		n    float64
		wait time.Duration
	}{
		{0, 10, 0},                      // the burst
		{0, 90, 0},                      // the rest of it
		{0, 10, 500 * time.Millisecond}, // empty: 10 tokens at 20/s
		{time.Second, 10, 0},            // 20 came back, 10 were owed
		{time.Second, 20, time.Second},  // owed again
		{100 * time.Second, 100, 0},     // refilled, never above the burst
		{100 * time.Second, 1, 50 * time.Millisecond},
	} {
		if got := b.Take(t0.Add(step.at), step.n); got != step.wait {
			t.Errorf("Take(%v, %v) = %v; want %v", step.at, step.n, got, step.wait)
		}
	}
}

// TestRunTaskRate launches 60 tasks with a burst of 20 and 100 a second:
// calls of at most 10, and the 40 past the burst take at least 0.4 s.
// ECS's throttling answer is retried.
func TestRunTaskRate(t *testing.T) {
	var mu sync.Mutex
	calls, started := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Count int }
		json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 {
			awsError(w, http.StatusBadRequest, "ThrottlingException")
			return
		}
		if in.Count > RunTaskMax {
			t.Errorf("a call asked for %d tasks", in.Count)
		}
		var tasks []map[string]string
		for range in.Count {
			started++
			tasks = append(tasks, map[string]string{"taskArn": "arn:task/" + strings.Repeat("t", started)})
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"tasks": tasks, "failures": []any{}})
	}))
	defer srv.Close()
	tk := &Tasks{Cluster: "c", TaskDefinition: "td", Container: "worker", Subnets: []string{"s"}, SecurityGroup: "sg",
		Interval: time.Millisecond, Rate: 100, Burst: 20, Backoff: 10 * time.Millisecond,
		Client: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})}
	start := time.Now()
	arns, err := tk.Run(context.Background(), 60, nil)
	if err != nil || len(arns) != 60 {
		t.Fatalf("Run = %d tasks, %v; want 60", len(arns), err)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("60 tasks launched in %v; a burst of 20 at 100/s needs at least 0.4 s", took)
	}
}

// TestDescribeTasks tells a running task, one that stopped after running,
// one that stopped before (with ECS's reasons), and one ECS does not know.
func TestDescribeTasks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"tasks": [
			{"taskArn": "a", "lastStatus": "RUNNING", "startedAt": 1.7e9},
			{"taskArn": "b", "lastStatus": "STOPPED", "startedAt": 1.7e9, "stoppedReason": "Essential container exited"},
			{"taskArn": "c", "lastStatus": "STOPPED", "stopCode": "TaskFailedToStart",
			 "stoppedReason": "CannotPullContainerError: pull access denied",
			 "containers": [{"reason": "CannotPullContainerError: ref not found"}]}],
			"failures": [{"arn": "d", "reason": "MISSING"}]}`)
	}))
	defer srv.Close()
	tk := &Tasks{Cluster: "c", Client: ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})}
	got, err := tk.Describe(context.Background(), []string{"a", "b", "c", "d"})
	if err != nil || len(got) != 4 {
		t.Fatalf("Describe = %+v, %v", got, err)
	}
	by := map[string]TaskState{}
	for _, s := range got {
		by[s.ARN] = s
	}
	if !by["a"].Running || by["a"].Stopped || !by["b"].Running || !by["b"].Stopped || by["b"].Reason != "" {
		t.Errorf("a %+v, b %+v; want a running, b stopped after running", by["a"], by["b"])
	}
	if c := by["c"]; c.Running || !c.Stopped || !strings.Contains(c.Reason, "TaskFailedToStart") || !strings.Contains(c.Reason, "ref not found") {
		t.Errorf("c %+v; want stopped before running, with ECS's reasons", c)
	}
	if d := by["d"]; !d.Stopped || !strings.Contains(d.Reason, "MISSING") {
		t.Errorf("d %+v", d)
	}
}

func TestScheduleName(t *testing.T) {
	long := strings.Repeat("nightly-keycloak-login-", 3) + "20261203-101500"
	names := map[string]bool{}
	for _, run := range []string{"20261203-101500-3fa2c1", long, long + "x", "x" + long} {
		for _, what := range []string{"reduce", "w1", "w12"} {
			n := ScheduleName(run, what)
			if len(n) > 64 || !strings.HasPrefix(n, "barrage-") || !strings.HasSuffix(n, "-"+what) || names[n] {
				t.Errorf("ScheduleName(%q, %q) = %q (%d characters, seen before: %v)", run, what, n, len(n), names[n])
			}
			names[n] = true
		}
	}
}

func TestDeleteSchedule(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete || r.URL.Query().Get("groupName") != "g" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		if n++; n > 1 {
			awsError(w, http.StatusNotFound, "ResourceNotFoundException")
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	s := &Schedules{Group: "g", Client: scheduler.New(scheduler.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})}
	for range 2 { // the second finds none: not an error
		if err := s.Delete(context.Background(), "barrage-r-w1"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTaskSizeOverride: a task's CPU and memory, when set, override the
// task definition's at RunTask; unset, they are left out.
func TestTaskSizeOverride(t *testing.T) {
	in := (&Tasks{Container: "worker", CPU: "2048", Memory: "8192"}).input(nil)
	if aws.ToString(in.Overrides.Cpu) != "2048" || aws.ToString(in.Overrides.Memory) != "8192" {
		t.Errorf("overrides %+v; want cpu 2048, memory 8192", in.Overrides)
	}
	if in = (&Tasks{Container: "worker"}).input(nil); in.Overrides.Cpu != nil || in.Overrides.Memory != nil {
		t.Errorf("overrides %+v; want the task definition's size", in.Overrides)
	}
}
