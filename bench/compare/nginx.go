package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// nginxServer is the target: nginx with one worker pinned to CPU 0,
// answering "ok\n" from memory on an HTTP/1.1 port and an h2c port.
type nginxServer struct {
	dir        string
	cmd        *exec.Cmd
	h1, h2c    string // base URLs
	serverCPU0 time.Duration
}

const nginxConf = `worker_processes 1;
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path %[1]s/body;
  server { listen 127.0.0.1:%[2]d backlog=4096; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[3]d http2 backlog=4096; location / { return 200 "ok\n"; } }
}
`

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startNginx() (*nginxServer, error) {
	dir, err := os.MkdirTemp("", "barrage-bench-nginx")
	if err != nil {
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
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, p1, p2), 0o644); err != nil {
		return nil, err
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	cmd := exec.Command("taskset", "-c", "0", bin, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	s := &nginxServer{dir: dir, cmd: cmd, h1: "http://127.0.0.1:" + strconv.Itoa(p1) + "/",
		h2c: "http://127.0.0.1:" + strconv.Itoa(p2) + "/"}
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p1))); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	return nil, fmt.Errorf("nginx did not start listening: %s", log)
}

func (s *nginxServer) stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	os.RemoveAll(s.dir)
}
