package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// Status is a run's state for people and scripts (GET /runs/{id}, barrage
// status): events.RunStatus, and the running shards' latest progress.
type Status struct {
	events.RunStatus
	// Live is each running shard's latest progress, for live judgements
	// (thresholds with an abort).
	Live []ShardLive `json:"live,omitempty"`
	// Overdue: the run has no report although it should have one: every
	// shard reported or was missed, or its deadline is past (AWS.Status).
	Overdue  bool `json:"-"`
	covered  bool
	deadline time.Time
}

// DefaultReduceGrace is how long after a run's deadline its report may
// take before a status read hands the run to the reducer itself.
const DefaultReduceGrace = time.Minute

// ShardLive is one running shard's latest progress.
type ShardLive struct {
	// Shard is the shard's index in the plan; ElapsedS how far into the
	// run (not only its window) its progress was taken.
	Shard    int       `json:"shard"`
	T        time.Time `json:"t"`
	ElapsedS float64   `json:"elapsed_s"`
	Requests int64     `json:"requests"`
	Errors   int64     `json:"errors"`
	// Failed counts the requests that were not a success, transport
	// errors included (events.ShardProgress.Failed).
	Failed int64 `json:"failed"`
	// Dropped counts arrivals the shard did not send (every slot busy, or
	// reached too late): a generator that cannot keep up.
	Dropped int64   `json:"dropped"`
	P99Ms   float64 `json:"p99_ms"`
	// The figures since the shard's previous progress (events.ShardProgress).
	IntervalRequests int64   `json:"interval_requests"`
	IntervalSuccess  int64   `json:"interval_success"`
	IntervalP99Ms    float64 `json:"interval_p99_ms"`
}

// RunStatus reads the state of run id from the store.
func RunStatus(ctx context.Context, st store.Store, id string, now time.Time) (*Status, error) {
	var p events.Plan
	b, err := st.Get(ctx, store.PlanKey(id))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	s := &Status{RunStatus: events.RunStatus{RunID: id, StartAt: p.StartAt.Format(time.RFC3339), Deadline: p.Deadline.Format(time.RFC3339)}}
	s.Shards.Planned = len(p.Shards)
	state, err := reduce.Scan(ctx, st, id)
	if err != nil {
		return nil, err
	}
	var running []int
	for i, sh := range p.Shards {
		ss := state[sh.ShardID]
		if ss.Claimed {
			s.Shards.Claimed++
		}
		if ss.Result {
			s.Shards.Reported++
		}
		if ss.Missed && !ss.Result {
			s.Shards.Missed++
		}
		if ss.Claimed && !ss.Result {
			running = append(running, i)
		}
	}
	// The running shards' progress, read in parallel: a thousand shards
	// read one by one from S3 would take longer than a status answer may.
	keys := make([]string, len(running))
	for j, i := range running {
		keys[j] = store.ProgressKey(id, p.Shards[i].ShardID)
	}
	bodies, errs := store.GetMany(ctx, st, keys)
	progress := make([]*events.ShardProgress, len(running))
	for j := range running {
		var sp events.ShardProgress
		if errs[j] == nil && json.Unmarshal(bodies[j], &sp) == nil {
			progress[j] = &sp
		}
	}
	for j, i := range running {
		sp := progress[j]
		if sp == nil {
			continue
		}
		s.Requests += sp.Requests
		if now.Sub(sp.T) < 15*time.Second {
			s.Rate += sp.Rate
		}
		s.Live = append(s.Live, ShardLive{Shard: i, T: sp.T, ElapsedS: p.Shards[i].WindowFrom.D().Seconds() + sp.ElapsedS,
			Requests: sp.Requests, Errors: sp.Errors, Failed: sp.Failed, Dropped: sp.Dropped, P99Ms: sp.P99Ms, IntervalRequests: sp.IntervalRequests,
			IntervalSuccess: sp.IntervalSuccess, IntervalP99Ms: sp.IntervalP99Ms})
	}
	covered := s.Shards.Reported+s.Shards.Missed == s.Shards.Planned
	rep, err := reduce.Stored(ctx, st, id)
	aborted, _ := st.Exists(ctx, store.AbortKey(id))
	switch {
	case err == nil && rep.Coverage >= 1:
		s.State, s.Requests = events.StateComplete, rep.Requests
	case err == nil:
		s.State, s.Requests = events.StatePartial, rep.Requests
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	case aborted:
		s.State = events.StateAborted
	case now.Before(p.StartAt):
		s.State = events.StatePlanned
	case covered || now.After(p.StartAt.Add(planLength(&p))):
		s.State = events.StateReducing
	default:
		s.State = events.StateRunning
	}
	s.covered, s.deadline = covered && errors.Is(err, store.ErrNotFound), p.Deadline
	return s, nil
}

// planLength is how long the plan's schedule lasts.
func planLength(p *events.Plan) time.Duration {
	var l time.Duration
	for _, s := range p.Shards {
		l = max(l, s.WindowTo.D())
	}
	return l
}
