package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/pkg/hist"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// TestLateLimit: the run starts 500 ms late (its start is past when Run is
// called, as on a throttled worker), so arrivals due at 0, 100, …, 400 ms
// are reached 500, 400, …, 100 ms late; those due at 500 ms and after are
// on time. The late limit decides which late ones are sent: the default
// (10 ms) drops all five, 250 ms drops the three later than that, and
// NoLateLimit sends every one, with its lag counted. The result says which
// limit it was (0: none).
func TestLateLimit(t *testing.T) {
	tests := []struct {
		name      string
		limit     time.Duration
		late      int64 // arrivals dropped late, of 10
		maxLag    time.Duration
		reportsMs float64
	}{
		{"default", 0, 5, 0, 10},
		{"250ms", 250 * time.Millisecond, 3, 200 * time.Millisecond, 250},
		{"never", NoLateLimit, 0, 500 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log arrivalLog
				e := pipeEngine(t, Config{Pacer: pacer.Constant{R: 10, D: time.Second}, Timeout: time.Second,
					LateLimit: tt.limit, Start: time.Now().Add(-500 * time.Millisecond)}, 10, log.answer(0, okLen))
				res := runBubble(t, e, context.Background(), context.Background())
				c := res.Counts
				if c.Requests != 10-tt.late || c.Dropped != tt.late || c.DroppedLate != tt.late || c.Success != c.Requests {
					t.Errorf("requests %d (%d ok), dropped %d (%d late); want %d, %d late",
						c.Requests, c.Success, c.Dropped, c.DroppedLate, 10-tt.late, tt.late)
				}
				want := hist.New()
				want.Record(tt.maxLag)
				if lag := res.Lag; lag.Max() != want.Max() {
					t.Errorf("lag max %v, want %v", lag.Max(), tt.maxLag)
				}
				if got := res.Health.LateLimitMs; got != tt.reportsMs {
					t.Errorf("Health.LateLimitMs %v, want %v", got, tt.reportsMs)
				}
			})
		})
	}
}
