package awslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Function is a Lambda function.
type Function struct {
	Name string
	// Bin is its bootstrap, run under the Cloud's RIE; or Handler runs it in
	// this process, with a context that ends at its timeout.
	Bin     string
	Handler func(ctx context.Context, payload []byte) ([]byte, error)
	Env     []string // a Bin's environment, besides the runtime's
	Timeout time.Duration
	// Concurrency is how many execution environments serve it: at most
	// this many invocations run at once (its reserved concurrency, or what
	// the account has left).
	Concurrency int
	// Reserved is what GetFunctionConcurrency answers (0: none reserved).
	Reserved int
	// MaxEventAge drops an asynchronous event that waited (or was retried)
	// longer; 0 means Lambda's default, 6 hours.
	MaxEventAge time.Duration
	// Retries is how many times a failed asynchronous invocation is tried
	// again (Lambda's default is 2; barrage sets 0 for workers), after
	// RetryDelay (Lambda waits about a minute, then two; default 1 s here).
	Retries    int
	RetryDelay time.Duration
}

// Stats count what became of a function's invocations.
type Stats struct {
	Accepted  int // invocations accepted (sync and async)
	Throttled int // answered 429 by a fault
	Dropped   int // accepted and dropped by a fault
	Expired   int // async events dropped after MaxEventAge
	Ran       int // invocations run (retries included)
	Failed    int // of those, failed
	Retried   int // async retries
}

// invocation is one pending call.
type invocation struct {
	payload  []byte
	async    bool
	accepted time.Time
	attempts int
	done     chan result // sync only
}

type result struct {
	body   []byte
	failed bool
}

// fn is a started function: its pending invocations and environments.
type fn struct {
	Function
	c       *Cloud
	mu      sync.Mutex
	cond    *sync.Cond
	pending []*invocation
	closed  bool
	stats   Stats
	envs    []*rie
	wg      sync.WaitGroup
}

// rie is one execution environment of a Bin: an emulator process.
type rie struct {
	cmd *exec.Cmd
	url string
}

// Start runs f's execution environments.
func (c *Cloud) Start(f Function) error {
	if f.Concurrency <= 0 {
		f.Concurrency = 1
	}
	if f.RetryDelay == 0 {
		f.RetryDelay = time.Second
	}
	if f.MaxEventAge == 0 {
		f.MaxEventAge = 6 * time.Hour
	}
	r := &fn{Function: f, c: c}
	r.cond = sync.NewCond(&r.mu)
	if f.Handler == nil {
		for range f.Concurrency {
			e, err := c.startRIE(f)
			if err != nil {
				r.close()
				return err
			}
			r.envs = append(r.envs, e)
		}
	}
	for i := range f.Concurrency {
		r.wg.Add(1)
		go r.serve(i)
	}
	c.mu.Lock()
	c.fns[f.Name] = r
	c.mu.Unlock()
	return nil
}

// startRIE starts one aws-lambda-rie with f's bootstrap and waits until
// it listens.
func (c *Cloud) startRIE(f Function) (*rie, error) {
	if c.RIE == "" {
		return nil, errors.New("awslocal: no aws-lambda-rie (Cloud.RIE) to run " + f.Bin)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr, api := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	cmd := exec.Command(c.RIE, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, f.Bin)
	cmd.Env = append(append(os.Environ(), f.Env...), "AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(f.Timeout.Seconds())), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769",
		"LOG_LEVEL=error")
	cmd.Stdout, cmd.Stderr = c.Log, c.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, fmt.Errorf("aws-lambda-rie for %s did not listen on %s", f.Name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &rie{cmd: cmd, url: "http://" + addr + "/2015-03-31/functions/function/invocations"}, nil
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// serve is execution environment i: it runs pending invocations one at a
// time until the function closes.
func (f *fn) serve(i int) {
	defer f.wg.Done()
	for {
		f.mu.Lock()
		for len(f.pending) == 0 && !f.closed {
			f.cond.Wait()
		}
		if f.closed {
			f.mu.Unlock()
			return
		}
		inv := f.pending[0]
		f.pending = f.pending[1:]
		if inv.async && time.Since(inv.accepted) > f.MaxEventAge {
			f.stats.Expired++
			f.mu.Unlock()
			continue
		}
		f.stats.Ran++
		f.mu.Unlock()
		res := f.run(i, inv.payload)
		f.mu.Lock()
		if res.failed {
			f.stats.Failed++
		}
		retry := inv.async && res.failed && inv.attempts < f.Retries
		if retry {
			inv.attempts++
			f.stats.Retried++
		}
		f.mu.Unlock()
		switch {
		case !inv.async:
			inv.done <- res
		case retry:
			time.AfterFunc(f.RetryDelay, func() { f.enqueue(inv) })
		}
	}
}

// run runs one invocation in environment i.
func (f *fn) run(i int, payload []byte) result {
	if f.Handler != nil {
		ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
		defer cancel()
		out, err := f.Handler(ctx, payload)
		if err != nil {
			b, _ := json.Marshal(map[string]string{"errorType": fmt.Sprintf("%T", err), "errorMessage": err.Error()})
			return result{body: b, failed: true}
		}
		return result{body: out}
	}
	resp, err := http.Post(f.envs[i].url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return result{body: []byte(err.Error()), failed: true}
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return result{body: buf.Bytes(), failed: resp.StatusCode != http.StatusOK || functionError(buf.Bytes())}
}

// functionError reports whether an emulator's answer is a function error:
// the runtime's error document ({"errorType", "errorMessage"}), or the
// emulator's timeout line.
func functionError(b []byte) bool {
	if bytes.HasPrefix(b, []byte("Task timed out")) {
		return true
	}
	var e struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	return json.Unmarshal(b, &e) == nil && (e.ErrorType != "" || e.ErrorMessage != "")
}

func (f *fn) enqueue(inv *invocation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.pending = append(f.pending, inv)
	f.cond.Signal()
}

func (f *fn) close() {
	f.mu.Lock()
	f.closed = true
	f.cond.Broadcast()
	f.mu.Unlock()
	for _, e := range f.envs {
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		e.cmd.Wait()
	}
}

// Invoke calls function name (a name or an ARN) with payload; async
// returns once Lambda accepted the event. failed says the function failed.
func (c *Cloud) Invoke(name string, payload []byte, async bool) (out []byte, failed bool, err error) {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	c.mu.Lock()
	f := c.fns[name]
	c.mu.Unlock()
	if f == nil {
		return nil, false, fmt.Errorf("no function %q", name)
	}
	inv := &invocation{payload: payload, async: async, accepted: time.Now()}
	if !async {
		inv.done = make(chan result, 1)
	}
	f.mu.Lock()
	f.stats.Accepted++
	f.mu.Unlock()
	f.enqueue(inv)
	if async {
		return nil, false, nil
	}
	r := <-inv.done
	return r.body, r.failed, nil
}

// Stats returns what became of function name's invocations so far.
func (c *Cloud) Stats(name string) Stats {
	c.mu.Lock()
	f := c.fns[name]
	c.mu.Unlock()
	if f == nil {
		return Stats{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// serveInvoke answers Lambda's Invoke, with the faults.
func (c *Cloud) serveInvoke(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	async := r.Header.Get("X-Amz-Invocation-Type") == "Event"
	short := name[strings.LastIndexByte(name, ':')+1:]
	count := func(add func(*Stats)) {
		c.mu.Lock()
		f := c.fns[short]
		c.mu.Unlock()
		if f != nil {
			f.mu.Lock()
			add(&f.stats)
			f.mu.Unlock()
		}
	}
	if c.Faults.InvokeThrottled != nil && c.Faults.InvokeThrottled(short) {
		count(func(s *Stats) { s.Throttled++ })
		awsError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		return
	}
	if async && c.Faults.InvokeDropped != nil && c.Faults.InvokeDropped(short) {
		count(func(s *Stats) { s.Accepted++; s.Dropped++ })
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out, failed, err := c.Invoke(name, body, async)
	switch {
	case err != nil:
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", err.Error())
	case async:
		w.WriteHeader(http.StatusAccepted)
	default:
		if failed {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		w.Write(out)
	}
}

// serveConcurrency answers GetFunctionConcurrency.
func (c *Cloud) serveConcurrency(w http.ResponseWriter, name string) {
	c.mu.Lock()
	f := c.fns[name[strings.LastIndexByte(name, ':')+1:]]
	c.mu.Unlock()
	if f == nil {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "no function "+name)
		return
	}
	if f.Reserved == 0 {
		writeJSON(w, map[string]any{})
		return
	}
	writeJSON(w, map[string]any{"ReservedConcurrentExecutions": f.Reserved})
}
