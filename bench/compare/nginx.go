package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverCPU and loadCPU keep the target and the load tool off each other's
// core: nginx runs on CPU 0, every load tool on CPU 1.
const (
	serverCPU = "0"
	loadCPU   = "1"
)

// nginxServer is the target: nginx in one process pinned to serverCPU,
// answering "ok\n" from memory on an HTTP/1.1 port and an h2c port.
type nginxServer struct {
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   bytes.Buffer
	version  string
	h1, h2c  string // base URLs
	h2       string // HTTP/2 over TLS (ALPN h2), with a self-signed certificate (h2.go)
	stopOnce bool
}

// nginxConf is the whole configuration: %[1]s the folder for pid, logs and
// temporary files, %[2]d the HTTP/1.1 port, %[3]d the h2c port, %[4]d the
// HTTP/2 over TLS port (its certificate and key in the folder). With
// master_process off the one process is the worker, so its CPU time is the
// server's. Connections live as long as a run (keepalive_requests and
// keepalive_timeout far above what a run needs), and nothing is logged per
// request. "listen … http2" is nginx 1.22's syntax (1.25 moved it to a
// directive of its own but still accepts it).
const nginxConf = `worker_processes 1;
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d backlog=4096; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[3]d http2 backlog=4096; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[4]d ssl http2 backlog=4096; ssl_certificate %[1]s/cert.pem;
    ssl_certificate_key %[1]s/key.pem; location / { return 200 "ok\n"; } }
}
`

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startNginx writes the configuration into dir, starts nginx pinned to
// serverCPU and waits until both ports accept connections.
func startNginx(ctx context.Context, dir string) (*nginxServer, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			return nil, fmt.Errorf("nginx not found (apt-get install -y nginx, or run bench/compare.sh): %w", err)
		}
		bin = "/usr/sbin/nginx"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p1, err := freePort()
	if err != nil {
		return nil, err
	}
	p2, err := freePort()
	if err != nil {
		return nil, err
	}
	p3, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := writeCert(dir); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, p1, p2, p3), 0o644); err != nil {
		return nil, err
	}
	s := &nginxServer{dir: dir, exited: make(chan struct{}), version: nginxVersion(bin),
		h1:  "http://127.0.0.1:" + strconv.Itoa(p1) + "/",
		h2c: "http://127.0.0.1:" + strconv.Itoa(p2) + "/",
		h2:  "https://127.0.0.1:" + strconv.Itoa(p3) + "/"}
	// taskset execs nginx, so the process started here is nginx itself.
	s.cmd = exec.Command("taskset", "-c", serverCPU, bin, "-c", conf, "-p", dir+"/", "-e", filepath.Join(dir, "error.log"))
	s.cmd.Stdout, s.cmd.Stderr = &s.stderr, &s.stderr
	// Should this program die without stopping it, the kernel kills nginx.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range []int{p1, p2, p3} {
		for {
			c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-s.exited:
				return nil, fmt.Errorf("nginx exited at start: %s", s.logTail())
			case <-ctx.Done():
				s.stop()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				s.stop()
				return nil, fmt.Errorf("nginx did not listen on port %d within 10 s: %s", p, s.logTail())
			}
		}
	}
	return s, nil
}

// nginxVersion is the first line nginx -v prints, such as "nginx/1.22.1".
func nginxVersion(bin string) string {
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version:"))
	if v == "" {
		return "nginx (unknown version)"
	}
	return v
}

// logTail is the end of nginx's stderr and error log, for error messages.
func (s *nginxServer) logTail() string {
	log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	return tail(s.stderr.String()+string(log), 1500)
}

// cpuTime is the CPU time nginx has used so far, from /proc/PID/stat
// (utime and stime, fields 14 and 15, in clock ticks of 1/100 s).
func (s *nginxServer) cpuTime() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields are counted after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// stop ends nginx (SIGTERM: fast shutdown; SIGKILL after 5 s).
func (s *nginxServer) stop() {
	if s.stopOnce {
		return
	}
	s.stopOnce = true
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
