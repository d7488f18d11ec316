package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/report"
)

// verdict judges a finished run by its report r, the same for barrage run
// and barrage report: noRequest's error (exit 3) when it had no arrival at
// all; a *thresholdError (exit 1) when nothing succeeded and the spec did
// not expect it (the report's first warning says so), or when thresholds
// failed; else nil. It reads nothing_succeeded and thresholds[].pass rather
// than passed, so a report written before either existed never fails.
func verdict(r *events.Report) error {
	if err := noRequest(r); err != nil {
		return err
	}
	var why []string
	if r.NothingSucceeded && !r.ExpectFailures && len(r.Warnings) > 0 {
		why = append(why, r.Warnings[0])
	}
	if err := failedThresholds(r); err != nil {
		why = append(why, err.msg)
	}
	if len(why) == 0 {
		return nil
	}
	return &thresholdError{strings.Join(why, "; ")}
}

// noRequest returns, for a run that sent no request and dropped no
// arrival, an error that wraps orchestrator.ErrNoResult (exit 3) and says
// why, from the report: "no request was sent: 2 of 2 shards failed: …"
// (report.NothingSent). It returns nil for a run that sent anything.
func noRequest(r *events.Report) error {
	if why := report.NothingSent(r); why != "" {
		return &noResultError{why}
	}
	return nil
}

// noResultError is a run without a result, and why (exit 3).
type noResultError struct{ why string }

func (e *noResultError) Error() string { return e.why }
func (e *noResultError) Unwrap() error { return orchestrator.ErrNoResult }

// failedThresholds returns a *thresholdError naming the thresholds of r
// that failed, or nil.
func failedThresholds(r *events.Report) *thresholdError {
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

// writeJSON writes v as indented JSON, with < and > as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
