package worker

import (
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
)

// TestEngineConfigLateLimit: the spec's late_limit reaches the engine:
// unset is the engine's default, 0 never drops, a duration is itself.
func TestEngineConfigLateLimit(t *testing.T) {
	d := func(v time.Duration) *events.Duration { x := events.Duration(v); return &x }
	tests := []struct {
		name string
		spec *events.Duration
		want time.Duration
	}{
		{"unset", nil, 0}, // engine.New applies DefaultLateLimit
		{"zero never drops", d(0), engine.NoLateLimit},
		{"a duration", d(250 * time.Millisecond), 250 * time.Millisecond},
	}
	for _, tt := range tests {
		s := events.RunSpec{Targets: []events.Target{{URL: "http://127.0.0.1/"}}, LateLimit: tt.spec}.WithDefaults()
		if got := EngineConfig(&s, events.ShardMessage{}).LateLimit; got != tt.want {
			t.Errorf("%s: LateLimit %v, want %v", tt.name, got, tt.want)
		}
	}
}
