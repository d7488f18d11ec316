package awslocal

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// createSchedule arms a one-time schedule: at(…) invokes the target then,
// asynchronously, as EventBridge Scheduler does.
func (c *Cloud) createSchedule(w http.ResponseWriter, name string, body []byte) {
	var in struct {
		ScheduleExpression string
		Target             struct{ Arn, Input string }
	}
	json.Unmarshal(body, &in)
	if c.Faults.CreateScheduleFails != nil && c.Faults.CreateScheduleFails(name) {
		awsError(w, http.StatusInternalServerError, "InternalServerException", "injected failure")
		return
	}
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
	writeJSON(w, map[string]string{"ScheduleArn": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/" + name})
}

// deleteSchedule answers DeleteSchedule: the schedule no longer fires.
func (c *Cloud) deleteSchedule(w http.ResponseWriter, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.schedules[name]
	if !ok {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "schedule "+name+" does not exist")
		return
	}
	t.Stop()
	delete(c.schedules, name)
	writeJSON(w, map[string]string{})
}

// Schedules lists the schedules that have not been deleted (fired ones
// stay, as the time they fired cannot be known from here).
func (c *Cloud) Schedules() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n := range c.schedules {
		out = append(out, n)
	}
	return out
}
