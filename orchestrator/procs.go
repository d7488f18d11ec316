package orchestrator

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// spawnWorkers starts n `exe worker` processes reading from the queue at url
// and writing to the store in dir.
func spawnWorkers(exe, dir, url string, n int) ([]*exec.Cmd, error) {
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	var procs []*exec.Cmd
	for range n {
		cmd := exec.Command(exe, "worker", "--store", dir, "--queue", url, "--kind", "local",
			"--max-shards", "1", "--idle-exit", "2s")
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := cmd.Start(); err != nil {
			for _, p := range procs {
				p.Process.Kill()
			}
			return nil, err
		}
		procs = append(procs, cmd)
	}
	return procs, nil
}

// waitAll waits for every process to exit, forwarding an interrupt as
// SIGINT and an abort as SIGINT then, 3 s later, SIGKILL.
func waitAll(sched, abort context.Context, procs []*exec.Cmd) {
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.Wait() }()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	signal := func(sig syscall.Signal) {
		for _, p := range procs {
			p.Process.Signal(sig) // an exited process just refuses it
		}
	}
	schedDone, abortDone := sched.Done(), abort.Done()
	var kill <-chan time.Time
	for {
		select {
		case <-all:
			return
		case <-schedDone:
			schedDone = nil
			signal(syscall.SIGINT)
		case <-abortDone:
			abortDone = nil
			signal(syscall.SIGINT)
			kill = time.After(3 * time.Second)
		case <-kill:
			signal(syscall.SIGKILL)
		}
	}
}
