package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/report"
)

// failedThresholds returns a *thresholdError (exit 1) naming the thresholds
// of r that failed, or nil. It reads thresholds[].pass rather than passed,
// so a report written before thresholds existed never fails.
func failedThresholds(r *events.Report) error {
	var failed []string
	for _, t := range r.Thresholds {
		if !t.Pass {
			failed = append(failed, strings.TrimPrefix(report.ThresholdLine(t), "FAIL threshold "))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &thresholdError{fmt.Sprintf("%d of %d thresholds failed: %s", len(failed), len(r.Thresholds), strings.Join(failed, "; "))}
}

// errThresholdAbort ends scheduling when a threshold with an abort broke.
var errThresholdAbort = errors.New("a threshold broke")

// thresholdStop passes progress on and watches the thresholds that have an
// abort; when one has been broken for its abort.after, it ends scheduling
// (requests in flight finish, as at a first interrupt) and remembers why.
type thresholdStop struct {
	next   func(int, engine.Progress)
	w      *report.Watch
	stop   context.CancelCauseFunc
	stderr io.Writer
	mu     sync.Mutex
	why    string
}

// watchThresholds returns a context that ends with sched or when a
// threshold's abort fires, and the progress function that watches for it.
func watchThresholds(sched context.Context, ths []events.Threshold, shards int, next func(int, engine.Progress),
	stderr io.Writer) (context.Context, *thresholdStop) {
	ctx, stop := context.WithCancelCause(sched)
	return ctx, &thresholdStop{next: next, w: report.NewWatch(ths, shards), stop: stop, stderr: stderr}
}

func (t *thresholdStop) update(k int, p engine.Progress) {
	t.next(k, p)
	if t.w == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.why != "" {
		return
	}
	why := t.w.Update(k, p.Elapsed, report.Live{Requests: p.Requests, Errors: p.Errors, P99: p.P99})
	if why != "" {
		t.why = why
		fmt.Fprintln(t.stderr, "\n"+why)
		t.stop(errThresholdAbort)
	}
}

// reason is why a threshold stopped the run, or "".
func (t *thresholdStop) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.why
}

// writeJSON writes v as indented JSON, with < and > as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
