// Package reduce merges a run's shard results into its report, exactly
// once: it reads the plan, streams the stored results through a
// report.Builder in the order of the plan (Stream: a bounded read-ahead,
// each result decoded, folded into running sums and dropped, so memory
// does not grow with the number of shards), lists shards that never
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
	"runtime"
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
	if err := store.GetJSON(ctx, st, store.PlanKey(run), &p); err != nil {
		return nil, err
	}
	var spec events.RunSpec
	if err := store.GetJSON(ctx, st, store.SpecKey(run), &spec); err != nil {
		return nil, err
	}
	// The stored spec is the prepared one (pkg/prepare), defaults and all.
	state, err := Scan(ctx, st, run)
	if err != nil {
		return nil, err
	}
	in := report.Input{RunID: run, Name: spec.Name, Mode: Mode(&spec), Missed: map[string]bool{},
		Load: spec.Load, Thresholds: spec.Thresholds, ExpectFailures: spec.ExpectFailures, Reasons: Reasons(ctx, st, &p, state)}
	var keys []string // the results', in the order of the plan
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
	hl := &hlog{run: run}
	in.Second, in.TargetSecond = hl.second, hl.targetSecond
	b := report.NewBuilder(in)
	var scraped []*events.ShardResult // of the scraping shards, their scrapes only
	err = Stream(ctx, st, keys, func(res *events.ShardResult) error {
		if len(res.Monitor) > 0 {
			scraped = append(scraped, &events.ShardResult{ShardID: res.ShardID, StartedAt: res.StartedAt, Monitor: res.Monitor})
		}
		return b.Add(res)
	})
	if err != nil {
		return nil, err
	}
	r, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("reduce run %s: %w", run, err)
	}
	var warnings []string
	r.Monitor, warnings = monitor.Merge(spec.Monitor, scraped) // the scraping shards' windows, joined
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

// ReadAhead bounds the results Stream holds at once, read, decoded or
// waiting for their turn: enough reads in flight to hide a store's latency
// (store.GetParallel), few enough that memory does not grow with the run.
const ReadAhead = store.GetParallel

// Stream reads the results at keys, ReadAhead at a time, decodes them on
// up to GOMAXPROCS goroutines (decodeResult: what encoding/json decodes,
// its series by a decoder of our own, the rest by go-json-experiment's
// under encoding/json's options, which is twice as fast), and calls fold
// with each in the order of keys, one at a time, keeping none once fold
// returns. It stops at the first error, a read's, a decode's or fold's,
// and returns it.
func Stream(ctx context.Context, st store.Store, keys []string, fold func(*events.ShardResult) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the reads still in flight end; their slots are buffered
	type item struct {
		res *events.ShardResult
		err error
	}
	slots := make([]chan item, len(keys))
	for i := range slots {
		slots[i] = make(chan item, 1)
	}
	ahead := make(chan struct{}, ReadAhead)
	decoding := make(chan struct{}, runtime.GOMAXPROCS(0))
	var hint sizes
	go func() {
		for i, k := range keys {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				body, err := st.Get(ctx, k)
				if err != nil {
					slots[i] <- item{err: err}
					return
				}
				decoding <- struct{}{}
				res, err := decodeResult(body, &hint)
				if err != nil {
					err = fmt.Errorf("decode %s: %w", k, err)
				}
				<-decoding
				slots[i] <- item{res, err}
			}()
		}
	}()
	for i := range keys {
		var it item
		select {
		case it = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if it.err != nil {
			return it.err
		}
		if err := fold(it.res); err != nil {
			return err
		}
		<-ahead
	}
	return nil
}

// Stored returns the stored report of run, or an error wrapping
// store.ErrNotFound.
func Stored(ctx context.Context, st store.Store, run string) (*events.Report, error) {
	var r events.Report
	if err := store.GetJSON(ctx, st, store.ReportKey(run), &r); err != nil {
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
