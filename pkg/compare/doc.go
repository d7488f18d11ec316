// Package compare sets two runs' reports side by side (barrage compare) and
// judges regression gates on the change (--fail-if).
//
// Text, Markdown and JSON carry the figures; HTML (html.go) is one
// self-contained page like report.html (package chart: uPlot inlined, the
// data one JSON blob) with the tables, the gates and A and B overlaid:
// the HdrHistogram percentile plots of the runs and of each target in both
// (x = 1/(1−q); the two runs' grids differ in length, so each line spans
// the x it lacks), and p99 per second, each run from its own start.
//
// Compare lines up the figures of run A, the baseline, and run B: the
// latency percentiles from the intended send (p50, p90, p95, p99, p999,
// max, mean, in ms), the rates (target, achieved, throughput, per second),
// the error ratio, the dropped arrivals and the requests, for the run and
// for each target by name (a target in one run only is listed with the side
// it lacks). Each row has the change:
//
//	change     = B − A                 in the metric's unit
//	change_pct = (B − A) / A · 100     undefined (null) when A = 0 and B ≠ 0; 0 when both are 0
//
// The error ratio is (requests − success) / requests, as thresholds count it
// (0 without requests); a target's throughput and achieved rate are its
// successes and requests over the run's send window.
//
// # Conditions
//
// A condition, as --fail-if takes it, is
//
//	[target=NAME:]METRIC OP CHANGE
//
// where OP is >, >=, < or <=, and CHANGE is relative, a signed percentage
// (+10%, -5%), or absolute in the metric's unit: a Go duration for latencies
// (+20ms, +1.5s), a number for the others (+0.01 for error_ratio, -50 for
// throughput). The condition holds when change_pct OP CHANGE, or change OP
// CHANGE: p99>+10% holds when B's p99 is more than 10% above A's. A relative
// condition against a zero baseline takes the change as +∞ when B rose from
// 0 (any rise from nothing is more than any percentage), −∞ when it fell,
// and 0 when both are 0. Several conditions may be given separated by
// commas (a target name with a comma cannot be named). A condition that
// holds is a regression.
package compare
