// Package awslocal runs barrage's AWS deployables on this host, for the
// end-to-end tests: the real function binaries (each `bootstrap` started
// with AWS_LAMBDA_RUNTIME_API pointing here) behind a small Lambda Runtime
// API; the Lambda Invoke, ECS RunTask (tasks started as processes) and
// EventBridge Scheduler CreateSchedule calls barrage makes, answered on one
// endpoint; API Gateway's proxy integration in front of the api function;
// and S3 result events, by polling the bucket. Everything listens on
// 127.0.0.1 only.
package awslocal

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Function is a Lambda function run from its bootstrap binary.
type Function struct {
	Name    string
	Bin     string   // the bootstrap
	Env     []string // its environment, besides the runtime's
	Timeout time.Duration
	// Concurrency is how many execution environments (processes) serve it.
	Concurrency int
}

// invocation is one pending or running call.
type invocation struct {
	id      string
	payload []byte
	done    chan result // nil for an asynchronous call
}

type result struct {
	body []byte
	err  bool
}

// fn is a running function: its queue and its runtime API server.
type fn struct {
	Function
	queue   chan *invocation
	mu      sync.Mutex
	running map[string]*invocation
	procs   []*exec.Cmd
	ln      net.Listener
}

// Cloud is the local AWS.
type Cloud struct {
	// URL answers Lambda Invoke, ECS RunTask and Scheduler CreateSchedule.
	URL string
	// TaskBin and TaskEnv start a Fargate task's process.
	TaskBin string
	TaskEnv []string
	Log     io.Writer

	mu        sync.Mutex
	fns       map[string]*fn
	tasks     []*exec.Cmd
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
	c := &Cloud{URL: "http://" + ln.Addr().String(), Log: log, fns: map[string]*fn{}, schedules: map[string]*time.Timer{}}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.serveAPI), ReadHeaderTimeout: 10 * time.Second}
	go c.srv.Serve(ln)
	return c, nil
}

// Start runs f's execution environments.
func (c *Cloud) Start(f Function) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r := &fn{Function: f, queue: make(chan *invocation, 1024), running: map[string]*invocation{}, ln: ln}
	go http.Serve(ln, http.HandlerFunc(r.serveRuntime))
	for range max(1, f.Concurrency) {
		cmd := exec.Command(f.Bin)
		cmd.Env = append(append(os.Environ(), f.Env...), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
			"AWS_LAMBDA_FUNCTION_NAME="+f.Name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769")
		cmd.Stdout, cmd.Stderr = c.Log, c.Log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return err
		}
		r.procs = append(r.procs, cmd)
	}
	c.mu.Lock()
	c.fns[f.Name] = r
	c.mu.Unlock()
	return nil
}

// Invoke calls function name (a name or an ARN) with payload; async returns
// at once.
func (c *Cloud) Invoke(name string, payload []byte, async bool) ([]byte, bool, error) {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	c.mu.Lock()
	f := c.fns[name]
	c.nextID++
	id := fmt.Sprintf("req-%d", c.nextID)
	c.mu.Unlock()
	if f == nil {
		return nil, false, fmt.Errorf("no function %q", name)
	}
	inv := &invocation{id: id, payload: payload}
	if !async {
		inv.done = make(chan result, 1)
	}
	f.queue <- inv
	if async {
		return nil, false, nil
	}
	r := <-inv.done
	return r.body, r.err, nil
}

// serveRuntime is the Lambda Runtime API of one function.
func (f *fn) serveRuntime(w http.ResponseWriter, r *http.Request) {
	const base = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(r.URL.Path, base)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		inv := <-f.queue
		f.mu.Lock()
		f.running[inv.id] = inv
		f.mu.Unlock()
		deadline := time.Now().Add(f.Timeout)
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:"+f.Name)
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-local")
		w.Write(inv.payload)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		inv := f.running[id]
		delete(f.running, id)
		f.mu.Unlock()
		if inv != nil && inv.done != nil {
			inv.done <- result{body: body, err: kind == "error"}
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(os.Stderr, "awslocal: %s failed to start: %s\n", f.Name, body)
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// serveAPI answers the AWS calls barrage makes.
func (c *Cloud) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && strings.HasSuffix(r.URL.Path, "/invocations"):
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
		async := r.Header.Get("X-Amz-Invocation-Type") == "Event"
		out, failed, err := c.Invoke(name, body, async)
		switch {
		case err != nil:
			awsError(w, http.StatusNotFound, "ResourceNotFoundException", err.Error())
		case async:
			w.WriteHeader(http.StatusAccepted)
		default:
			if failed {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
			}
			w.Write(out)
		}
	case r.Header.Get("X-Amz-Target") == "AmazonEC2ContainerServiceV20141113.RunTask":
		c.runTask(w, body)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/schedules/"):
		c.createSchedule(w, strings.TrimPrefix(r.URL.Path, "/schedules/"), body)
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

// runTask starts count task processes with the override environment.
func (c *Cloud) runTask(w http.ResponseWriter, body []byte) {
	var in struct {
		Count     int `json:"count"`
		Overrides struct {
			ContainerOverrides []struct {
				Environment []struct{ Name, Value string } `json:"environment"`
			} `json:"containerOverrides"`
		} `json:"overrides"`
	}
	json.Unmarshal(body, &in)
	env := append(os.Environ(), c.TaskEnv...)
	for _, o := range in.Overrides.ContainerOverrides {
		for _, kv := range o.Environment {
			env = append(env, kv.Name+"="+kv.Value)
		}
	}
	var tasks []map[string]string
	for i := range max(1, in.Count) {
		cmd := exec.Command(c.TaskBin)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = c.Log, c.Log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			awsError(w, http.StatusInternalServerError, "ServerException", err.Error())
			return
		}
		c.mu.Lock()
		c.tasks = append(c.tasks, cmd)
		c.mu.Unlock()
		tasks = append(tasks, map[string]string{"taskArn": fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:task/local/%d-%d", cmd.Process.Pid, i)})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"tasks": tasks, "failures": []any{}})
}

// createSchedule arms a one-time schedule: at(…) invokes the target then.
func (c *Cloud) createSchedule(w http.ResponseWriter, name string, body []byte) {
	var in struct {
		ScheduleExpression string
		Target             struct{ Arn, Input string }
	}
	json.Unmarshal(body, &in)
	at, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(strings.TrimPrefix(in.ScheduleExpression, "at("), ")"))
	if err != nil {
		awsError(w, http.StatusBadRequest, "ValidationException", "not an at() expression: "+in.ScheduleExpression)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.schedules[name]; dup {
		awsError(w, http.StatusConflict, "ConflictException", "schedule "+name+" exists")
		return
	}
	c.schedules[name] = time.AfterFunc(time.Until(at), func() { c.Invoke(in.Target.Arn, []byte(in.Target.Input), true) })
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"ScheduleArn": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/" + name})
}

// Close stops every function, task and schedule.
func (c *Cloud) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.schedules {
		t.Stop()
	}
	for _, f := range c.fns {
		for _, p := range f.procs {
			p.Process.Kill()
			p.Wait()
		}
		f.ln.Close()
	}
	for _, t := range c.tasks {
		t.Process.Signal(syscall.SIGTERM)
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

// SignalTasks sends sig to every task process still running (ECS sends
// SIGTERM when it stops a task, as on a Spot interruption) and returns how
// many it signalled.
func (c *Cloud) SignalTasks(sig syscall.Signal) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tasks {
		if t.Process.Signal(sig) == nil {
			n++
		}
	}
	return n
}

// WaitTasks waits until every task process has exited, or limit passes;
// it reports whether they all exited.
func (c *Cloud) WaitTasks(limit time.Duration) bool {
	c.mu.Lock()
	tasks := append([]*exec.Cmd(nil), c.tasks...)
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, t := range tasks {
			t.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}
