//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barrage-load/barrage/pkg/queue"
)

// The lab's addresses: a /24 that exists only inside its namespaces.
const (
	labNet = "10.77.0"
	// LabTarget is the server namespace's address, on its bridge.
	LabTarget = labNet + ".1"
)

// Lab is a small network of Linux network namespaces made for one test: a
// server namespace holding a bridge with the address 10.77.0.1/24, and
// generator hosts, each a namespace with its own loopback, its own
// ephemeral port range and a veth on that bridge. It stands for separate
// load-generating machines, each with its own network stack.
//
// The root namespace is left alone: every link is created inside a lab
// namespace (a veth's two ends are made in their namespaces directly), and
// every address lives in one. Each namespace is deleted when the test
// ends, passed or failed, after the processes started in it have been
// stopped; its links go with it.
type Lab struct {
	t      testing.TB
	prefix string // of namespace names: unique to this test process
	// Server is the server namespace's name.
	Server string
	hosts  int
}

// NewLab makes the server namespace and its bridge. It skips t when this
// process is not root or ip(8) or sysctl(8) is missing.
func NewLab(t testing.TB) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CI runs the integration tests as root)")
	}
	for _, tool := range []string{"ip", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: iproute2, procps): %v", tool, err)
		}
	}
	sweepStale()
	l := &Lab{t: t, prefix: fmt.Sprintf("bnt%d-", os.Getpid())}
	l.Server = l.netns("srv")
	l.ip("-n", l.Server, "link", "set", "lo", "up")
	l.ip("-n", l.Server, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.Server, "addr", "add", LabTarget+"/24", "dev", "br0")
	l.ip("-n", l.Server, "link", "set", "br0", "up")
	return l
}

// sweepStale deletes the namespaces of labs whose test process is gone
// without its cleanups: killed, or ended by go test's -timeout. A lab of a
// running process, this test's in another worktree say, is left alone.
func sweepStale() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		var pid int
		if _, err := fmt.Sscanf(name, "bnt%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			exec.Command("ip", "netns", "del", name).Run()
		}
	}
}

// netns adds the namespace prefix+name and deletes it when the test ends.
func (l *Lab) netns(name string) string {
	ns := l.prefix + name
	l.ip("netns", "add", ns)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	return ns
}

// Host adds a generator host named name: a namespace with loopback up, a
// veth to the bridge with the next address from 10.77.0.11, the ephemeral
// ports low–high, and tcp_tw_reuse off, so that a port in TIME_WAIT stays
// taken for its full 60 s whatever the kernel's default. It returns the
// namespace's name.
func (l *Lab) Host(name string, low, high int) string {
	l.t.Helper()
	if l.hosts++; l.hosts > 200 {
		l.t.Fatal("a lab holds at most 200 hosts")
	}
	ns, peer := l.netns(name), fmt.Sprintf("h%d", l.hosts)
	l.ip("-n", l.Server, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", ns)
	l.ip("-n", l.Server, "link", "set", peer, "master", "br0", "up")
	l.ip("-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", labNet, 10+l.hosts), "dev", "eth0")
	l.ip("-n", ns, "link", "set", "eth0", "up")
	l.ip("-n", ns, "link", "set", "lo", "up")
	l.run(l.Command(ns, "sysctl", "-q", "-w", fmt.Sprintf("net.ipv4.ip_local_port_range=%d %d", low, high),
		"net.ipv4.tcp_tw_reuse=0"))
	return ns
}

// Command returns a command that runs name with args in namespace ns.
func (l *Lab) Command(ns, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Start starts cmd (made by Command) as a process that is stopped when the
// test ends, before the lab's namespaces are deleted.
func (l *Lab) Start(name string, cmd *exec.Cmd) *proc {
	return startProc(l.t, name, cmd, newTail(""))
}

func (l *Lab) ip(args ...string) {
	l.t.Helper()
	l.run(exec.Command("ip", args...))
}

func (l *Lab) run(cmd *exec.Cmd) {
	l.t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out)
	}
}

// Helper modes: a re-executed test binary (see Serve) reads the mode and
// its argument from helperEnv.
const (
	helperEnv = "BARRAGE_LAB_HELPER"
	// HelperTarget serves "ok" to every request at the address given.
	HelperTarget = "target"
	// HelperQueue serves, on 127.0.0.1 of its namespace, the barrage queue
	// that the test serves on the Unix socket given (ServeQueue): workers
	// take their shards from the loopback URL barrage worker accepts.
	HelperQueue = "queue"
	// helperLifetime bounds a helper that outlives its test by mistake.
	helperLifetime = 10 * time.Minute
)

// Serve starts this test binary again in namespace ns, as the helper mode
// with its argument, until the test ends, and returns the address it
// listens on. The test package must call RunHelper from a test named
// TestLabHelper.
func (l *Lab) Serve(ns, mode, arg string) string {
	l.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := l.Command(ns, exe, "-test.run=^TestLabHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode+" "+arg)
	p := startProc(l.t, mode+" helper in "+ns, cmd, newTail("listening "))
	return strings.TrimPrefix(p.listening(l.t, 30*time.Second, ""), "listening ")
}

// RunHelper serves what helperEnv asks for, prints "listening ADDR", and
// returns on SIGTERM or after helperLifetime. It returns false at once if
// this process is not a helper.
func RunHelper() (bool, error) {
	mode, arg, ok := strings.Cut(os.Getenv(helperEnv), " ")
	if !ok {
		return false, nil
	}
	var h http.Handler
	addr := arg
	switch mode {
	case HelperTarget:
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	case HelperQueue:
		h = queue.Handler(&queue.HTTPClient{URL: "http://queue", Client: unixClient(arg)})
		addr = "127.0.0.1:0"
	default:
		return true, fmt.Errorf("unknown helper mode %q", mode)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return true, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println("listening", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(helperLifetime):
	}
	return true, srv.Close()
}

// ServeQueue serves q on a Unix socket in a temporary directory until the
// test ends and returns the socket's path. A socket in the file system is
// reachable from every network namespace, and gives the root namespace no
// address.
func ServeQueue(t testing.TB, q queue.Queue) string {
	t.Helper()
	sock := t.TempDir() + "/queue.sock"
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: queue.Handler(q), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sock
}

// unixClient is an HTTP client whose every connection goes to the Unix
// socket sock.
func unixClient(sock string) *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", sock)
	}}}
}
