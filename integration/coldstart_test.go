//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/stack"
	"github.com/barrage-load/barrage/pkg/store"
)

// coldStarts is how many cold starts of each function BenchmarkColdStart
// takes the median of; BARRAGE_COLD_STARTS overrides it.
const coldStarts = 5

// BenchmarkColdStart measures the Lambda functions' cold start (bench/README.md):
// the size of each bootstrap as functions/build.sh builds it, for this
// host's architecture and for arm64 (the deployed one), raw and zipped;
// each one's init time under AWS's runtime emulator (aws-lambda-rie's
// "INIT REPORT": from the bootstrap's exec to its first call for the next
// invocation); and for the worker, the time from the invocation to the
// first request at a target on 127.0.0.1, through the deployed path (an
// asynchronous invocation takes the shard from SQS, fauxqs here, claims it
// and reads the spec in S3, MinIO here). Beneath them, the floor: the
// init of a bootstrap of aws-lambda-go alone (testdata/coldfloor), what
// the emulator and any Go process cost. Each cold start is a new emulator
// and a new process; the figures are medians. It asserts no time: run it
// with
//
//	go test -tags integration ./integration -run '^$' -bench ColdStart -benchtime 1x -v
func BenchmarkColdStart(b *testing.B) {
	n := coldStarts
	if v, err := strconv.Atoi(os.Getenv("BARRAGE_COLD_STARTS")); err == nil && v > 0 {
		n = v
	}
	rie := RIE(b)
	dir := b.TempDir()
	fns := []string{"worker", "reducer", "api", "scheduler"}
	for _, arch := range slices.Compact([]string{runtime.GOARCH, "arm64"}) {
		out := filepath.Join(dir, arch)
		cmd := exec.Command("bash", "functions/build.sh")
		cmd.Dir = filepath.Dir(here())
		cmd.Env = append(os.Environ(), "GOARCH="+arch, "BARRAGE_LAMBDA_OUT="+out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("functions/build.sh for %s: %v\n%s", arch, err, msg)
		}
		for _, fn := range fns {
			raw, zipped := sizes(b, filepath.Join(out, fn, "bootstrap"))
			b.Logf("%-9s %-5s bootstrap %10d B (%5.1f MB), zipped %10d B (%5.1f MB)", fn, arch, raw, mb(raw), zipped, mb(zipped))
			b.ReportMetric(float64(raw), fn+"-"+arch+"-bytes")
			b.ReportMetric(float64(zipped), fn+"-"+arch+"-zip-bytes")
		}
	}
	// The floor: a bootstrap of aws-lambda-go's runtime client alone, built
	// alike, for this host.
	floor := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(dir, runtime.GOARCH, "floor", "bootstrap"), "./integration/testdata/coldfloor")
	floor.Dir = filepath.Dir(here())
	floor.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := floor.CombinedOutput(); err != nil {
		b.Fatalf("build the floor bootstrap: %v\n%s", err, msg)
	}
	raw, zipped := sizes(b, filepath.Join(dir, runtime.GOARCH, "floor", "bootstrap"))
	b.Logf("%-9s %-5s bootstrap %10d B (%5.1f MB), zipped %10d B (%5.1f MB): aws-lambda-go alone", "floor", runtime.GOARCH, raw, mb(raw), zipped, mb(zipped))

	m := StartMinIO(b)
	f := StartFauxqs(b)
	lq := f.CreateQueue(b, "lambda-shards")
	var first atomic.Int64 // unix ns of the first request since the last reset
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		first.CompareAndSwap(0, time.Now().UnixNano())
	}))
	b.Cleanup(srv.Close)
	// Only what Lambda's own environment holds (not this host's: a
	// variable such as AWS_CA_BUNDLE would cost every init a parse of the
	// bundle), the harness's credentials, and the local endpoints; the
	// metadata address stays off (nothing here may contact it).
	base := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=en_US.UTF-8", "TZ=:UTC",
		"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey, "AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region, "AWS_EC2_METADATA_DISABLED=true",
		stack.EnvS3Endpoint + "=" + m.Endpoint, stack.EnvSQSEndpoint + "=" + f.Endpoint, stack.EnvBucket + "=" + m.Bucket}
	// Each function's environment as the stack gives it (cdk/stack.go),
	// with the local servers' endpoints.
	env := map[string][]string{
		"worker":  {stack.EnvLambdaQueueURL + "=" + lq, stack.EnvAllowedTargets + "=127.0.0.1", stack.EnvAllowLoopback + "=true"},
		"reducer": nil,
		"api": {stack.EnvWorkerFunction + "=worker", stack.EnvDispatcher + "=scheduler", stack.EnvReducerArn + "=reducer",
			stack.EnvScheduleGroup + "=barrage", stack.EnvAllowedTargets + "=127.0.0.1", stack.EnvMaxRate + "=5000",
			stack.EnvMaxDuration + "=10m", stack.EnvWorkerMemoryMB + "=1769", stack.EnvTaskVCPU + "=1"},
	}
	env["scheduler"] = append(slices.Clone(env["api"]), stack.EnvLambdaQueueURL+"="+lq, stack.EnvCluster+"=local",
		stack.EnvTaskDefinition+"=worker:1", stack.EnvTaskContainer+"=worker", stack.EnvSubnets+"=subnet-1",
		stack.EnvSecurityGroup+"=sg-1", stack.EnvSchedulerRole+"=arn:aws:iam::000000000000:role/scheduler")
	host := filepath.Join(dir, runtime.GOARCH)
	st := m.Store("")
	q := f.Queue(b, "lambda-shards")

	b.ResetTimer()
	for _, fn := range append([]string{"floor"}, fns...) {
		var inits, firsts, skews []float64
		for i := range n {
			payload := []byte(`{}`)
			var msg []byte
			if fn == "worker" {
				// One shard of 200/s for 1 s, stored and queued as the
				// dispatcher does; its start is the invocation's moment,
				// so that a worker that started at once would send at once.
				run := fmt.Sprintf("cold%d", i)
				msg = storeShard(b, st, run, srv.URL+"/")
				first.Store(0)
			}
			e := startEmulator(b, rie, filepath.Join(host, fn, "bootstrap"), append(slices.Clone(base), env[fn]...))
			if msg != nil {
				var sm events.ShardMessage
				json.Unmarshal(msg, &sm)
				sm.StartAt = time.Now()
				body, _ := json.Marshal(sm)
				if err := q.Send(context.Background(), [][]byte{body}); err != nil {
					b.Fatal(err)
				}
			}
			t0 := time.Now()
			resp, err := e.invoke(payload)
			if err != nil {
				b.Fatalf("%s: invoke: %v\n%s", fn, err, e.out)
			}
			init, ok := initMs(e.out)
			e.stop()
			if os.Getenv("BARRAGE_COLD_LOG") != "" {
				b.Logf("%s, t0 %s; the emulator's output:\n%s", fn, t0.UTC().Format(time.RFC3339Nano), e.out)
			}
			if !ok {
				b.Fatalf("%s: no INIT REPORT from the emulator; its output:\n%s", fn, e.out)
			}
			inits = append(inits, init)
			line := fmt.Sprintf("%-9s cold start %d: init %6.1f ms", fn, i+1, init)
			if fn == "worker" {
				at := first.Load()
				if at == 0 {
					b.Fatalf("worker: no request reached the target; response %s; emulator output:\n%s", resp, e.out)
				}
				ms := float64(at-t0.UnixNano()) / 1e6
				firsts = append(firsts, ms)
				skew := shardSkew(b, st, fmt.Sprintf("cold%d", i))
				skews = append(skews, skew)
				line += fmt.Sprintf(", invoke → first request %6.1f ms (the shard's own start skew %6.1f ms)", ms, skew)
			}
			b.Log(line)
		}
		b.Logf("%-9s median init %.1f ms over %d cold starts (%.1f–%.1f)", fn, median(inits), n, slices.Min(inits), slices.Max(inits))
		b.ReportMetric(median(inits), fn+"-init-ms")
		if fn == "worker" {
			b.Logf("worker    median invoke → first request %.1f ms (%.1f–%.1f), start skew %.1f ms",
				median(firsts), slices.Min(firsts), slices.Max(firsts), median(skews))
			b.ReportMetric(median(firsts), "worker-first-request-ms")
		}
	}
}

// sizes is the size of a bootstrap, raw and in a zip of it alone
// (deflated, as a Lambda deployment package).
func sizes(t testing.TB, path string) (raw, zipped int64) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(data)), int64(buf.Len())
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// storeShard plans run as one Lambda shard of 200/s for 1 s against url,
// stores its spec and plan, and returns its shard message.
func storeShard(t testing.TB, st store.Store, run, url string) []byte {
	s := events.RunSpec{Targets: []events.Target{{URL: url}}, Load: events.Load{Shape: events.ShapeConstant, Rate: 200},
		Duration: events.Duration(time.Second), Workers: 1}.WithDefaults()
	p, err := plan.Make(s, plan.Options{RunID: run, Backend: plan.BackendAWS, Kind: events.KindLambda, Now: time.Now(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range map[string]any{store.SpecKey(run): s, store.PlanKey(run): p} {
		body, _ := json.Marshal(v)
		if err := st.Put(context.Background(), key, body, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := plan.Messages(p, s, store.SpecKey(run))
	if len(msgs) != 1 {
		t.Fatalf("plan of %d shards, want 1", len(msgs))
	}
	body, _ := json.Marshal(msgs[0])
	return body
}

// shardSkew is the start skew the shard of run reported, in milliseconds.
func shardSkew(t testing.TB, st store.Store, run string) float64 {
	keys, err := st.List(context.Background(), "runs/"+run+"/shards/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/result.json") {
			body, err := st.Get(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			var res events.ShardResult
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			return res.StartSkewMs
		}
	}
	t.Fatalf("run %s: no shard result in %v", run, keys)
	return 0
}

// emulator is one aws-lambda-rie running one bootstrap: one execution
// environment, which starts the bootstrap at its first invocation.
type emulator struct {
	cmd  *exec.Cmd
	url  string
	out  *tail // its last 40 lines: the INIT REPORT comes before the handler's
	done chan struct{}
}

// startEmulator starts aws-lambda-rie with bootstrap and env on 127.0.0.1
// and waits until it listens (the bootstrap does not run yet).
func startEmulator(t testing.TB, rie, bootstrap string, env []string) *emulator {
	addr, api := "127.0.0.1:"+strconv.Itoa(freePort(t)), "127.0.0.1:"+strconv.Itoa(freePort(t))
	e := &emulator{out: newTail(""), done: make(chan struct{}),
		url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
	e.cmd = exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bootstrap)
	e.cmd.Env = append(env, "AWS_LAMBDA_FUNCTION_NAME=cold", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769")
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	setDeathSignal(e.cmd)
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie: %v", err)
	}
	go func() { e.cmd.Wait(); close(e.done) }()
	t.Cleanup(e.stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s; its output:\n%s", addr, e.out)
		}
	}
}

// invoke invokes the function synchronously, within a minute.
func (e *emulator) invoke(payload []byte) ([]byte, error) {
	c := http.Client{Timeout: time.Minute}
	resp, err := c.Post(e.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// stop ends the emulator and with it the bootstrap (SIGKILL, then waits).
func (e *emulator) stop() {
	e.cmd.Process.Kill()
	<-e.done
}

// initReport is the emulator's line at the end of the init phase: from the
// bootstrap's start to its first request for the next invocation.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// initMs is the init duration the emulator reported in its output, in
// milliseconds.
func initMs(out *tail) (float64, bool) {
	m := initReport.FindStringSubmatch(out.String())
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}
