// Package guardtest gives the host guard's tests what they assert with:
// a listener on an address a run must never reach, counting every
// connection it accepts, and a network namespace of the test's own in
// which 169.254.169.254 (and fd00:ec2::254) can be listened on without
// touching the machine's network.
package guardtest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// Listener is an HTTP server that a run must never reach: Accepts counts
// the connections it accepted (a refused run leaves it at 0).
type Listener struct {
	URL     string // http://IP:port
	Host    string // the IP, as a URL writes it
	Accepts atomic.Int64
}

// Listen starts a Listener on ip (port 0), closed when t ends. On Linux,
// every 127.x.y.z address is this machine's loopback, so 127.0.0.2 is
// "another host" for an allow-list that names 127.0.0.1.
func Listen(t testing.TB, ip string) *Listener {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	l := &Listener{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("reached"))
	}))
	srv.Listener = &counting{Listener: ln, n: &l.Accepts}
	srv.Start()
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	l.Host, _, _ = net.SplitHostPort(ln.Addr().String())
	return l
}

// Issuer starts an OpenID provider on 127.0.0.1, closed when t ends,
// that serves nothing but its discovery document (at any path), listing
// endpoints (key → URL), and returns its issuer URL.
func Issuer(t testing.TB, endpoints map[string]string) string {
	t.Helper()
	doc := map[string]any{}
	for k, v := range endpoints {
		doc[k] = v
	}
	return IssuerDoc(t, doc)
}

// IssuerDoc is Issuer with a discovery document of any fields.
func IssuerDoc(t testing.TB, doc map[string]any) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/realms/x"
}

type counting struct {
	net.Listener
	n *atomic.Int64
}

func (c *counting) Accept() (net.Conn, error) {
	nc, err := c.Listener.Accept()
	if err == nil {
		c.n.Add(1)
	}
	return nc, err
}

// childEnv marks the copy of a test that runs inside its own namespace.
const childEnv = "BARRAGE_GUARDTEST_NETNS"

// InNetns runs the calling test again in a network namespace (and a
// mount namespace) of its own, made by unshare(1), and reports whether
// this is that copy: the caller then does its work and returns, and the
// parent reports the copy's outcome. In the copy, loopback is up and holds
// 169.254.169.254 and fd00:ec2::254 as well (a dummy interface would do,
// but the kernel here may lack the module; the namespace's own loopback is
// as much this namespace's and nobody else's). hosts, if not empty, is
// bind-mounted over /etc/hosts in the copy only. The parent skips when it
// is not root or unshare or ip is missing. Nothing outside the namespaces
// is changed, and they end with the copy. It skips, too, where unshare
// cannot make namespaces.
func InNetns(t *testing.T, hosts string) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		setup(t, hosts)
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("a network namespace of the test's own needs root")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	if out, err := exec.Command("unshare", "--net", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make namespaces here (a container without CAP_SYS_ADMIN?): %v %s", err, out)
	}
	args := []string{"--net", "--mount", "--propagation", "private", os.Args[0],
		"-test.run=^" + strings.ReplaceAll(t.Name(), "/", "$/^") + "$", "-test.count=1", "-test.v"}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in its own network namespace: %v\n%s", err, out)
	}
	t.Logf("in its own network namespace:\n%s", out)
	return false
}

func setup(t *testing.T, hosts string) {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", "169.254.169.254/32", "dev", "lo"},
		{"addr", "add", "fd00:ec2::254/128", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if hosts == "" {
		return
	}
	f, err := os.CreateTemp(t.TempDir(), "hosts")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("127.0.0.1 localhost\n::1 localhost\n" + hosts)
	f.Close()
	if out, err := exec.Command("mount", "--bind", f.Name(), "/etc/hosts").CombinedOutput(); err != nil {
		t.Fatalf("bind-mount the hosts file: %v\n%s", err, out)
	}
}
