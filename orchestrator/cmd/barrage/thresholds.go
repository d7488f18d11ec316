package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
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

// writeJSON writes v as indented JSON, with < and > as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
