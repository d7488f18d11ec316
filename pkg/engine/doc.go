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
// real client would. Journeys' steps go through the same client
// (h1client.go: H1Conn, lent to pkg/journey, which serializes each step's
// request and dials through Iteration.Dial), the parser keeping the header
// block and the first bytes of a body for their extractors; only a journey
// run with HTTP/2 keeps net/http. HTTP/2 (TLS with ALPN, or h2c with prior
// knowledge) goes through a lean client of this package too (h2.go,
// h2conn.go, h2read.go, h2hpack.go), Connections connections per endpoint,
// with GOAWAY frames counted by code.
//
// HTTP/2. The client is built from golang.org/x/net/http2's Framer, which
// writes its frames, and hpack: each target's request headers are encoded
// once, as an HPACK block of static-table indexes and literals that are
// never indexed, valid on any connection, so a request's HEADERS frame is
// that block behind a frame header. Each connection has a reader goroutine
// that parses the server's frames in place from its read buffer (x/net's
// Framer allocates a frame for every HEADERS it reads), decodes header
// blocks with an HPACK decoder of its own that keeps only the :status and
// the dynamic table's sizes (x/net's hpack.Decoder copies every value it
// indexes into a new string), counts and discards bodies while
// giving flow-control credit back (the client announces 1 MiB per stream
// and 1 GiB per connection, and returns credit at half of each), and
// completes streams. A writer goroutine sends what the streams and the
// reader queued in one buffer; woken, it yields once so that the streams
// due at the same moment queue their frames too, and several HEADERS (and
// DATA) frames go out in one write. A sweeper resets a stream whose timeout
// passed with RST_STREAM CANCEL, and its request fails as a timeout. The
// worker that sent a request waits on its own stream, which it reuses for
// every request: a request on a warm connection allocates nothing
// (BenchmarkH2). Latency is measured as for HTTP/1.1, from the due time to
// the end of the response.
//
// System calls. Reads and writes on plain TCP sockets, TLS's underneath
// included, are raw system calls (rawio_linux.go): the sockets are
// non-blocking, the runtime's poller waits for them, and a call that
// cannot block need not tell the scheduler it entered one. Telling it is
// what cost most on a generator pinned to one CPU: the first system call
// after each spell in which the process was idle wakes the runtime's
// monitor thread, which then polls every 20 µs for a millisecond, each
// time taking the CPU from the engine; closed-loop HTTP/2 on four
// connections spent about 10 % of its CPU there and found fewer responses
// per read. In a closed loop each HTTP/2 slot keeps to one connection, as
// h2load's clients do, so the streams one read ended go out again in one
// write.
//
// The client keeps what the engine needs of each connection and what
// x/net's ClientConn gave it before: it dials through the engine's checked
// dialer (dialProto), counted in the health figures; with TLS, a server
// that does not negotiate h2 by ALPN fails with errNoH2; the preface and
// the SETTINGS exchange happen at the dial, so the server's
// MAX_CONCURRENT_STREAMS is honoured from the first stream (requests
// beyond it wait for a stream, first come first served) and an HTTP/1.1
// answer to the h2c preface is told apart (errHTTP1Answer). SETTINGS are
// applied (MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE) and
// acknowledged, PINGs answered, request bodies sent in DATA frames within
// the server's windows. RST_STREAM fails its stream with an
// http2.StreamError; a GOAWAY is counted by code, fails the streams above
// its last stream id with an errclass.GoAwayError (the server did not
// process them), lets those up to it finish, and the pool replaces the
// connection, closing the old one when its last stream ends; so does a
// connection that ran out of stream ids or broke. A connection's end fails
// its open streams with its error, wrapped in an errclass.GoAwayError after
// a GOAWAY. Every error is typed, for errclass (STYLE.md: never by text).
// The pool's connections are warmed before the start and closed at the
// end of a run, when no stream is left; an abort closes them at once.
//
// Why not x/net's or net/http's client. The engine used x/net's
// ClientConn until issue 14: a connection of its own (goawayConn sniffed
// GOAWAY frames on the read side), Shutdown for a gentle replacement, and
// typed errors, which net/http's ClientConn (Go 1.26) does not offer (it
// dials through its Transport's hooks, has no Shutdown, and its HTTP/2
// errors after a GOAWAY are unexported types). But x/net's client costs
// per request what a load generator cannot afford: an http.Request and
// http.Response, a header map encoded with HPACK on every request,
// goroutines and channels per stream, a body reader, a timer per context:
// barrage reached 0.52× h2load's requests per CPU-second with it
// (bench/README.md). x/net also marks that client deprecated, and from Go
// 1.27 wraps net/http's. The Framer and hpack are not deprecated.
//
// Statistics are kept in a few mutex-guarded stripes (see stats.go) and
// closed into a per-second time series with health samples (sampler.go).
// A second's latencies are appended to lists under the stripe's lock and
// recorded into its histograms by the sampler, which swaps the lists out at
// the whole second and closes the second at the shard's phase
// (Config.SamplePhase, ShardPhase): the shards of one process close their
// seconds one after the other, and read /proc once between them
// (health.Host), so that adding shards never holds up a scheduler.
// Requests in flight are counted where they start and end, and each sample
// reports the most at once in its second (inflight.go). Every error class
// keeps the first distinct messages of its errors, redacted, with their
// counts (messages.go).
package engine
