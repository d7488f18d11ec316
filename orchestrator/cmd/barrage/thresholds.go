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
// and barrage report: orchestrator.ErrNoResult (exit 3) when it had no
// arrival at all; a *thresholdError (exit 1) when nothing succeeded and the
// spec did not expect it (the report's first warning says so), or when
// thresholds failed; else nil. It reads nothing_succeeded and
// thresholds[].pass rather than passed, so a report written before either
// existed never fails.
func verdict(r *events.Report) error {
	if r.Requests == 0 && r.Dropped == 0 {
		return fmt.Errorf("%w: no request was sent", orchestrator.ErrNoResult)
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
