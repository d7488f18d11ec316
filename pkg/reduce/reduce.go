// Package reduce merges a run's shard results into its report, exactly
// once: it reads the plan and every stored result, lists shards that never
// reported as lost (or missed, when their only delivery came too late), and
// writes report.json with a conditional create, so a reducer run twice, or
// two reducers at once, leave one report. The reducer that wrote it then
// writes the renderings and report.hlog, the HdrHistogram interval log
// (hlog.go).
package reduce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/monitor"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/store"
)

// Reduce builds and stores the report of run. If a report is already
// stored, Reduce returns it unchanged.
func Reduce(ctx context.Context, st store.Store, run string) (*events.Report, error) {
	if r, err := Stored(ctx, st, run); err == nil {
		return r, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var p events.Plan
	if err := getJSON(ctx, st, store.PlanKey(run), &p); err != nil {
		return nil, err
	}
	var spec events.RunSpec
	if err := getJSON(ctx, st, store.SpecKey(run), &spec); err != nil {
		return nil, err
	}
	// The stored spec is the prepared one (pkg/prepare), defaults and all.
	state, err := Scan(ctx, st, run)
	if err != nil {
		return nil, err
	}
	in := report.Input{RunID: run, Name: spec.Name, Mode: Mode(&spec), Missed: map[string]bool{},
		Load: spec.Load, Thresholds: spec.Thresholds, ExpectFailures: spec.ExpectFailures, Reasons: Reasons(ctx, st, &p, state)}
	var keys []string
	for _, s := range p.Shards {
		in.Planned = append(in.Planned, report.Shard{ShardID: s.ShardID, Kind: s.Kind, PlannedRate: s.Rate})
		ss := state[s.ShardID]
		switch {
		case ss.Result:
			keys = append(keys, store.ResultKey(run, s.ShardID))
		case ss.Missed:
			in.Missed[s.ShardID] = true
		}
	}
	if in.Results, err = fetchResults(ctx, st, keys); err != nil {
		return nil, err
	}
	hl := &hlog{run: run}
	in.Second, in.TargetSecond = hl.second, hl.targetSecond
	r, err := report.Build(in)
	if err != nil {
		return nil, fmt.Errorf("reduce run %s: %w", run, err)
	}
	var warnings []string
	r.Monitor, warnings = monitor.Merge(spec.Monitor, in.Results) // the scraping shards' windows, joined
	r.Warnings = append(r.Warnings, warnings...)
	err = putReport(ctx, st, run, r, true)
	if errors.Is(err, store.ErrExists) {
		return Stored(ctx, st, run) // another reducer was first: its report stands
	}
	if err != nil {
		return nil, err
	}
	if err := hl.put(ctx, st, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Replace overwrites run's report and its renderings with r: for what
// comes after the reduce, such as a find-max binary search's steps.
func Replace(ctx context.Context, st store.Store, run string, r *events.Report) error {
	return putReport(ctx, st, run, r, false)
}

// putReport writes report.json (once, with once) and then report.txt,
// report.md and report.html.
func putReport(ctx context.Context, st store.Store, run string, r *events.Report, once bool) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // thresholds read "op": "<", not "\u003c"
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report of run %s: %w", run, err)
	}
	err := st.Put(ctx, store.ReportKey(run), b.Bytes(), store.PutOptions{IfAbsent: once, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store report of run %s: %w", run, err)
	}
	for name, render := range map[string]func(*bytes.Buffer, *events.Report) error{
		"report.txt":  func(b *bytes.Buffer, r *events.Report) error { return report.Text(b, r) },
		"report.md":   func(b *bytes.Buffer, r *events.Report) error { return report.Markdown(b, r) },
		"report.html": func(b *bytes.Buffer, r *events.Report) error { return report.HTML(b, r) },
	} {
		var buf bytes.Buffer
		if err := render(&buf, r); err == nil {
			var opts store.PutOptions
			if name == "report.html" { // opened in a browser straight from S3
				opts.ContentType = "text/html; charset=utf-8"
			}
			st.Put(ctx, store.ReportFile(run, name), buf.Bytes(), opts)
		}
	}
	return nil
}

// fetchResults reads and decodes the results at keys, in order.
func fetchResults(ctx context.Context, st store.Store, keys []string) ([]*events.ShardResult, error) {
	bodies, errs := store.GetMany(ctx, st, keys)
	out := make([]*events.ShardResult, len(keys))
	for i, b := range bodies {
		if errs[i] != nil {
			continue
		}
		var res events.ShardResult
		if errs[i] = json.Unmarshal(b, &res); errs[i] != nil {
			errs[i] = fmt.Errorf("decode %s: %w", keys[i], errs[i])
			continue
		}
		out[i] = &res
	}
	return out, errors.Join(errs...)
}

// Stored returns the stored report of run, or an error wrapping
// store.ErrNotFound.
func Stored(ctx context.Context, st store.Store, run string) (*events.Report, error) {
	var r events.Report
	if err := getJSON(ctx, st, store.ReportKey(run), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ShardState is what the store holds of one shard.
type ShardState struct {
	Claimed, Missed, Result bool
}

// Scan lists what the store holds of every shard of run.
func Scan(ctx context.Context, st store.Store, run string) (map[string]ShardState, error) {
	keys, err := st.List(ctx, store.RunPrefix(run)+"shards/")
	if err != nil {
		return nil, err
	}
	out := map[string]ShardState{}
	for _, k := range keys {
		shard, name, ok := store.ShardOf(run, k)
		if !ok {
			continue
		}
		s := out[shard]
		switch name {
		case "claim":
			s.Claimed = true
		case "missed":
			s.Missed = true
		case "result.json":
			s.Result = true
		}
		out[shard] = s
	}
	return out, nil
}

// Await waits until every shard of the plan has reported (a result, or
// missed) or the plan's deadline passes, polling every poll; it returns how
// many shards are still outstanding.
func Await(ctx context.Context, st store.Store, p *events.Plan, poll time.Duration) (int, error) {
	deadline := time.NewTimer(time.Until(p.Deadline))
	defer deadline.Stop()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		state, err := Scan(ctx, st, p.RunID)
		if err != nil {
			return -1, err
		}
		left := 0
		for _, s := range p.Shards {
			if ss := state[s.ShardID]; !ss.Result && !ss.Missed {
				left++
			}
		}
		if left == 0 {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-deadline.C:
			return left, nil
		case <-t.C:
		}
	}
}

// Mode names the connection mode of s for reports.
func Mode(s *events.RunSpec) string {
	m := "keepalive"
	switch {
	case s.HTTP2:
		m = "http2"
	case s.H2C:
		m = "h2c"
	}
	if !s.KeepAliveOn() {
		if m == "keepalive" {
			return "new-connection"
		}
		m += "-new-connection"
	}
	return m
}

func getJSON(ctx context.Context, st store.Store, key string, v any) error {
	b, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}
