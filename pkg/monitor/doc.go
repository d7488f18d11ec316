// Package monitor scrapes the server's own metrics beside the load: the
// Prometheus endpoints a spec's monitor section names (events.Monitor),
// every second of the run, keeping the series whose names match.
//
// Who scrapes. On every backend the shard runtime (pkg/worker) runs a
// Scraper in one shard per window: the shard of stripe index 0, which
// every window of a plan has (pkg/plan numbers each window's shards 0 to
// n−1). It scrapes the whole seconds of its own window, [window_from,
// window_to) of the run, and the run's end too in the last window, so the
// windows together cover the run once, however many a long run has (a
// Lambda window lasts at most about 13 minutes). Its scrapes travel in its
// ShardResult (events.ShardResult.Monitor, points at seconds from the run's
// start); the reducer joins the windows' (Merge) into report.json's
// monitor section. Locally the one window's shard s0000 scrapes, the same
// way. A shard that is lost loses its window's scrapes: the report warns.
//
// What is scraped. Each second k of the window, due at the run's start + k
// seconds on an absolute schedule, each endpoint is fetched once with a
// GET (Accept: the Prometheus text format) through a hostguard.Dialer, the
// run's guard: only an allowed host and a checked address is dialed;
// redirects are not followed. The answer is parsed with
// prometheus/common's expfmt text parser, and a sample is kept when its
// metric family's name, or its own (a histogram's _bucket, _sum, _count),
// matches one of the endpoint's patterns whole (events.Monitor.Matcher).
// A value that is not finite (NaN, ±Inf) is skipped: JSON has no such
// number. A second whose scrape is still running when the next is due is
// skipped, never caught up.
//
// Bounds. A scrape takes at most Timeout (default 1 s, the interval) and
// reads at most MaxBody bytes; an endpoint keeps at most
// events.MaxMonitorSeries series, in the order they were first scraped,
// and counts the matching series beyond (SeriesDropped; the report warns).
// Scrape failures (no connection, a status other than 200, a body that is
// not Prometheus text) are counted with the last one's error and never
// stop the run.
package monitor
