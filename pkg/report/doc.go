// Package report merges shard results into a run's Report (report.json) and
// renders reports as text, Markdown and HTML.
//
// The HTML report (html.go) is one self-contained page: the text report's
// figures and tables, with every second of the run, and its charts (charts.go,
// chartsteps.go, chartmonitor.go) drawn by package chart, which inlines
// uPlot. TestBrowser opens it in headless Chromium; TestBrowserCompare
// opens barrage compare's page (package compare) the same way. Text and
// Markdown summarise what the page plots, and say so: every k-th second
// of a long run, and the monitor section's series by their least,
// greatest and last value (monitortable.go).
//
// Merging is exact: counters add, histograms of the one geometry merge
// without loss (an error otherwise), and the time series is aligned by
// absolute second, so the merged percentiles of many shards equal those of
// one histogram over all their samples. A planned shard without a result is
// listed as lost with its planned rate and lowers Coverage; nothing is
// invented for it. A Builder merges results one at a time and keeps none
// (Build is a Builder fed a slice): totals and per-target histograms add up
// as they come, and each second's histograms (corrected, uncorrected, per
// target) are held sparse (hist.Sparse) until Finish writes the series, so
// a reducer streams thousands of results in bounded memory.
//
// Warnings say when the generator, not the target, may have limited or
// distorted the run: dropped arrivals, scheduling lag, CPU saturation,
// ephemeral-port and file-descriptor pressure, errors that only a generator
// causes (addr_in_use, too_many_open_files), HTTP/2 GOAWAYs, lost shards, a
// worker's second short of its planned arrivals by more than counting and
// timing explain (shortAcc works it out). Before them all comes the one
// thing that makes every figure moot: that nothing was sent, and why, from
// what became of the shards (NothingSent), or that nothing succeeded
// (verdict.go).
//
// Errors are broken down the same way for the run and for each target
// (errors.go): by class, detail and message, the counts of what is kept
// exact over the shards and at most events.MaxErrorDetails details and
// events.MaxErrorMessages messages kept per class, the most frequent.
//
// # Steps
//
// A stages or find-max load reports each of its steps (events.Load.Steps,
// the one list the planner also runs) from the merged per-second series.
// Second k is the interval [k, k+1) s after the run's start (every shard
// shares the start, so the shards' seconds line up exactly); requests sit in
// the second they completed, drops in the second they were due. A step
// [From, To) is judged over the whole seconds k with From + settle ≤ k and
// k + 1 ≤ min(To, end of the send window): the first second (find_max.settle,
// default 1 s) is left out because responses completing then were partly sent
// at the previous step's rate, and a step cut short by the end of the run is
// judged over what it ran. Its histogram is the exact merge of those seconds'.
//
// For each judged step: offered rate = the planned rate's mean over the
// judged seconds (all shards, lost ones included); sent rate = requests the
// reporting shards sent per second (their health samples); ok rate =
// successes per second; error ratio = (requests − successes) / requests, so
// transport errors, timeouts and statuses other than 2xx/3xx all count, and
// dropped arrivals, which were never sent, do not.
//
// # Find-max verdicts
//
// A find-max step (not the warm-up) is judged against the SLO:
//
//   - not-run: no whole second could be judged (the run ended first);
//   - fail: the error ratio is above its limit, a response never came while
//     requests were sent, or a latency percentile is above its limit by more
//     than the generator's worst lag p99 in the step (with its CPU below
//     CPUWarnPercent): the target broke the SLO;
//   - generator-limited: the latency excess is within the generator's own
//     lag, or its CPU was saturated, so the generator may explain it; or the
//     SLO held but the reporting shards sent less than SentShortRatio of the
//     offered rate (drops because every in-flight slot was busy, stalls,
//     lost shards): the target never got the load;
//   - pass: otherwise.
//
// The maximum sustainable rate is the rate of the highest passing step before
// the first step that did not pass; the report names that step, its rate and
// why (StoppedBy). Later steps are judged too, as evidence. Generator-side
// error classes (addr_in_use, too_many_open_files) are not told apart per
// step: the run's warnings name them.
//
// # Thresholds
//
// Judge evaluates the spec's thresholds on the built report: run-wide on its
// totals, per target on the target's, per step on the step's judged seconds.
// A threshold without data fails, with a note.
package report
