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
// warning for each limit the override breaks. A quota may ask for fewer,
// busier workers (# Quotas).
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
// A Lambda worker lives at most the function's timeout T (LambdaTimeout,
// 900 s), counted from the start of its invocation. Within it come: the
// lead L between its invocation and its window's start, the window, the
// upload margin M (UploadMargin, 15 s: the worker stops scheduling M before
// its deadline, to upload its result) and a slack S (WindowSlack, 15 s: an
// Init phase that overran its 10 s runs again inside the invocation and
// counts against T; clocks differ by a few seconds). So a window lasts at
// most T − L − M − S:
//
//	first window:  L = LambdaLead (10 s; its workers are invoked at planning)
//	               900 − 10 − 15 − 15 = 860 s = 14m20s: a run up to 14m20s is one window;
//	later windows: L = WindowLead (90 s; EventBridge Scheduler fires within
//	               about a minute of the time asked, then a cold start)
//	               900 − 90 − 15 − 15 = 780 s = 13m: a longer run is cut into
//	               ⌈D / 13m⌉ windows of 13 minutes, the last one shorter.
//
// The windows tile the run: window w is [w × 13m, min(D, (w+1) × 13m)).
// Options.LambdaTimeout plans for a deployment with another timeout (at
// least a minute of window must remain). On the aws backend a longer run
// becomes consecutive Lambda windows of the same stripes when it needs at
// most 4 windows (52 minutes), and goes to Fargate tasks (no time limit;
// about 90 s to start) beyond that, or when Kind asks for them.
//
// Consecutive windows overlap: window w+1's workers are invoked WindowLead
// before window w ends, and window w's run up to M past it, so a run of
// several windows has 1 + ⌈(WindowLead + M) / window⌉ windows' workers
// alive at once (2 with 13-minute windows).
//
// # Quotas
//
// A plan above the account's quotas is throttled, and its shards come out
// missed. Options.Quotas gives the planner the figures (zero: unknown, and
// the reasons say they were not checked):
//
//	Lambda:  shards per window × windows alive at once ≤ the concurrency the
//	         worker may use (its reserved concurrency, else the account's
//	         unreserved concurrency; a new account has 10);
//	Fargate: tasks × vCPU per task ≤ the Fargate On-Demand (or Spot) vCPU quota.
//
// Above a quota, unless --workers fixed the count, the planner first tries
// fewer, busier workers at the same size: it spends headroom, up to
// ceilings below the measured limits (StretchCPU: 1.5 × the planned
// capacity per vCPU, three quarters of the measured at most; ports:
// TIME_WAIT holding up to StretchPortShare = 80 % of the range,
// ⌊0.8 × 28,232 / 60⌋ = 376 new connections per second; file descriptors
// do not stretch), and takes as many workers as the quota allows, with a
// warning. If even the fewest workers under the ceilings exceed the Lambda
// quota, and Lambda was not asked for, the run goes to Fargate, checked
// the same way; otherwise Make refuses it with a *QuotaError naming the
// quota, its value, the need and how to raise it.
//
// Lambda's own functions (the dispatcher invoking the workers) briefly use
// the same unreserved pool; Lambda retries a throttled asynchronous
// invocation within seconds, well inside a shard's 30 s start tolerance,
// so the planner does not keep concurrency back for them.
package plan
