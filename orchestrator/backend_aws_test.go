package orchestrator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
)

// inMemory sends requests straight to a handler: no sockets, so a client
// can run in a synctest bubble.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// recordDisplay keeps what a run's display was given.
type recordDisplay struct {
	mu     sync.Mutex
	states []string
	errs   int
}

func (d *recordDisplay) Update(u Update) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if u.Err != nil {
		d.errs++
		return
	}
	d.states = append(d.states, u.Status.State)
}
func (d *recordDisplay) Note(string) {}
func (d *recordDisplay) End()        {}

// TestAPIBackendNoReport follows a deployed run whose reducer never runs:
// the API says "reducing", then fails (503) on every read. Following gives
// up at the deadline, not before, with the last state and the last error.
func TestAPIBackendNoReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var plan *events.Plan
		var reads int
		api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/prod/runs":
				var in struct {
					RunID string `json:"run_id"`
				}
				b, _ := io.ReadAll(r.Body)
				json.Unmarshal(b, &in)
				start := time.Now().Add(10 * time.Second)
				plan = &events.Plan{RunID: in.RunID, StartAt: start, Deadline: start.Add(40 * time.Second),
					Shards: []events.PlanShard{{ShardWindow: events.ShardWindow{ShardID: "s0000", WindowTo: events.Duration(5 * time.Second)}}}}
				w.WriteHeader(http.StatusAccepted)
				json.NewEncoder(w).Encode(events.SubmitResponse{RunID: in.RunID, New: true, Plan: plan})
			case r.Method == http.MethodGet && r.URL.Path == "/prod/runs/"+plan.RunID:
				if reads++; time.Now().After(plan.Deadline) {
					w.WriteHeader(http.StatusServiceUnavailable)
					io.WriteString(w, `{"message": "Service Unavailable"}`)
					return
				}
				st := Status{RunStatus: events.RunStatus{RunID: plan.RunID, State: events.StateReducing}}
				st.Shards.Planned = 1
				json.NewEncoder(w).Encode(st)
			default:
				http.NotFound(w, r)
			}
		})
		c := &APIClient{URL: "https://abc.execute-api.us-east-1.amazonaws.com/prod", HTTP: &http.Client{Transport: inMemory{api}}}
		d := &recordDisplay{}
		_, err := Execute(t.Context(), &APIBackend{Client: c}, events.RunSpec{},
			ExecOptions{Show: func(*Submitted) Display { return d }})
		synctest.Wait() // the follower has gone
		var late *NotFinishedError
		if !errors.As(err, &late) || late.RunID != plan.RunID || !time.Now().Equal(FollowDeadline(plan)) {
			t.Fatalf("error %v at %v; want the run not finished at %v", err, time.Now(), FollowDeadline(plan))
		}
		if msg := err.Error(); !strings.Contains(msg, "(state reducing; 0 of 1 shards reported); last status read: Service Unavailable (HTTP 503)") {
			t.Errorf("message %q", msg)
		}
		if len(d.states) == 0 || d.errs == 0 || reads < 100 {
			t.Errorf("display saw %d states, %d errors, after %d reads; want both, and reads every 2 s", len(d.states), d.errs, reads)
		}
	})
}
