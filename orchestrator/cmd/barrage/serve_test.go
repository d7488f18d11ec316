package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
)

// noAWS sets an environment, for the commands a test starts, in which no
// AWS credentials can be found: a command that tried to sign a request
// would fail.
func noAWS(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_REGION": "us-east-1", "BARRAGE_API_URL": ""} {
		t.Setenv(k, v)
	}
}

// served is a `barrage serve` process.
type served struct {
	cmd *exec.Cmd
	url string
	mu  sync.Mutex
	log bytes.Buffer // its stderr after the first line
	end chan struct{}
}

// startServe starts `barrage serve` on a free port of 127.0.0.1 with run
// folders under out, and reads from its first line where it listens.
func startServe(t *testing.T, out string) *served {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--out", out)
	cmd.Env = append(os.Environ(), "BARRAGE_AS_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, end: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		defer close(s.end)
		lines := bufio.NewReader(stderr)
		l, _ := lines.ReadString('\n')
		first <- l
		b, _ := io.ReadAll(lines)
		s.mu.Lock()
		s.log.Write(b)
		s.mu.Unlock()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.end
	})
	// barrage serve: the REST API on http://127.0.0.1:PORT, run folders in DIR
	line := <-first
	_, rest, ok := strings.Cut(line, " on http://")
	addr, _, _ := strings.Cut(rest, ",")
	if !ok || addr == "" {
		t.Fatalf("barrage serve's first line %q; want where it listens", line)
	}
	s.url = "http://" + addr
	return s
}

// stop sends SIGINT and returns the rest of stderr and how it exited.
func (s *served) stop() (string, error) {
	s.cmd.Process.Signal(syscall.SIGINT)
	<-s.end
	err := s.cmd.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String(), err
}

// TestServe: barrage serve answers the deployed stack's REST API over the
// local backend. Through the API client, a run against a target on this
// host is submitted, followed until complete, and its report read, which
// is the run folder's; barrage run --backend aws --api and barrage status
// reach it without AWS credentials; SIGINT stops it.
func TestServe(t *testing.T) {
	noAWS(t)
	target, hits := countingServer(t)
	out := t.TempDir()
	s := startServe(t, out)
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("barrage serve listens on %s; want 127.0.0.1", s.url)
	}
	// The load is bounded: 10 arrivals per second for a second, per run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound, not a measure
	defer cancel()
	c := &orchestrator.APIClient{URL: s.url}
	// A late arrival is sent, not dropped (late_limit 0): every one of the
	// 10 is a request, however busy this machine.
	spec := events.RunSpec{Targets: []events.Target{{URL: target.URL + "/x"}}, Workers: 1,
		Load: events.Load{Shape: events.ShapeConstant, Rate: 10}, Duration: events.Duration(time.Second),
		LateLimit: new(events.Duration)}
	t.Run("api", func(t *testing.T) { serveRun(ctx, t, c, spec, out, hits) })
	t.Run("api errors", func(t *testing.T) { serveErrors(ctx, t, c, spec) })
	t.Run("command", func(t *testing.T) { serveCommand(t, s.url, target.URL+"/y") })
	log, err := s.stop()
	if err != nil || !strings.Contains(log, "interrupt: stopping") || !strings.Contains(log, `msg="run submitted" run=served-1 new=true`) {
		t.Errorf("barrage serve after SIGINT: %v; want exit 0, a log line per run and one saying it stops:\n%s", err, log)
	}
}

// serveRun submits spec as run served-1 (twice: one run), follows it
// until it is final, and reads its report, the run folder's under out.
func serveRun(ctx context.Context, t *testing.T, c *orchestrator.APIClient, spec events.RunSpec, out string, hits *atomic.Int64) {
	sub, err := c.Submit(ctx, spec, "served-1", "")
	if err != nil || sub.RunID != "served-1" || !sub.New || sub.Plan == nil || len(sub.Plan.Shards) != 1 {
		t.Fatalf("submit: %+v, %v; want a new run served-1 of one shard", sub, err)
	}
	// The same run id again: the same run, not started twice.
	if again, err := c.Submit(ctx, spec, "served-1", ""); err != nil || again.New {
		t.Errorf("submit again: %+v, %v; want the stored run", again, err)
	}
	st := followServed(ctx, t, c, "served-1")
	if st.State != events.StateComplete || st.Shards.Planned != 1 || st.Shards.Reported != 1 || st.Requests != 10 {
		t.Errorf("final status %+v; want complete, 1 shard reported, 10 requests", st)
	}
	rep, err := c.Report(ctx, "served-1")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if rep.RunID != "served-1" || rep.Requests+rep.Dropped != 10 || rep.Coverage != 1 || hits.Load() != rep.Requests {
		t.Errorf("report: run %s, %d requests + %d dropped, coverage %v, the target saw %d; want served-1, 10 planned, all covered",
			rep.RunID, rep.Requests, rep.Dropped, rep.Coverage, hits.Load())
	}
	if _, err := os.Stat(filepath.Join(out, "runs", "served-1", "report.json")); err != nil {
		t.Errorf("no run folder under --out: %v", err)
	}
}

// followServed reads run id's status until it is final.
func followServed(ctx context.Context, t *testing.T, c *orchestrator.APIClient, id string) *orchestrator.Status {
	t.Helper()
	for {
		st, err := c.Status(ctx, id)
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if orchestrator.IsFinal(st.State) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the run is %s after 2 minutes", st.State)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveErrors: the API's errors, an unknown run and a worker kind.
func serveErrors(ctx context.Context, t *testing.T, c *orchestrator.APIClient, spec events.RunSpec) {
	var ae *orchestrator.APIError
	if _, err := c.Status(ctx, "nope"); !errors.As(err, &ae) || ae.Status != 404 {
		t.Errorf("status of an unknown run: %v; want 404", err)
	}
	if _, err := c.Submit(ctx, spec, "served-2", "fargate"); !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "kind" {
		t.Errorf("submit with a worker kind: %v; want 400 naming kind", err)
	}
}

// serveCommand: the command line's aws backend and barrage status, given
// the API's URL, without AWS credentials.
func serveCommand(t *testing.T, api, target string) {
	r := barrage(t, time.Minute, "run", "--backend", "aws", "--api", api, "--target", target,
		"--rate", "10", "--duration", "1s", "--workers", "1", "--json", "--quiet")
	var runRep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &runRep); r.code != 0 || err != nil || runRep.Requests+runRep.Dropped != 10 {
		t.Fatalf("barrage run --api %s: exit %d, %v, %d requests + %d dropped\n%s", api, r.code, err, runRep.Requests, runRep.Dropped, r.stderr)
	}
	r = barrage(t, time.Minute, "status", runRep.RunID, "--api", api, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"state": "complete"`) {
		t.Errorf("barrage status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestServeBadInput: barrage serve listens on loopback addresses only,
// and refuses any other before it listens: exit 2, one line naming --addr.
func TestServeBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		// Every interface, or another host's address: refused.
		{[]string{"serve", "--addr", ":7070"}, `--addr: "" is not a loopback address`},
		{[]string{"serve", "--addr", "0.0.0.0:7070"}, `--addr: "0.0.0.0" is not a loopback address (127.0.0.1, ::1 or localhost): barrage serve has no authentication`},
		{[]string{"serve", "--addr", "[::]:7070"}, `--addr: "::" is not a loopback address`},
		{[]string{"serve", "--addr", "192.0.2.1:7070"}, `--addr: "192.0.2.1" is not a loopback address`},
		// A name other than localhost, whatever it resolves to.
		{[]string{"serve", "--addr", "example.com:7070"}, `--addr: "example.com" is not a loopback address`},
		// Not HOST:PORT.
		{[]string{"serve", "--addr", "7070"}, `--addr: "7070" is not HOST:PORT (such as 127.0.0.1:7070)`},
		// No arguments.
		{[]string{"serve", "extra"}, "serve takes no arguments, got extra"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(tt.args...)
		if code != exitBadInput || !strings.HasPrefix(stderr, "barrage: ") || !strings.Contains(stderr, tt.want) ||
			strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("barrage %s: exit %d, stderr %q; want 2 and one line containing %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
}
