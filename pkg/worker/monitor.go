package worker

import (
	"context"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/monitor"
)

// startMonitor starts scraping the spec's monitor endpoints when shard m
// is the one of its window that scrapes (monitor.Scrapes: stripe 0), until
// ctx ends or the returned stop, which returns what was scraped (nil for
// the other shards). Its connections go through guard, the run's.
func startMonitor(ctx context.Context, spec *events.RunSpec, m *events.ShardMessage, guard hostguard.Guard) (func() []events.MonitorReport, error) {
	if !monitor.Scrapes(spec, m) {
		return func() []events.MonitorReport { return nil }, nil
	}
	cfg := monitor.ConfigFor(spec, m)
	cfg.Dialer = &hostguard.Dialer{Guard: guard}
	s, err := monitor.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s.Stop, nil
}
