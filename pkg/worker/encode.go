package worker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/barrage-load/barrage/events"
)

// encodeResult is res in JSON: the very bytes of json.Marshal(res), with
// far less memory at once for a long run.
//
// json.Marshal grows its buffer by doubling and then copies it out: a
// result of S bytes costs about 3·S of memory at its peak, and S grows with
// the run's length (its series: one point a second, each with its
// histograms, about 8 KB a second for three targets). Here everything but
// the series is encoded by json.Marshal (a few hundred bytes a second, for
// the health samples), and the series one point at a time into a buffer
// made once, of a size no smaller than its JSON (seriesBound): S and a
// little more.
func encodeResult(res *events.ShardResult) []byte {
	if len(res.Series) == 0 {
		return marshal(res)
	}
	rest := *res
	rest.Series = nil
	head := marshal(&rest)
	// The series member, as json.Marshal writes a nil series. Every quote
	// within a JSON string is escaped, so these bytes can only be members
	// of an object; the first is the result's own, the members before it
	// hold no object with a "series" member (their maps are keyed by
	// status code, error class and detail, their values never null).
	const member = `"series":null,"health":`
	at := bytes.Index(head, []byte(member))
	if at < 0 {
		panic("worker: encoding a result: no series member") // json.Marshal always writes it
	}
	at += len(`"series":`)
	buf := bytes.NewBuffer(make([]byte, 0, len(head)-len("null")+seriesBound(res.Series)))
	buf.Write(head[:at])
	buf.WriteByte('[')
	enc := json.NewEncoder(buf) // escapes HTML as json.Marshal does; its buffer is pooled
	for i := range res.Series {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(&res.Series[i]); err != nil {
			panic("worker: encoding a result: " + err.Error()) // our own types always marshal
		}
		buf.Truncate(buf.Len() - 1) // the newline Encode ends each value with
	}
	buf.WriteByte(']')
	buf.Write(head[at+len("null"):])
	return buf.Bytes()
}

// seriesBound is no less than the bytes of the JSON array of points s:
// each point's members at their longest (an int64 takes at most 20 bytes),
// each histogram as base64 (4 bytes for every 3, rounded up) or null, and
// each map key as if every byte of it were escaped (\u00XX, 6 bytes).
func seriesBound(s []events.SeriesPoint) int {
	const (
		maxInt64Len = len("-9223372036854775808")
		point       = len(`{"t":,"requests":,"success":,"errors":,"errors_by_class":{},"dropped":,"latency":,`+
			`"latency_uncorrected":,"target_latency":{}},`) + 5*maxInt64Len
		member = len(`"":,`) // a map entry's quotes, colon and comma
	)
	hist := func(h events.Histogram) int { return max(base64.StdEncoding.EncodedLen(len(h))+len(`""`), len("null")) }
	n := len(`[]`)
	for i := range s {
		p := &s[i]
		n += point + hist(p.Latency) + hist(p.LatencyUncorrected)
		for k := range p.ErrorsByClass {
			n += member + 6*len(k) + maxInt64Len
		}
		for k, h := range p.TargetLatency {
			n += member + 6*len(k) + hist(h)
		}
	}
	return n
}
