package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/launch"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// ClaimGrace is how long after a shard's not_after the dispatcher waits
// for a claim before it records the shard missed: a worker that received
// the shard just in time may still be writing its claim.
const ClaimGrace = 2 * time.Second

// maxErrors bounds the failed attempts a dispatch record keeps.
const maxErrors = 20

// Dispatch dispatches window w of run id, each step at most once however
// often it is called: Lambda retries a failed asynchronous dispatch, and
// EventBridge may deliver a schedule twice. The steps, each recorded in
// the window's events.Dispatch record once done:
//
//  1. window 0 only: schedule the reducer at the run's deadline and the
//     later windows' dispatches, first, so that a run whose dispatch fails
//     later still gets a report;
//  2. send the window's shard messages to their queue (a retry after a
//     partial failure sends them all again: a duplicate delivery is found
//     claimed and sends nothing);
//  3. start as many workers as messages: Lambda invocations (counted, so a
//     retry starts only the missing ones) or Fargate tasks;
//  4. watch the window start: invoke workers again for shards still
//     unclaimed at the start, start tasks again for tasks that stopped
//     before running, and mark shards still unclaimed at their not_after
//     missed, saying why.
//
// A window of an aborted run, or one whose dispatch comes after its
// shards' not_after, is refused: recorded, its shards marked missed.
func (a *AWS) Dispatch(ctx context.Context, id string, w int) error {
	d := a.readDispatch(ctx, id, w)
	if d.Done || d.Refused != "" {
		return nil
	}
	p, err := a.Plan(ctx, id)
	if err != nil {
		return fmt.Errorf("dispatch run %s: %w", id, err)
	}
	if aborted, err := a.Store.Exists(ctx, store.AbortKey(id)); err != nil {
		return fmt.Errorf("dispatch run %s: %w", id, err)
	} else if aborted {
		return a.refuse(ctx, p, w, "the run was aborted before it was dispatched")
	}
	shards := windowShards(p, w)
	if len(shards) == 0 {
		return fmt.Errorf("dispatch run %s: the plan has no window %d", id, w)
	}
	if late := a.now().Sub(shards[0].NotAfter); late > 0 && !d.Sent {
		return a.refuse(ctx, p, w, fmt.Sprintf("its dispatch came %s after the window's not_after (its schedule fired late)", late.Round(time.Second)))
	}
	var spec events.RunSpec
	b, err := a.Store.Get(ctx, store.SpecKey(id))
	if err == nil {
		err = json.Unmarshal(b, &spec)
	}
	if err != nil {
		return fmt.Errorf("dispatch run %s: read its spec: %w", id, err)
	}
	// The stored spec is the prepared one (Submit): nothing to default.
	var lambdas, tasks [][]byte
	for i, m := range plan.Messages(p, spec, store.SpecKey(id)) {
		if p.Shards[i].Window != w {
			continue
		}
		body, _ := json.Marshal(m)
		if m.Kind == events.KindFargate {
			tasks = append(tasks, body)
		} else {
			lambdas = append(lambdas, body)
		}
	}
	step := func(name string, done bool, f func() error) error {
		if done {
			return nil
		}
		err := f()
		if err != nil {
			d.Errors = append(d.Errors, fmt.Sprintf("%s %s: %v", a.now().UTC().Format(time.RFC3339), name, err))
			d.Errors = d.Errors[max(0, len(d.Errors)-maxErrors):]
		}
		if serr := a.saveDispatch(ctx, d); err == nil {
			err = serr
		}
		if err != nil {
			a.log().Error("dispatch step failed", "run", id, "window", w, "step", name, "err", err)
			return fmt.Errorf("dispatch run %s window %d: %s: %w", id, w, name, err)
		}
		return nil
	}
	if err := step("schedule", w > 0 || d.Scheduled || a.Schedules == nil, func() error {
		if err := a.scheduleLater(ctx, p); err != nil {
			return err
		}
		d.Scheduled = true
		return nil
	}); err != nil {
		return err
	}
	if err := step("send", d.Sent, func() error {
		var errs []error
		if len(lambdas) > 0 {
			errs = append(errs, a.LambdaQueue.Send(ctx, lambdas))
		}
		if len(tasks) > 0 {
			errs = append(errs, a.FargateQueue.Send(ctx, tasks))
		}
		d.Sent = errors.Join(errs...) == nil
		return errors.Join(errs...)
	}); err != nil {
		return err
	}
	if err := step("invoke", d.Invoked >= len(lambdas), func() error {
		n, err := a.Workers.InvokeAsync(ctx, len(lambdas)-d.Invoked, events.WorkerPayload{RunID: id})
		d.Invoked += n
		return err
	}); err != nil {
		return err
	}
	if err := step("run tasks", len(d.Tasks) >= len(tasks), func() error {
		arns, err := a.Tasks.Run(ctx, len(tasks)-len(d.Tasks), map[string]string{TaskRunEnv: id})
		d.Tasks = append(d.Tasks, arns...)
		return err
	}); err != nil {
		return err
	}
	if err := step("watch", false, func() error { return a.watch(ctx, p, shards, d) }); err != nil {
		return err
	}
	d.Done = true
	return a.saveDispatch(ctx, d)
}

// windowShards returns the shards of window w.
func windowShards(p *events.Plan, w int) []events.PlanShard {
	var out []events.PlanShard
	for _, s := range p.Shards {
		if s.Window == w {
			out = append(out, s)
		}
	}
	return out
}

// watch follows window shards from their start to their not_after: shards
// still unclaimed at the start get a worker invoked again (once), tasks
// that stopped before running are started again (once each), and shards
// still unclaimed after not_after are marked missed with the reason.
func (a *AWS) watch(ctx context.Context, p *events.Plan, shards []events.PlanShard, d *events.Dispatch) error {
	poll := a.ClaimPoll
	if poll == 0 {
		poll = 2 * time.Second
	}
	start, notAfter := shards[0].WindowStart, shards[0].NotAfter
	reinvoked := d.Reinvoked > 0
	tick := time.NewTicker(poll)
	defer tick.Stop()
	relaunched := map[string]bool{}
	for arn := range d.Stopped {
		relaunched[arn] = true
	}
	for {
		state, err := reduce.Scan(ctx, a.Store, p.RunID)
		if err != nil {
			return err
		}
		var lambdas, tasks []events.PlanShard
		for _, s := range shards {
			if ss := state[s.ShardID]; ss.Claimed || ss.Missed || ss.Result {
				continue
			}
			if s.Kind == events.KindFargate {
				tasks = append(tasks, s)
			} else {
				lambdas = append(lambdas, s)
			}
		}
		if len(lambdas)+len(tasks) == 0 {
			return nil
		}
		if aborted, _ := a.Store.Exists(ctx, store.AbortKey(p.RunID)); aborted {
			return a.markMissed(ctx, p, append(lambdas, tasks...), "not run: the run was aborted before a worker took it")
		}
		now := a.now()
		if now.After(notAfter.Add(ClaimGrace)) {
			var errs []error
			if len(lambdas) > 0 {
				errs = append(errs, a.markMissed(ctx, p, lambdas, fmt.Sprintf(
					"no worker took it before its not_after: %d worker invocations were accepted for %d shards (%d more at the start for shards still unclaimed); the worker function was throttled (its concurrency, reserved or the account's, was used up), or its queued invocations were dropped after their maximum event age (see the dead-letter queue)",
					d.Invoked, len(windowLambdas(shards)), d.Reinvoked)))
			}
			if len(tasks) > 0 {
				errs = append(errs, a.markMissed(ctx, p, tasks, fmt.Sprintf("no task took it before its not_after: %d tasks started, %d stopped before running%s",
					len(d.Tasks), len(d.Stopped), stoppedReasons(d.Stopped))))
			}
			return errors.Join(errs...)
		}
		if !reinvoked && len(lambdas) > 0 && !now.Before(start) && a.Workers != nil {
			reinvoked = true
			n, err := a.Workers.InvokeAsync(ctx, len(lambdas), events.WorkerPayload{RunID: p.RunID})
			d.Reinvoked += n
			a.log().Info("shards unclaimed at their start: workers invoked again", "run", p.RunID, "unclaimed", len(lambdas), "accepted", n, "err", err)
			a.saveDispatch(ctx, d)
		}
		if len(tasks) > 0 && a.Tasks != nil && len(d.Tasks) > 0 {
			if err := a.relaunch(ctx, p.RunID, d, relaunched); err != nil {
				a.log().Error("describe or restart tasks", "run", p.RunID, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func windowLambdas(shards []events.PlanShard) []events.PlanShard {
	var out []events.PlanShard
	for _, s := range shards {
		if s.Kind != events.KindFargate {
			out = append(out, s)
		}
	}
	return out
}

// relaunch starts a task again for each task that stopped before running
// (once per task), and records why it stopped.
func (a *AWS) relaunch(ctx context.Context, id string, d *events.Dispatch, done map[string]bool) error {
	states, err := a.Tasks.Describe(ctx, d.Tasks)
	if err != nil {
		return err
	}
	again := 0
	for _, s := range states {
		if !s.Stopped || s.Running || done[s.ARN] {
			continue
		}
		done[s.ARN] = true
		if d.Stopped == nil {
			d.Stopped = map[string]string{}
		}
		d.Stopped[s.ARN] = s.Reason
		again++
	}
	if again == 0 {
		return nil
	}
	a.log().Info("tasks stopped before running: starting them again", "run", id, "tasks", again)
	arns, err := a.Tasks.Run(ctx, again, map[string]string{TaskRunEnv: id})
	d.Tasks = append(d.Tasks, arns...)
	return errors.Join(err, a.saveDispatch(ctx, d))
}

// stoppedReasons lists the distinct reasons tasks stopped before running.
func stoppedReasons(stopped map[string]string) string {
	seen := map[string]bool{}
	var why []string
	for _, r := range stopped {
		if !seen[r] {
			seen[r] = true
			why = append(why, r)
		}
	}
	if len(why) == 0 {
		return ""
	}
	sort.Strings(why)
	return ": " + strings.Join(why, "; ")
}

// markMissed writes a missed marker, with why, for each of shards that has
// none and no claim (a marker never overrides a worker's claim).
func (a *AWS) markMissed(ctx context.Context, p *events.Plan, shards []events.PlanShard, why string) error {
	var errs []error
	for _, s := range shards {
		if ok, _ := a.Store.Exists(ctx, store.ClaimKey(p.RunID, s.ShardID)); ok {
			continue
		}
		b, _ := json.Marshal(events.Claim{Worker: "dispatcher", At: a.now().UTC(), Reason: why})
		err := a.Store.Put(ctx, store.MissedKey(p.RunID, s.ShardID), b, store.PutOptions{IfAbsent: true, ContentType: "application/json"})
		if err != nil && !errors.Is(err, store.ErrExists) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// refuse records that window w of p will not be dispatched, and why, and
// marks its unclaimed shards missed. A window whose messages were sent is
// left to its dispatch.
func (a *AWS) refuse(ctx context.Context, p *events.Plan, w int, why string) error {
	d := a.readDispatch(ctx, p.RunID, w)
	if d.Sent || d.Done || d.Refused != "" {
		return nil
	}
	d.Refused = why
	if err := a.saveDispatch(ctx, d); err != nil {
		return err
	}
	a.log().Info("window not dispatched", "run", p.RunID, "window", w, "why", why)
	return a.markMissed(ctx, p, windowShards(p, w), fmt.Sprintf("window %d was not dispatched: %s", w, why))
}

// readDispatch reads window w's record, or starts a new one.
func (a *AWS) readDispatch(ctx context.Context, id string, w int) *events.Dispatch {
	d := &events.Dispatch{Version: events.DispatchVersion, RunID: id, Window: w}
	if b, err := a.Store.Get(ctx, store.DispatchKey(id, w)); err == nil {
		json.Unmarshal(b, d)
	}
	return d
}

func (a *AWS) saveDispatch(ctx context.Context, d *events.Dispatch) error {
	d.UpdatedAt = a.now().UTC()
	b, _ := json.Marshal(d)
	return a.Store.Put(context.WithoutCancel(ctx), store.DispatchKey(d.RunID, d.Window), b, store.PutOptions{ContentType: "application/json"})
}

// scheduleLater schedules the reducer at the plan's deadline and windows
// 1… at their start less the lead.
func (a *AWS) scheduleLater(ctx context.Context, p *events.Plan) error {
	if err := a.Schedules.At(ctx, launch.ScheduleName(p.RunID, "reduce"), p.Deadline, a.ReducerArn, events.ReducePayload{RunID: p.RunID}); err != nil {
		return err
	}
	for w := 1; w < windows(p); w++ {
		at := windowShards(p, w)[0].WindowStart.Add(-plan.WindowLead)
		if err := a.Schedules.At(ctx, launch.ScheduleName(p.RunID, fmt.Sprintf("w%d", w)), at, a.DispatcherArn,
			events.DispatchPayload{Action: events.ActionDispatch, RunID: p.RunID, Window: w}); err != nil {
			return err
		}
	}
	return nil
}
