package hist

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// logLine is the grammar of an interval log, as HdrHistogram's
// HistogramLogReader (Java) and hdrhistogram-go's log reader parse it and
// as jHiccup writes it (hdrhistogram-go's test/jHiccup-2.0.7S.logV2.hlog):
// comments and the two time lines start with '#', the legend is quoted,
// and an interval is "start,length,max,HISTF…" with an optional "Tag=x,"
// before it. The HISTF prefix is the base64 of the V2 compressed cookie.
var logLine = []*regexp.Regexp{
	regexp.MustCompile(`^#\[Histogram log format version 1\.3\]$`),
	regexp.MustCompile(`^#\[StartTime: \d+ \(seconds since epoch\), \d{4}-\d\d-\d\dT[\d:]+Z\]$`),
	regexp.MustCompile(`^#\[BaseTime: \d+ \(seconds since epoch\)\]$`),
	regexp.MustCompile(`^"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"$`),
	regexp.MustCompile(`^\d+\.\d+,\d+\.\d+,\d+\.\d+,HISTF[A-Za-z0-9+/]+=*$`),
	regexp.MustCompile(`^#[^\[].*|^#\[[^\]]*\]$`), // any other comment
}

// TestLogWriterRoundTrip writes three intervals and reads them back with
// hdrhistogram-go's log reader: each interval holds the very counts
// written, at the times written, and every line has the format's grammar.
func TestLogWriterRoundTrip(t *testing.T) {
	start := time.Date(2027, 1, 15, 8, 0, 0, 250e6, time.UTC)
	base := start.Truncate(time.Second)
	var b bytes.Buffer
	w, err := NewLogWriter(&b, start, base, "[a comment]")
	if err != nil {
		t.Fatal(err)
	}
	var want []*Histogram
	for i := range 3 {
		h := New()
		for v := range 100 * (i + 1) { // 1 µs … 300 ms, and one value past the exact range
			h.RecordMicros(int64(v*1000 + 1))
		}
		h.RecordMicros(int64(5_000_000 + i)) // 5 s: in a bucket 4,096 µs wide
		if err := w.Interval(base.Add(time.Duration(i)*time.Second), time.Second, h); err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	if err := w.Interval(base.Add(-time.Second), time.Second, New()); err == nil {
		t.Error("an interval before the base time was written")
	}
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		ok := false
		for _, re := range logLine {
			ok = ok || re.MatchString(line)
		}
		if !ok {
			t.Errorf("line %d does not follow the format: %q", i+1, line)
		}
	}

	r := hdrhistogram.NewHistogramLogReader(&b)
	for i, h := range want {
		got, err := r.NextIntervalHistogram()
		if err != nil || got == nil {
			t.Fatalf("interval %d: %v, %v", i, got, err)
		}
		wantStart := base.Add(time.Duration(i) * time.Second).UnixMilli()
		if got.StartTimeMs() != wantStart || got.EndTimeMs() != wantStart+1000 {
			t.Errorf("interval %d: [%d, %d] ms; want [%d, %d]", i, got.StartTimeMs(), got.EndTimeMs(), wantStart, wantStart+1000)
		}
		if !got.Equals(h.h) {
			t.Errorf("interval %d: read %d values, max %d; want the %d written, max %d", i, got.TotalCount(), got.Max(), h.Count(), h.h.Max())
		}
		for _, q := range []float64{0.5, 0.99, 1} {
			if g, w := got.ValueAtQuantile(q*100), h.Quantile(q).Microseconds(); g != w {
				t.Errorf("interval %d: q%v = %d µs; want %d", i, q, g, w)
			}
		}
	}
	if got, err := r.NextIntervalHistogram(); got != nil || err != nil {
		t.Errorf("a fourth interval: %v, %v", got, err)
	}
}

// TestLogWriterRejectsZero checks that a zero Histogram is refused rather
// than written as something the reader would misread.
func TestLogWriterRejectsZero(t *testing.T) {
	w, err := NewLogWriter(&bytes.Buffer{}, time.Unix(10, 0), time.Unix(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Interval(time.Unix(10, 0), time.Second, &Histogram{}); err == nil {
		t.Error("a zero histogram was written")
	}
}
