package reduce

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/hist"
)

// hdrJar finds HdrHistogram's own jar (Debian's libhdrhistogram-java, or
// BARRAGE_HDRHISTOGRAM_JAR) and java. Without them the test skips, but not
// in CI (CI=true), whose .ci/run installs them.
func hdrJar(t *testing.T) (java, jar string) {
	t.Helper()
	jar = os.Getenv("BARRAGE_HDRHISTOGRAM_JAR")
	if jar == "" {
		jar = "/usr/share/java/hdrhistogram.jar"
	}
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(jar); err != nil || serr != nil {
		msg := "HdrHistogram's HistogramLogProcessor needs java and " + jar + " (apt-get install libhdrhistogram-java)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return java, jar
}

// histogramLogProcessor runs HdrHistogram's reference reader over log,
// with extra arguments, in milliseconds, and returns the total count and
// the maximum of its percentile distribution (the .hgrm file's footer).
func histogramLogProcessor(t *testing.T, log []byte, extra ...string) (count int64, maxMs float64) {
	t.Helper()
	java, jar := hdrJar(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "report.hlog"), filepath.Join(dir, "out")
	if err := os.WriteFile(in, log, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-cp", jar, "org.HdrHistogram.HistogramLogProcessor", "-i", in, "-o", out,
		"-outputValueUnitRatio", "1000"}, extra...)
	if b, err := exec.Command(java, args...).CombinedOutput(); err != nil {
		t.Fatalf("HistogramLogProcessor %v: %v\n%s", extra, err, b)
	}
	hgrm, err := os.ReadFile(out + ".hgrm")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#\[Max\s+=\s+([0-9.]+), Total count\s+=\s+([0-9]+)\]`).FindSubmatch(hgrm)
	if m == nil {
		t.Fatalf("no Max/Total count footer in HistogramLogProcessor's .hgrm:\n%s", hgrm)
	}
	maxMs, _ = strconv.ParseFloat(string(m[1]), 64)
	count, _ = strconv.ParseInt(string(m[2]), 10, 64)
	return count, maxMs
}

// TestHlogHistogramLogProcessor: HdrHistogram's own tool reads report.hlog
// (the untagged intervals: the run) to the report's count and maximum, and
// with -tag one target's intervals to that target's.
func TestHlogHistogramLogProcessor(t *testing.T) {
	r, results, body := reducedRun(t)
	close := func(a, b float64) bool { return a >= b*0.999 && a <= b*1.001 } // 3 decimals of ms
	if n, mx := histogramLogProcessor(t, body); n != r.Requests || !close(mx, r.LatencyMs.Max) {
		t.Errorf("the run: HistogramLogProcessor read %d latencies, max %.3f ms; the report has %d, max %.3f ms",
			n, mx, r.Requests, r.LatencyMs.Max)
	}
	// One target, by its tag: its count and maximum, merged from the shards.
	var name string
	for _, tr := range results[0].Targets {
		name = tr.Name
		break
	}
	want := hist.New()
	for _, res := range results {
		for _, tr := range res.Targets {
			if tr.Name == name {
				if err := hist.MergeEncoded(want, tr.Latency); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	n, mx := histogramLogProcessor(t, body, "-tag", hist.LogTag(name))
	if n != want.Count() || !close(mx, float64(want.Max())/float64(time.Millisecond)) {
		t.Errorf("target %q (-tag %s): HistogramLogProcessor read %d latencies, max %.3f ms; the shards have %d, max %.3f ms",
			name, hist.LogTag(name), n, mx, want.Count(), float64(want.Max())/float64(time.Millisecond))
	}
}
