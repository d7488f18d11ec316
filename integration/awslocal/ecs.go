package awslocal

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// task is a started Fargate task: a process, or a handler in this process.
type task struct {
	arn       string
	mu        sync.Mutex
	running   bool // started running (never set for one that stops before)
	stopped   bool
	stopCode  string
	reason    string
	startedAt time.Time
	cmd       *exec.Cmd
	cancel    context.CancelFunc
	done      chan struct{}
}

func (t *task) state() (running, stopped bool, code, reason string, started time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.running, t.stopped, t.stopCode, t.reason, t.startedAt
}

func (t *task) finish(code, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped, t.stopCode, t.reason = true, code, reason
	}
}

// stop stops the task as ECS does: SIGTERM, or the handler's context.
func (t *task) stop() {
	if t.cmd != nil && t.cmd.Process != nil {
		t.cmd.Process.Signal(syscall.SIGTERM)
	}
	if t.cancel != nil {
		t.cancel()
	}
}

// runTask starts count tasks with the override environment, with the
// faults: a throttled call, tasks listed in failures[], tasks that stop
// before running.
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
	if c.Faults.RunTaskThrottled != nil && c.Faults.RunTaskThrottled() {
		awsError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	env := map[string]string{}
	for _, o := range in.Overrides.ContainerOverrides {
		for _, kv := range o.Environment {
			env[kv.Name] = kv.Value
		}
	}
	var tasks, failures []map[string]string
	for range max(1, in.Count) {
		if c.Faults.TaskFails != nil && c.Faults.TaskFails() {
			failures = append(failures, map[string]string{"reason": "RESOURCE:FARGATE", "detail": "capacity is unavailable at this time"})
			continue
		}
		t := &task{arn: "arn:aws:ecs:us-east-1:000000000000:task/local/" + c.id("task"), done: make(chan struct{})}
		if why := ""; c.Faults.TaskStopsBeforeRunning != nil {
			if why = c.Faults.TaskStopsBeforeRunning(); why != "" {
				t.finish("TaskFailedToStart", why)
				close(t.done)
			}
		}
		if !t.stopped {
			if err := c.startTask(t, env); err != nil {
				awsError(w, http.StatusInternalServerError, "ServerException", err.Error())
				return
			}
		}
		c.mu.Lock()
		c.tasks[t.arn] = t
		c.taskOrder = append(c.taskOrder, t.arn)
		c.mu.Unlock()
		tasks = append(tasks, map[string]string{"taskArn": t.arn, "lastStatus": "PROVISIONING"})
	}
	writeJSON(w, map[string]any{"tasks": tasks, "failures": failures})
}

// startTask runs t: its process, or TaskHandler.
func (c *Cloud) startTask(t *task, env map[string]string) error {
	t.running, t.startedAt = true, time.Now()
	if c.TaskHandler != nil {
		ctx, cancel := context.WithCancel(context.Background())
		t.cancel = cancel
		go func() {
			defer close(t.done)
			c.TaskHandler(ctx, env)
			t.finish("EssentialContainerExited", "Essential container in task exited")
		}()
		return nil
	}
	cmd := exec.Command(c.TaskBin)
	cmd.Env = append(os.Environ(), c.TaskEnv...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = c.Log, c.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	t.cmd = cmd
	go func() {
		defer close(t.done)
		cmd.Wait()
		t.finish("EssentialContainerExited", "Essential container in task exited")
	}()
	return nil
}

// describeTasks answers DescribeTasks.
func (c *Cloud) describeTasks(w http.ResponseWriter, body []byte) {
	var in struct{ Tasks []string }
	json.Unmarshal(body, &in)
	var tasks, failures []map[string]any
	for _, arn := range in.Tasks {
		c.mu.Lock()
		t := c.tasks[arn]
		c.mu.Unlock()
		if t == nil {
			failures = append(failures, map[string]any{"arn": arn, "reason": "MISSING"})
			continue
		}
		running, stopped, code, reason, started := t.state()
		d := map[string]any{"taskArn": arn, "lastStatus": "RUNNING"}
		if stopped {
			d["lastStatus"], d["stoppedReason"], d["stopCode"] = "STOPPED", reason, code
		}
		if running {
			d["startedAt"] = float64(started.UnixMilli()) / 1000
		}
		tasks = append(tasks, d)
	}
	writeJSON(w, map[string]any{"tasks": tasks, "failures": failures})
}

// stopTask answers StopTask.
func (c *Cloud) stopTask(w http.ResponseWriter, body []byte) {
	var in struct{ Task, Reason string }
	json.Unmarshal(body, &in)
	c.mu.Lock()
	t := c.tasks[in.Task]
	c.mu.Unlock()
	if t == nil {
		awsError(w, http.StatusBadRequest, "InvalidParameterException", "no task "+in.Task)
		return
	}
	t.stop()
	writeJSON(w, map[string]any{"task": map[string]string{"taskArn": in.Task}})
}

// SignalTasks sends sig to every task still running (ECS sends SIGTERM
// when it stops a task, as on a Spot interruption) and returns how many it
// signalled.
func (c *Cloud) SignalTasks(sig syscall.Signal) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.tasks {
		if _, stopped, _, _, _ := t.state(); stopped {
			continue
		}
		switch {
		case t.cmd != nil && t.cmd.Process.Signal(sig) == nil:
			n++
		case t.cancel != nil:
			t.cancel()
			n++
		}
	}
	return n
}

// WaitTasks waits until every task has stopped, or limit passes; it
// reports whether they all stopped.
func (c *Cloud) WaitTasks(limit time.Duration) bool {
	c.mu.Lock()
	var done []chan struct{}
	for _, t := range c.tasks {
		done = append(done, t.done)
	}
	c.mu.Unlock()
	timeout := time.After(limit)
	for _, d := range done {
		select {
		case <-d:
		case <-timeout:
			return false
		}
	}
	return true
}
