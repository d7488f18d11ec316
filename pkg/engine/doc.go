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
// knowledge) uses golang.org/x/net/http2 client connections, Connections
// of them per endpoint, with GOAWAY frames watched and counted by code.
//
// HTTP/2 and x/net. x/net marks its HTTP/2 client and server deprecated in
// favour of net/http's own HTTP/2: http.Protocols (UnencryptedHTTP2 for h2c),
// and since Go 1.26 http.Transport.NewClientConn and http.ClientConn. The
// engine keeps x/net's ClientConn on purpose (h2.go), because it needs
// control of each connection that net/http does not expose:
//
//   - It brings its own connection. The engine dials through the host
//     guard's checked dialer with the request's deadline, counts the
//     connection in its health figures, and wraps it to read the frames the
//     server sends (goawayConn: GOAWAY counted by code even when no request
//     fails, an HTTP/1.1 answer to the h2c preface told apart). x/net's
//     Transport.NewClientConn takes that net.Conn; net/http's
//     NewClientConn(ctx, scheme, address) dials through the Transport's own
//     dial hooks and has no supported way to take one (x/net's Go 1.27
//     wrapper smuggles it in through a context value).
//   - It retires a connection gently and knows when one is dead: Shutdown
//     lets the streams in flight finish when a GOAWAY or an error replaces
//     it, and State().Closed tells a warmed connection the server closed
//     before the first request (TestHTTP2WarmConnectionLost). http.ClientConn
//     has Close, Err, Available, Reserve and Release only.
//   - Its errors are typed: x/net returns GoAwayError, StreamError,
//     ConnectionError and ErrFrameTooLarge, which errclass classifies by type
//     (STYLE.md: never by text); net/http's bundled HTTP/2 reports GOAWAY and
//     connection errors as unexported types, which would all count as
//     "other" (errclass's h2_test.go pins both clients' errors).
//
// staticcheck is told so where the deprecated names are used: a
// //lint:file-ignore SA1019 in h2.go and in errclass's h2_test.go (which
// pins what this client returns), and a //lint:ignore SA1019 where errclass
// matches http2.GoAwayError and in its example, each pointing here. The
// tests' h2c servers use
// net/http's own unencrypted HTTP/2 (http.Server.Protocols), which speaks
// the same protocol as x/net's deprecated h2c package. Two things will
// reopen this choice: issue 14 reworks the HTTP/2 client for speed (this
// decision changed nothing on the hot path), and from Go 1.27 x/net's
// Transport and ClientConn become wrappers over net/http's unless built
// with -tags http2legacy, so that their errors and Shutdown then come from
// net/http: errclass's h2_test.go will tell what changed.
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
