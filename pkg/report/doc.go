// Package report merges shard results into a run's Report (report.json) and
// renders reports as text, Markdown and HTML.
//
// Merging is exact: counters add, histograms of the one geometry merge
// without loss (an error otherwise), and the time series is aligned by
// absolute second, so the merged percentiles of many shards equal those of
// one histogram over all their samples. A planned shard without a result is
// listed as lost with its planned rate and lowers Coverage; nothing is
// invented for it.
//
// Warnings say when the generator, not the target, may have limited or
// distorted the run: dropped arrivals, scheduling lag, CPU saturation,
// ephemeral-port and file-descriptor pressure, errors that only a generator
// causes (addr_in_use, too_many_open_files), HTTP/2 GOAWAYs, lost shards.
package report
