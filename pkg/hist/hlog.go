package hist

import (
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// LogWriter writes an HdrHistogram interval log (format version 1.3, as
// HdrHistogram's HistogramLogWriter and jHiccup write it) with
// hdrhistogram-go's log writer: a header, then one line per interval,
//
//	#[Histogram log format version 1.3]
//	#<each comment line>
//	#[StartTime: 1800000000 (seconds since epoch), 2027-01-15T08:00:00Z]
//	#[BaseTime: 1800000000 (seconds since epoch)]
//	"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//	0.000000,1.000000,0.048127,HISTFAAA…
//
// An interval's StartTimestamp is in seconds after BaseTime and its
// histogram is the V2 compressed encoding, base64, of its counts. Values are
// microseconds, the unit of every Histogram: HdrHistogram's tools assume
// nanoseconds, so give HistogramLogProcessor -outputValueUnitRatio 1000 to
// read milliseconds. Interval_Max is the interval's largest value divided
// by hdrhistogram-go's fixed ratio of 1,000,000, so seconds here; the
// tools read the histogram, not that column. Overflow is not in the log.
type LogWriter struct {
	w     *hdrhistogram.HistogramLogWriter // the header's writer
	out   io.Writer
	base  int64 // ms
	codec *Codec
	line  []byte
}

// NewLogWriter writes an interval log's header to w: the format version,
// one comment line per element of comments (which must not hold a line
// break), the start time (start, to the millisecond), and the base time
// base (whole seconds) that interval timestamps are relative to.
func NewLogWriter(w io.Writer, start, base time.Time, comments ...string) (*LogWriter, error) {
	lw := hdrhistogram.NewHistogramLogWriter(w)
	lw.SetBaseTime(base.Unix() * 1000)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return nil, fmt.Errorf("interval log header: %w", err)
	}
	for _, c := range comments {
		if err := lw.OutputComment(c); err != nil {
			return nil, fmt.Errorf("interval log header: %w", err)
		}
	}
	for _, write := range []func() error{
		func() error { return lw.OutputStartTime(start.UnixMilli()) },
		func() error { return lw.OutputBaseTime(base.Unix() * 1000) },
		lw.OutputLegend,
	} {
		if err := write(); err != nil {
			return nil, fmt.Errorf("interval log header: %w", err)
		}
	}
	return &LogWriter{w: lw, out: w, base: base.Unix() * 1000, codec: NewCodec()}, nil
}

// Interval writes h as the interval of length d that starts at start
// (both to the millisecond). It stamps h's underlying histogram with those
// times and changes nothing else; start must not be before the base time,
// which the log's timestamps cannot express. The line is the one
// hdrhistogram-go's HistogramLogWriter writes, byte for byte, but its
// histogram is encoded by a Codec kept for the log, not by a new zlib
// writer (about 1 MB) each time.
func (l *LogWriter) Interval(start time.Time, d time.Duration, h *Histogram) error {
	if err := h.check(); err != nil {
		return fmt.Errorf("interval at %v: %w", start, err)
	}
	if start.UnixMilli() < l.base {
		return fmt.Errorf("interval at %v: before the log's base time %v", start, time.UnixMilli(l.base).UTC())
	}
	h.h.SetStartTimeMs(start.UnixMilli())
	h.h.SetEndTimeMs(start.Add(d).UnixMilli())
	line := l.line[:0]
	if tag := h.h.Tag(); tag != "" {
		if badTag.MatchString(tag) {
			return fmt.Errorf("interval at %v: tag %q holds a comma, space or line break", start, tag)
		}
		line = append(append(append(line, "Tag="...), tag...), ',')
	}
	// As hdrhistogram-go's outputIntervalHistogram: seconds after the base
	// time, the length, the maximum over its MsToNsRatio, the histogram.
	t0 := (float64(h.h.StartTimeMs()) - float64(l.base)) / 1000.0
	t1 := (float64(h.h.EndTimeMs()) - float64(l.base)) / 1000.0
	line = strconv.AppendFloat(line, t0, 'f', 6, 64)
	line = append(line, ',')
	line = strconv.AppendFloat(line, t1-t0, 'f', 6, 64)
	line = append(line, ',')
	line = strconv.AppendFloat(line, float64(h.h.Max())/hdrhistogram.MsToNsRatio, 'f', 6, 64)
	line = append(line, ',')
	enc, err := l.codec.AppendHdr(l.codec.hdr[:0], h)
	if err != nil {
		return fmt.Errorf("interval at %v: %w", start, err)
	}
	l.codec.hdr = enc
	line = base64.StdEncoding.AppendEncode(line, enc)
	line = append(line, '\n')
	l.line = line
	if _, err := l.out.Write(line); err != nil {
		return fmt.Errorf("interval at %v: %w", start, err)
	}
	return nil
}

// badTag is the tags hdrhistogram-go's log writer refuses.
var badTag = regexp.MustCompile(`.[, \r\n].`)

// NewTaggedLogWriter writes intervals to w without a header: lines to
// append to a log that NewLogWriter began with the same base time (after
// its untagged intervals, so that a reader of untagged intervals meets them
// first).
func NewTaggedLogWriter(w io.Writer, base time.Time) *LogWriter {
	lw := hdrhistogram.NewHistogramLogWriter(w)
	lw.SetBaseTime(base.Unix() * 1000)
	return &LogWriter{w: lw, out: w, base: base.Unix() * 1000, codec: NewCodec()}
}

// TaggedInterval is Interval with the line tagged Tag=LogTag(tag), the
// name HistogramLogProcessor's -tag option picks. h's tag is cleared again
// before it returns.
func (l *LogWriter) TaggedInterval(start time.Time, d time.Duration, h *Histogram, tag string) error {
	h.h.SetTag(LogTag(tag))
	defer h.h.SetTag("")
	return l.Interval(start, d, h)
}

// LogTag is name as an interval log's tag: the log's lines are
// comma-separated and a reader splits a tag at the first comma, so commas,
// spaces and other whitespace or control characters become '_'; an empty
// name is "_". Two names may share a tag ("a b" and "a,b").
func LogTag(name string) string {
	if name == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
}
