//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/stack"
)

// Credentials and region the servers are started with and the clients use.
const (
	AccessKey = "barrage"
	SecretKey = "barrage-secret"
	Region    = "us-east-1"
)

// Environment variables that point the harness at installed servers; by
// default it looks where integration/install.sh installs them.
const (
	MinIOEnv = "BARRAGE_MINIO"            // the minio binary
	NodeEnv  = "BARRAGE_NODE"             // the node binary that runs fauxqs
	DepsEnv  = "BARRAGE_INTEGRATION_DEPS" // the folder holding node_modules/fauxqs
	RIEEnv   = "BARRAGE_RIE"              // AWS's Lambda runtime interface emulator, aws-lambda-rie
	HydraEnv = "BARRAGE_HYDRA"            // ory/hydra v2.3.0 built with -tags sqlite (install.sh)
)

const installHint = "run integration/install.sh (or set " + MinIOEnv + ", " + NodeEnv + ", " + DepsEnv + ", " + RIEEnv + ", " + HydraEnv + ")"

// RIE returns the path of aws-lambda-rie, AWS's Lambda runtime interface
// emulator, which runs the functions' bootstraps as Lambda does.
func RIE(t testing.TB) string {
	return find(t, "aws-lambda-rie", envOr(RIEEnv, filepath.Join(goBin(), "aws-lambda-rie"), "aws-lambda-rie")...)
}

// Env returns the environment of a barrage process that should reach the
// servers at s3url and sqsurl: this process's, with their credentials and
// endpoints.
func Env(s3url, sqsurl string) []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey,
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_REGION="+Region, "AWS_EC2_METADATA_DISABLED=true",
		stack.EnvS3Endpoint+"="+s3url, stack.EnvSQSEndpoint+"="+sqsurl)
}

// here is this package's source directory.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// buildBarrage builds the barrage command into a temporary directory and
// returns its path.
func buildBarrage(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "barrage")
	cmd := exec.Command("go", "build", "-o", bin, "./orchestrator/cmd/barrage")
	cmd.Dir = filepath.Dir(here())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build barrage: %v\n%s", err, out)
	}
	return bin
}

// goBin is where `go install` puts binaries, as install.sh computes it.
func goBin() string {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return filepath.Join(os.Getenv("HOME"), "go", "bin")
	}
	lines := strings.Split(string(out), "\n")
	if gobin := strings.TrimSpace(lines[0]); gobin != "" {
		return gobin
	}
	gopath, _, _ := strings.Cut(strings.TrimSpace(lines[1]), string(filepath.ListSeparator))
	return filepath.Join(gopath, "bin")
}

// envOr returns the value of the environment variable env if it is set,
// and else the defaults.
func envOr(env string, defaults ...string) []string {
	if v := os.Getenv(env); v != "" {
		return []string{v}
	}
	return defaults
}

// find returns the first candidate that is an executable file, or fails t
// with the places it looked.
func find(t testing.TB, what string, candidates ...string) string {
	t.Helper()
	var tried []string
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if !filepath.IsAbs(c) {
			if p, err := exec.LookPath(c); err == nil {
				return p
			}
			tried = append(tried, c+" on PATH")
			continue
		}
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return c
		}
		tried = append(tried, c)
	}
	t.Fatalf("%s is not installed (looked for %s): %s", what, strings.Join(tried, ", "), installHint)
	return ""
}

// tail keeps the last lines a server wrote, for failure messages, and
// reports the first line that starts with a given prefix.
type tail struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	lines   []string
	prefix  string
	matched chan string
}

func newTail(prefix string) *tail { return &tail{prefix: prefix, matched: make(chan string, 1)} }

func (l *tail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err == io.EOF {
			l.buf.WriteString(line) // keep the partial line
			return len(p), nil
		}
		line = strings.TrimRight(line, "\r\n")
		if l.prefix != "" && strings.HasPrefix(line, l.prefix) {
			l.prefix = ""
			l.matched <- line
		}
		if l.lines = append(l.lines, line); len(l.lines) > 40 {
			l.lines = l.lines[1:]
		}
	}
}

func (l *tail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return "(no output)"
	}
	return strings.Join(l.lines, "\n")
}

// proc is a server process that lives until the test ends.
type proc struct {
	name string
	out  *tail
	done chan struct{} // closed when it has exited
	err  error         // why, once done is closed
}

// startProc starts cmd with its output in a tail and stops it when t ends:
// SIGTERM, then SIGKILL after 5 s. On Linux it also dies with this process.
func startProc(t testing.TB, name string, cmd *exec.Cmd, out *tail) *proc {
	t.Helper()
	p := &proc{name: name, out: out, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// listening waits up to limit for the line the process's tail watches for
// and returns it; it fails t if the process exits first or stays silent.
func (p *proc) listening(t testing.TB, limit time.Duration, hint string) string {
	t.Helper()
	select {
	case line := <-p.out.matched:
		return line
	case <-p.done:
		p.failed(t, p.exited()+" before listening"+hint)
	case <-time.After(limit):
		p.failed(t, fmt.Sprintf("did not listen in %v", limit))
	}
	return ""
}

// failed fails t with why and the server's last output.
func (p *proc) failed(t testing.TB, why string) {
	t.Helper()
	t.Fatalf("%s %s; its last output:\n%s", p.name, why, p.out)
}

// exited returns a message if the process has ended, "" if it runs.
func (p *proc) exited() string {
	select {
	case <-p.done:
		return fmt.Sprintf("exited (%v)", p.err)
	default:
		return ""
	}
}
