package health

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestCPUPercent(t *testing.T) {
	at := func(cpu time.Duration) Snapshot { return Snapshot{CPUTime: cpu} }
	tests := []struct {
		name      string
		prev, cur Snapshot
		wall      time.Duration
		cores     float64
		want      CPUUsage
	}{
		// Half a second of CPU in one second: half a core, a quarter of two.
		{"half core", at(time.Second), at(1500 * time.Millisecond), time.Second, 2, CPUUsage{50, 2, 0.25}},
		// Three threads busy for two seconds: 300 % of a core, 75 % of four.
		{"three threads", at(0), at(6 * time.Second), 2 * time.Second, 4, CPUUsage{300, 4, 0.75}},
		// Idle.
		{"idle", at(time.Second), at(time.Second), time.Second, 1, CPUUsage{0, 1, 0}},
		// No capacity given: no fraction, but still the percentage.
		{"no cores", at(0), at(time.Second), time.Second, 0, CPUUsage{100, 0, 0}},
		// A 0.25-core container limit, passed in by the caller: saturated.
		{"fractional quota", at(0), at(250 * time.Millisecond), time.Second, 0.25, CPUUsage{25, 0.25, 1}},
		// No time passed: nothing to divide by.
		{"zero wall", at(0), at(time.Second), 0, 2, CPUUsage{0, 2, 0}},
		// CPU time went backwards: snapshots of different processes.
		{"backwards", at(2 * time.Second), at(time.Second), time.Second, 2, CPUUsage{0, 2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CPUPercent(tt.prev, tt.cur, tt.wall, tt.cores)
			if !near(got.PercentOfCore, tt.want.PercentOfCore) || got.Cores != tt.want.Cores || !near(got.Fraction, tt.want.Fraction) {
				t.Errorf("CPUPercent(%v, %v, %v, %v) = %+v, want %+v", tt.prev.CPUTime, tt.cur.CPUTime, tt.wall, tt.cores, got, tt.want)
			}
		})
	}
}

// near reports whether a and b agree to 1e-9.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAvailableCores(t *testing.T) {
	if got := AvailableCores(); got < 1 {
		t.Errorf("AvailableCores() = %v, want ≥ 1", got)
	}
}

func ExampleCPUPercent() {
	prev := Snapshot{CPUTime: 10 * time.Second}
	cur := Snapshot{CPUTime: 13 * time.Second}
	u := CPUPercent(prev, cur, 2*time.Second, 2)
	fmt.Printf("%.0f%% of one core, %.0f%% of %v cores\n", u.PercentOfCore, 100*u.Fraction, u.Cores)
	// Output: 150% of one core, 75% of 2 cores
}
