// Package pacer holds arrival schedules: pure functions from an arrival's index
// to the time it is due, relative to the start of the schedule. A pacer never
// reads a clock, so a table test can pin it row by row, and the engine, the
// planner and the reducer all compute the same schedule.
//
// Arrival i is due at start + Due(i). The engine waits for that instant (one
// reused timer) and hands the arrival to a free in-flight slot, or counts it as
// dropped: the schedule never blocks and never bursts to catch up.
//
// Constant: Due(i) = i / r. Arrival i owns the slot [i/r, (i+1)/r), so a
// constant pacer over d seconds holds ⌈r·d⌉ arrivals.
//
// Linear (a ramp from rate a to rate b over D): the rate is r(t) = a + k·t with
// k = (b−a)/D, and the arrivals due before t number N(t) = a·t + k·t²/2.
// Arrival i is due when N(t) = i, the positive root
//
//	t = (−a + √(a² + 2·k·i)) / k = 2·i / (a + √(a² + 2·k·i)),
//
// the second form being exact also when k = 0 and stable when k is tiny.
//
// Striped (shard k of n): takes every n-th arrival of another pacer, starting
// at arrival k: Due_k(j) = Due(k + j·n). The union of the n striped pacers is
// the original schedule exactly, so n shards at r/n add up to a smooth r rather
// than n synchronised bursts (k6's execution segments do the same).
//
// Stages (pieces P₀, P₁, … run back to back): piece k starts at
// S_k = L₀ + … + L_{k−1} (L the pieces' lengths) and holds
// C_k = P_k.Arrivals(L_k) arrivals; F_k = C₀ + … + C_{k−1} arrivals come
// before it. Arrival i belongs to the piece k with F_k ≤ i < F_{k+1}, and
//
//	Due(i) = S_k + P_k.Due(i − F_k),    Arrivals(t) = F_k + P_k.Arrivals(t − S_k)  for S_k ≤ t < S_{k+1}.
//
// Each piece counts from its own start, as if alone: a stage of r/s starts
// with an arrival at its first instant, so the gap across a boundary is at
// most the ending stage's period, and may be shorter than either stage's.
// A stage at rate 0 is a pause. Striping a Stages schedule gives every shard
// the same shape at its share of the rate, as for any pacer.
package pacer
