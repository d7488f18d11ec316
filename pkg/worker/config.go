package worker

import (
	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/plan"
)

// Default in-flight caps per worker when neither the plan nor the spec
// sets one.
const (
	DefaultOpenInflight   = 1000 // open model: enough for rate × latency at most rates
	DefaultClosedInflight = 64   // closed loop: the concurrency of the loop
)

// EngineConfig is the engine configuration of shard message m of spec s
// (defaults applied).
func EngineConfig(s *events.RunSpec, m events.ShardMessage) engine.Config {
	cfg := engine.Config{Targets: s.Targets, Timeout: s.Timeout.D(), KeepAlive: s.KeepAliveOn(),
		Insecure: s.Insecure, Connections: s.Connections, Start: m.WindowStart(),
		Duration: m.Length(), Pacer: plan.Pacer(m), Index: plan.Index(m), SamplePhase: engine.ShardPhase(m.Index)}
	switch {
	case s.HTTP2:
		cfg.Protocol = engine.HTTP2
	case s.H2C:
		cfg.Protocol = engine.H2C
	}
	if l := s.LateLimit; l != nil {
		cfg.LateLimit = l.D()
		if cfg.LateLimit == 0 {
			cfg.LateLimit = engine.NoLateLimit
		}
	}
	cfg.MaxInflight = m.MaxInflight
	if cfg.MaxInflight == 0 {
		cfg.MaxInflight = s.MaxInflight
	}
	if cfg.MaxInflight == 0 {
		cfg.MaxInflight = DefaultOpenInflight
		if cfg.Pacer == nil {
			cfg.MaxInflight = DefaultClosedInflight
		}
	}
	return cfg
}
