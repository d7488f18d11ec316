// Package engine sends one shard's schedule of HTTP requests and measures
// them: the load generator at the heart of every barrage worker.
//
// Open model. Arrival i is due at start + Pacer.Due(i). One goroutine waits
// for each due time on a reused timer and hands the arrival to an idle
// in-flight slot (a worker goroutine), starting a new slot while fewer than
// MaxInflight exist. When every slot is busy the arrival is dropped and
// counted: the schedule never blocks and never queues arrivals to send them
// late in a burst. Idle slots are reused last-in first-out, so a run uses as
// few slots, and connections, as its concurrency needs.
//
// Honest latency. Each request's latency is recorded from its due time, so
// time spent waiting on the generator counts against it (no coordinated
// omission); the latency from the actual send is kept beside it, and so is
// the scheduling lag (actual send minus due time). A closed loop (no pacer)
// sends back to back from every slot; there due time and send time coincide.
//
// Result. Run returns what it measured as a Result of this package:
// counters, histograms (*hist.Histogram) for the shard and each target, a
// point per second, the generator's health. The engine knows nothing of
// runs, shards or the wire: the worker (pkg/worker) names the shard and
// encodes the histograms into an events.ShardResult.
//
// Connections. HTTP/1.1 goes through a lean client of this package: each
// request is serialized once, written as one slice, and its response parsed
// in place from a per-connection buffer with the body discarded, so a
// keep-alive request allocates nothing. Without keep-alive each arrival
// dials, sends, reads and closes, leaving the client side in TIME_WAIT as a
// real client would. HTTP/2 (TLS with ALPN, or h2c with prior knowledge) uses
// golang.org/x/net/http2 client connections, Connections of them per
// endpoint, with GOAWAY frames watched and counted by code.
//
// Statistics are kept in a few mutex-guarded stripes (see stats.go) and
// closed into a per-second time series with health samples (sampler.go).
// Requests in flight are counted where they start and end, and each sample
// reports the most at once in its second (inflight.go). Every error class
// keeps the first distinct messages of its errors, redacted, with their
// counts (messages.go).
package engine
