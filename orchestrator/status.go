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
	// Overdue: the run has no report although it should have one: every
	// shard reported or was missed, or its deadline is past (AWS.Status).
	Overdue  bool `json:"-"`
	covered  bool
	deadline time.Time
}

// DefaultReduceGrace is how long after a run's deadline its report may
// take before a status read hands the run to the reducer itself.
const DefaultReduceGrace = time.Minute

// RunStatus reads the state of run id from the store, with its running
// shards' latest progress (their progress.json).
func RunStatus(ctx context.Context, st store.Store, id string, now time.Time) (*Status, error) {
	return runStatus(ctx, st, id, now, func(ctx context.Context, shards []string) []*events.ShardProgress {
		return storedProgress(ctx, st, id, shards)
	})
}

// progressOf returns the latest progress of the shards named (nil where
// there is none yet), in their order.
type progressOf func(ctx context.Context, shards []string) []*events.ShardProgress

// storedProgress reads the progress of run id's shards from the store, in
// parallel: a thousand shards read one by one from S3 would take longer
// than a status answer may.
func storedProgress(ctx context.Context, st store.Store, id string, shards []string) []*events.ShardProgress {
	keys := make([]string, len(shards))
	for j, sh := range shards {
		keys[j] = store.ProgressKey(id, sh)
	}
	bodies, errs := store.GetMany(ctx, st, keys)
	progress := make([]*events.ShardProgress, len(shards))
	for j := range shards {
		var sp events.ShardProgress
		if errs[j] == nil && json.Unmarshal(bodies[j], &sp) == nil {
			progress[j] = &sp
		}
	}
	return progress
}

// runStatus reads the state of run id from the store, and its running
// shards' latest progress from progress.
func runStatus(ctx context.Context, st store.Store, id string, now time.Time, progress progressOf) (*Status, error) {
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
	shards := make([]string, len(running))
	for j, i := range running {
		shards[j] = p.Shards[i].ShardID
	}
	for j, sp := range progress(ctx, shards) {
		if sp == nil {
			continue
		}
		s.Requests += sp.Requests
		if now.Sub(sp.T) < 15*time.Second {
			s.Rate += sp.Rate
		}
		s.Live = append(s.Live, events.LiveShard{Shard: running[j], ShardProgress: *sp})
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
