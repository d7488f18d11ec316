// Package hist is barrage's latency histogram: a small wrapper around
// hdrhistogram-go with one geometry for every histogram in the project, an
// overflow counter, a Merge that fails instead of dropping values, and one
// encoding on the wire.
//
// # Geometry
//
// Every Histogram records microseconds from Lowest (1 µs) to Highest
// (3,600,000,000 µs = 1 h) with SigFigs (3) significant decimal digits. HDR
// buckets values so that the value reported for a sample is within
// 1/1024 (< 0.1 %) of the sample: values up to 2,047 µs are exact, values in
// [2^k, 2^(k+1)) µs for k ≥ 11 share buckets 2^(k-10) µs wide. Such a
// histogram holds 23 × 1,024 = 23,552 counters (184 KiB) whatever it records,
// so recording never allocates and any two histograms merge exactly: the
// quantiles of a merge are those of one histogram that recorded every sample.
//
// Because every histogram has the same geometry, nothing on the wire or in
// memory says which geometry it has; decoding rejects any other.
//
// # Recording and overflow
//
// Record takes a time.Duration, rounds it to the nearest microsecond (half a
// microsecond rounds up) and records that. Values below Lowest, including zero
// and negative durations, are recorded as Lowest: a latency the clock could
// not resolve is still a request. Values above Highest, after rounding, are
// not recorded: they are counted in Overflow, and Count excludes them, so
// Count()+Overflow() is the number of calls to Record. Quantiles, Min, Max and
// Mean describe the recorded values only; a report should show Overflow
// beside them.
//
// # Merging
//
// The reducer merges hundreds of shard histograms, and a report built from a
// merge that silently lost samples would be wrong without saying so. hdr's own
// Merge returns the number of values it dropped and keeps going; Merge here
// checks first and returns an error instead, leaving the receiver unchanged:
// ErrGeometry when the other histogram is not one of ours (nil, the zero
// value, or another geometry), ErrDropped when the counts would overflow
// int64. Overflow counts add up.
//
// # Wire format
//
// MarshalBinary writes, and UnmarshalBinary and Decode accept, exactly this
// (all integers big-endian):
//
//	offset  size  field
//	0       2     magic "BH" (0x42 0x48)
//	2       1     version, 1
//	3       8     Overflow(), as uint64, at most math.MaxInt64
//	11      4     hdr V2 compressed cookie 0x1c849314
//	15      4     N, the length of the zlib stream that follows
//	19      N     zlib (RFC 1950) stream; nothing may follow it
//
// The zlib stream inflates to hdrhistogram's V2 encoding:
//
//	0       4     hdr V2 cookie 0x1c849313
//	4       4     P, the payload length
//	8       4     normalizing index offset, 0
//	12      4     significant digits, SigFigs
//	16      8     lowest trackable value, Lowest
//	24      8     highest trackable value, Highest
//	32      8     integer-to-double conversion ratio, float64 1.0
//	40      P     counters in index order, as ZigZag LEB128 varints: a
//	              positive n is the count of the next index, a negative -n
//	              skips n empty indices
//
// Bytes 11 onward are an HdrHistogram V2 compressed encoding, so other
// HdrHistogram tools can read them: for an inflated encoding over 1 KiB, the
// very bytes hdrhistogram-go's Encode(V2CompressedEncodingCookieBase)
// produces before its base64 step (zlib at its best compression); a smaller
// one (a per-second histogram) in stored deflate blocks, because it hardly
// compresses and a reducer inflates tens of thousands of them.
// MarshalText is the standard base64 encoding of the binary form, so a
// *Histogram field in a JSON document is a string, and a []byte holding the
// binary form (events.Histogram) encodes to the same string.
//
// # Interval logs
//
// LogWriter writes HdrHistogram's interval log (the .hlog of jHiccup and
// HistogramLogProcessor) through hdrhistogram-go's log writer; each
// interval's histogram is the V2 compressed encoding above, base64, values
// in microseconds.
//
// # Decoding untrusted input
//
// Decode never panics and rejects, with an error wrapping ErrCorrupt, any
// input that MarshalBinary could not have written: a short or unknown header
// (ErrVersion for a version other than 1), trailing bytes, a geometry other
// than ours (also ErrGeometry), a conversion ratio other than 1, a corrupt
// zlib stream or payload, a count at a value below Lowest or above the bucket
// of Highest, or counts that sum past int64. It reads the geometry before
// hdrhistogram-go does, so hostile input cannot make it allocate a counts
// array or inflate a payload larger than those of our geometry (184 KiB and
// 23,552 × 9 bytes); beyond that it allocates in proportion to its input.
package hist
