package awssim

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator/lambdas"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/spec"
	"github.com/barrage-load/barrage/pkg/store"
)

// TestStoredSpecPrepared: a spec that enters the deployment without its
// defaults, posted to the API or stored for the scheduler, is stored
// prepared; the workers run that spec as it is (they would fail a shard
// whose spec lacks its defaults), and every arrival is accounted for.
func TestStoredSpecPrepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	check := func(t *testing.T, s *Sim, id string, written events.RunSpec, by string) {
		t.Helper()
		b, err := s.Store.Get(ctx, store.SpecKey(id))
		if err != nil {
			t.Fatal(err)
		}
		var stored events.RunSpec
		if err := json.Unmarshal(b, &stored); err != nil {
			t.Fatal(err)
		}
		want, err := prepare.Spec(written)
		if err != nil {
			t.Fatal(err)
		}
		want.SubmittedBy = by
		if !stored.Defaulted() || !reflect.DeepEqual(stored, want) {
			t.Errorf("stored spec %s\nwant the spec prepared: %+v", b, want)
		}
	}
	arrivals := func(t *testing.T, s *Sim, o *Outcome) {
		t.Helper()
		s.Truthful(t, o)
		if c := Count(o.Report); c[events.StatusComplete] != 1 || o.Report.Requests+o.Report.Dropped != 20 {
			t.Errorf("shards %v, %d requests and %d dropped; want one complete shard and 20 arrivals%s",
				c, o.Report.Requests, o.Report.Dropped, Reasons(o.Report))
		}
	}

	t.Run("api", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{}) // a target of its own, whose requests it counts
		raw := events.RunSpec{Targets: []events.Target{{URL: s.Target}}, Load: events.Load{Rate: 20},
			Duration: events.Duration(time.Second), Workers: 1}
		if raw.Defaulted() {
			t.Fatal("the raw spec has its defaults already")
		}
		start := time.Now()
		res, err := s.API.Submit(ctx, raw, "raw-1", "")
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, res.RunID, raw, "arn:aws:iam::000000000000:user/AKIDSIM")
		arrivals(t, s, s.Follow(t, res.RunID, res.Plan, start, time.Minute))
	})
	t.Run("scheduler", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		yaml := "targets:\n  - url: " + s.Target + "\nload: {rate: 20}\nduration: 1s\nworkers: 1\n"
		if err := s.Store.Put(ctx, "specs/raw.yaml", []byte(yaml), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		written, err := spec.Decode([]byte(yaml), "raw.yaml")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		when := start.UTC().Truncate(time.Second)
		payload, _ := json.Marshal(events.StoredSpecPayload{Schedule: "raw", SpecKey: "specs/raw.yaml", Time: when.Format(time.RFC3339)})
		if _, failed, err := s.Cloud.Invoke(Scheduler, payload, false); err != nil || failed {
			t.Fatalf("scheduler invocation failed: %v", err)
		}
		id := lambdas.RunIDFor("raw", when)
		check(t, s, id, written, "schedule raw")
		p, err := s.AWS.Plan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		arrivals(t, s, s.Follow(t, id, p, start, time.Minute))
	})
}
