package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestLateLimitFlag: --late-limit reaches the workers, and the report says
// which limit they used (10 ms by default, 0 for none); a negative one is
// bad input.
func TestLateLimitFlag(t *testing.T) {
	srv, _ := countingServer(t)
	tests := []struct {
		name string
		args []string
		want float64
	}{
		{"default", nil, 10},
		{"never drop", []string{"--late-limit", "0"}, 0},
		{"set", []string{"--late-limit", "250ms"}, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--target", srv.URL, "--rate", "20", "--duration", "300ms", "--json",
				"--quiet", "--out", t.TempDir()}, tt.args...)
			r := barrage(t, 30*time.Second, args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			var rep events.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("stdout is not report.json: %v\n%s", err, r.stdout)
			}
			if rep.LateLimitMs != tt.want {
				t.Errorf("late_limit_ms %v, want %v", rep.LateLimitMs, tt.want)
			}
		})
	}
	r := barrage(t, 10*time.Second, "run", "--target", srv.URL, "--late-limit", "-5ms")
	if r.code != 2 || !strings.Contains(r.stderr, "late_limit") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("negative late limit: exit %d, stderr %q; want 2 and one line naming late_limit", r.code, r.stderr)
	}
}
