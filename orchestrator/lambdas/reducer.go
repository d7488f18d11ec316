package lambdas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// Reducer is the reducer Lambda. An S3 event for a shard's result.json
// reduces its run once every planned shard has reported (or was missed);
// the deadline schedule's payload reduces the run whatever has arrived.
type Reducer struct {
	Store store.Store
}

// Handle implements the function; it returns the runs it reported.
func (r *Reducer) Handle(ctx context.Context, payload json.RawMessage) ([]string, error) {
	var s3e lambdaevents.S3Event
	if json.Unmarshal(payload, &s3e) == nil && len(s3e.Records) > 0 && s3e.Records[0].S3.Object.Key != "" {
		runs := map[string]bool{}
		for _, rec := range s3e.Records {
			key, err := url.QueryUnescape(rec.S3.Object.Key) // S3 events URL-encode keys
			if err != nil {
				continue
			}
			if run := runOfResult(key); run != "" {
				runs[run] = true
			}
		}
		var done []string
		for run := range runs {
			ok, err := r.reduceIfComplete(ctx, run)
			if err != nil {
				return done, err
			}
			if ok {
				done = append(done, run)
			}
		}
		return done, nil
	}
	var p events.ReducePayload
	if err := json.Unmarshal(payload, &p); err != nil || p.RunID == "" {
		return nil, fmt.Errorf("reducer: unknown event")
	}
	if _, err := reduce.Reduce(ctx, r.Store, p.RunID); err != nil {
		return nil, err
	}
	return []string{p.RunID}, nil
}

// runOfResult returns the run of a key runs/{run}/shards/{shard}/result.json.
func runOfResult(key string) string {
	rest, ok := strings.CutPrefix(key, "runs/")
	run, _, _ := strings.Cut(rest, "/")
	if !ok || run == "" {
		return ""
	}
	if _, name, ok := store.ShardOf(run, key); !ok || name != "result.json" {
		return ""
	}
	return run
}

// reduceIfComplete reduces run when every planned shard has a result or
// was missed.
func (r *Reducer) reduceIfComplete(ctx context.Context, run string) (bool, error) {
	var p events.Plan
	b, err := r.Store.Get(ctx, store.PlanKey(run))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return false, err
	}
	state, err := reduce.Scan(ctx, r.Store, run)
	if err != nil {
		return false, err
	}
	for _, s := range p.Shards {
		if ss := state[s.ShardID]; !ss.Result && !ss.Missed {
			return false, nil
		}
	}
	_, err = reduce.Reduce(ctx, r.Store, run)
	return err == nil, err
}
