// Package plan is barrage's planner: it turns a RunSpec into shards (how
// many, of which kind and size, over which windows of the schedule) and says
// why, in numbers a user can check, with an AWS cost estimate. It reads no
// clock and imports no AWS code.
//
// # Sharding
//
// Shard k of N takes every N-th arrival of the global schedule, starting at
// arrival k (pacer.Striped), so N shards at R/N add up to exactly the global
// schedule. A run longer than a worker may last is cut into consecutive
// windows [From, To) of the schedule; the shard of window w sends the
// arrivals of its stripe due in that window (Window).
//
// A staged load (stages, find-max) is one global schedule, its steps run
// back to back (pacer.Stages), so striping and windows cut it like any
// other: a window may start in the middle of a step, and its first arrival
// is the parent's first arrival due at or after the window's start.
//
// # How many workers
//
// For a peak rate P (a ramp's larger end, a staged load's highest step) and
// workers of c vCPU:
//
//	CPU:    N ≥ ⌈P / (capacity per vCPU × c)⌉, capacity from the table below;
//	ports:  with a new connection per request, each closed connection holds
//	        its port for 60 s in TIME_WAIT; a worker may open at most
//	        ⌊ports / 2 / 60⌋ connections per second (235 with Linux's 28,232)
//	        so that TIME_WAIT never holds more than half its range:
//	        N ≥ ⌈P / 235⌉;
//	FDs:    a worker keeps at most 80 % of its file-descriptor limit in
//	        flight (819 of Lambda's 1,024); at a latency budget of 250 ms
//	        that carries 819 / 0.25 = 3,276 requests per second:
//	        N ≥ ⌈P × 0.25 / (0.8 × limit)⌉.
//
// N is the largest of the three (at least 1); --workers overrides it, with a
// warning for each limit the override breaks.
//
// # Capacity per vCPU
//
// Measured with barrage's own engine on a 2-vCPU VM (Xeon 2.8 GHz) against
// nginx on loopback, 2026-11-23, and planned at about half (headroom for the
// network stack, TLS, and noisy neighbours):
//
//	traffic                           measured               planned /s per vCPU
//	keep-alive HTTP/1.1               114,000 per CPU-s      10,000
//	                                  (closed loop); 20,000/s open model at 0.94 CPU
//	HTTP/2 (TLS or h2c)               36,000 per CPU-s       8,000
//	new connection per request        12,800 per CPU-s       4,000
//	TLS handshake per request         1,220 per CPU-s        600
//	(TLS 1.3, Go client)
//
// # Windows and kinds
//
// A Lambda runs at most 15 minutes; a Lambda window is at most 14, leaving a
// minute to upload. On the aws backend a longer run becomes consecutive
// Lambda windows of the same stripes when it needs at most 4 windows, and
// goes to Fargate tasks (no time limit; about 90 s to start) beyond that,
// or when Kind asks for them.
package plan
