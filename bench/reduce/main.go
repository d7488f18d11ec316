// Command reduce measures the reducer at scale: it generates synthetic
// shard results (gen.go) and times reduce.Reduce over them on one core
// (GOMAXPROCS=1, pinned with taskset), in a child process whose peak
// resident memory it reads from rusage, for each row of -rows, and prints
// the growth table with medians of -runs runs. bench/README.md says what
// limits each figure.
//
//	go run ./bench/reduce                       # 100×1 h, 1,000×1 h, 10,000×14 min
//	go run ./bench/reduce -rows 100x840 -runs 1 # one quick row
//
// The results are served by a store over a directory (resultStore): a
// prototype result per shard modulo -protos, read from disk (the page
// cache) with its shard id replaced, so that 10,000 results need not take
// 13 GB of disk. S3's fetch latency is not in the figures.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// row is one line of the table: shards × seconds.
type row struct{ shards, seconds int }

func parseRows(s string) ([]row, error) {
	var out []row
	for _, f := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(f), "x")
		n, err1 := strconv.Atoi(a)
		d, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n <= 0 || d <= 0 {
			return nil, fmt.Errorf("row %q: want SHARDSxSECONDS", f)
		}
		out = append(out, row{n, d})
	}
	return out, nil
}

// measured is what the child reports of one reduce.
type measured struct {
	WallS    float64 `json:"wall_s"`
	Requests int64   `json:"requests"`
	Seconds  int     `json:"seconds"`
	HlogB    int     `json:"hlog_bytes"`
}

func main() {
	rowsFlag := flag.String("rows", "100x3600,1000x3600,10000x840", "rows of the table: SHARDSxSECONDS, comma-separated")
	rate := flag.Int("rate", 100, "requests per second of each shard")
	targets := flag.Int("targets", 2, "targets (2 to 16: per-target seconds)")
	protos := flag.Int("protos", 64, "distinct synthetic results, served round robin")
	runs := flag.Int("runs", 3, "runs of each row (the table shows medians)")
	dir := flag.String("dir", "bench/out/reduce", "where the synthetic results and runs go")
	cpu := flag.String("cpu", "1", "the CPU the reducer is pinned to (taskset -c); \"\": not pinned")
	profile := flag.String("profile", "", "write the reducer's cpu.pprof and heap.pprof (of each run, the last kept) to this folder")
	child := flag.Bool("child", false, "internal: reduce the run in -dir once and print what it measured")
	flag.Int64Var(&budget, "budget", 2<<30, "the reducer's memory budget in bytes (reduce.Budget, as the reducer Lambda and task set theirs); 0: none, Go's default collector")
	flag.Parse()
	if *child {
		reduce.Budget(budget)
		if err := runChild(*dir, *protos, *profile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	rows, err := parseRows(*rowsFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("reducer, one core (GOMAXPROCS=1, taskset -c %s), memory budget %d MiB; %d req/s per shard, %d targets, %d distinct results; median of %d runs\n\n",
		*cpu, budget>>20, *rate, *targets, *protos, *runs)
	fmt.Println("| shards | seconds | per-second histograms | result bytes (each, total) | wall s (median, min–max) | CPU s (median; user + sys) | peak RSS MiB (median, max) | MB/s of results per CPU s |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		sh := shape{seconds: r.seconds, rate: *rate, targets: *targets}
		line, err := measureRow(*dir, r, sh, *protos, *runs, *cpu, *profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(line)
	}
}

// budget is the child's memory budget (-budget).
var budget int64

// measureRow prepares row r's run and reduces it runs times in a child.
func measureRow(dir string, r row, sh shape, protos, runs int, cpu, profile string) (string, error) {
	runDir := filepath.Join(dir, fmt.Sprintf("%dx%d-r%d-t%d-p%d", r.shards, r.seconds, sh.rate, sh.targets, protos))
	each, err := prepare(runDir, r, sh, protos)
	if err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	var walls, cpus, rss []float64
	users := map[float64][2]float64{} // of each run's CPU time: user, sys
	for range runs {
		os.RemoveAll(filepath.Join(runDir, "runs", "r", "report.json")) // Reduce returns a stored report as is
		args := []string{self, "-child", "-dir", runDir, "-protos", strconv.Itoa(protos), "-profile", profile,
			"-budget", strconv.FormatInt(budget, 10)}
		if cpu != "" {
			args = append([]string{"taskset", "-c", cpu}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("row %dx%d: %w", r.shards, r.seconds, err)
		}
		var m measured
		if err := json.Unmarshal(out, &m); err != nil {
			return "", fmt.Errorf("row %dx%d: child said %q: %w", r.shards, r.seconds, out, err)
		}
		if want := int64(r.shards) * int64(r.seconds) * int64(sh.rate); m.Requests != want || m.Seconds != r.seconds {
			return "", fmt.Errorf("row %dx%d: report has %d requests over %d s; want %d over %d", r.shards, r.seconds, m.Requests, m.Seconds, want, r.seconds)
		}
		walls = append(walls, m.WallS)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		rss = append(rss, float64(ru.Maxrss)/1024) // KiB on Linux
		// The child's CPU time, start-up included: on a shared machine the
		// wall time also holds the time others took the core.
		// The system part is mostly the kernel switching tasks when others
		// share the core (perf: reschedule interrupts), not the reducer's.
		user, sys := time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds()
		cpus = append(cpus, user+sys)
		users[user+sys] = [2]float64{user, sys}
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(rss)
	hists := int64(r.shards) * int64(r.seconds) * int64(2+sh.targets)
	total := float64(each) * float64(r.shards)
	med, cpuS := walls[len(walls)/2], cpus[len(cpus)/2]
	return fmt.Sprintf("| %s | %s | %s | %s, %s | %.1f (%.1f–%.1f) | %.1f (%.1f + %.1f) | %.0f (%.0f) | %.0f |",
		group(int64(r.shards)), group(int64(r.seconds)), group(hists), size(float64(each)), size(total),
		med, walls[0], walls[len(walls)-1], cpuS, users[cpuS][0], users[cpuS][1], rss[len(rss)/2], rss[len(rss)-1], total/cpuS/1e6), nil
}

// prepare writes the row's plan and spec under runDir (afresh) and its
// prototype results, once, and returns the size of a result.
func prepare(runDir string, r row, sh shape, protos int) (int, error) {
	ctx := context.Background()
	os.RemoveAll(filepath.Join(runDir, "runs"))
	st := store.Dir{Root: runDir}
	start := time.Unix(1_800_000_000, 0).UTC()
	var size int
	for k := range protos {
		path := protoPath(runDir, k)
		if fi, err := os.Stat(path); err == nil {
			size = max(size, int(fi.Size()))
			continue
		}
		b := synthetic(sh, "r", protoID(k), start, uint64(k))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return 0, err
		}
		size = max(size, len(b))
	}
	p := events.Plan{Version: events.PlanVersion, RunID: "r", Backend: "aws", StartAt: start,
		Deadline: start.Add(time.Duration(r.seconds)*time.Second + time.Minute)}
	for k := range r.shards {
		p.Shards = append(p.Shards, events.PlanShard{ShardWindow: events.ShardWindow{ShardID: shardID(k), Kind: events.KindFargate,
			Index: k, Count: r.shards}, Rate: float64(sh.rate), VCPU: 1})
	}
	spec := events.RunSpec{Name: "reduce-bench", Load: events.Load{Rate: float64(sh.rate * r.shards)},
		Duration: events.Duration(time.Duration(r.seconds) * time.Second)}
	for i := range sh.targets {
		spec.Targets = append(spec.Targets, events.Target{Name: fmt.Sprintf("GET /api/%d", i), URL: fmt.Sprintf("http://target/api/%d", i)})
	}
	for key, v := range map[string]any{store.PlanKey("r"): p, store.SpecKey("r"): spec} {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, key, b, store.PutOptions{}); err != nil {
			return 0, err
		}
	}
	return size, nil
}

func protoPath(runDir string, k int) string {
	return filepath.Join(filepath.Dir(runDir), "protos", filepath.Base(runDir)[strings.Index(filepath.Base(runDir), "x"):], fmt.Sprintf("%03d.json", k))
}

func protoID(k int) string { return fmt.Sprintf("proto-%03d", k) }
func shardID(k int) string { return fmt.Sprintf("s%05d", k) }

// runChild reduces run "r" in dir once and prints what it measured.
func runChild(dir string, protos int, profile string) error {
	var p events.Plan
	b, err := os.ReadFile(filepath.Join(dir, store.PlanKey("r")))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	st := &resultStore{Dir: store.Dir{Root: dir}, dir: dir, protos: protos, shards: len(p.Shards)}
	ctx := context.Background()
	if profile != "" {
		os.MkdirAll(profile, 0o755)
		f, err := os.Create(filepath.Join(profile, "cpu.pprof"))
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			if f, err := os.Create(filepath.Join(profile, "heap.pprof")); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	t0 := time.Now()
	r, err := reduce.Reduce(ctx, st, "r")
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	hl, _ := st.Get(ctx, store.ReportFile("r", reduce.HlogFile))
	return json.NewEncoder(os.Stdout).Encode(measured{WallS: wall.Seconds(), Requests: r.Requests, Seconds: len(r.TimeSeries), HlogB: len(hl)})
}

// resultStore is a directory store whose shards s00000… each have a
// result: prototype k modulo protos, its shard id replaced.
type resultStore struct {
	store.Dir
	dir            string
	protos, shards int
}

func (s *resultStore) Get(ctx context.Context, key string) ([]byte, error) {
	shard, name, ok := store.ShardOf("r", key)
	if !ok || name != "result.json" {
		return s.Dir.Get(ctx, key)
	}
	k, err := strconv.Atoi(strings.TrimPrefix(shard, "s"))
	if err != nil {
		return nil, store.ErrNotFound
	}
	// The id is near the start: the file is read after room for a longer
	// one, and only its head is rewritten, not a copy of it all made.
	f, err := os.Open(protoPath(s.dir, k%s.protos))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const room = 16
	buf := make([]byte, room+int(fi.Size()))
	if _, err := io.ReadFull(f, buf[room:]); err != nil {
		return nil, err
	}
	b := buf[room:]
	old, id := []byte(`"shard_id":"`+protoID(k%s.protos)+`"`), []byte(`"shard_id":"`+shard+`"`)
	i := bytes.Index(b[:min(len(b), 256)], old)
	if i < 0 || len(id)-len(old) > room {
		return nil, fmt.Errorf("%s: no prototype shard id", key)
	}
	// The head up to the id moves by the difference in length.
	at := room + i + len(old) - len(id) - i
	copy(buf[at:], b[:i]) // overlapping: copy moves it as memmove does
	copy(buf[at+i:], id)
	return buf[at:], nil
}

func (s *resultStore) List(ctx context.Context, prefix string) ([]string, error) {
	keys, err := s.Dir.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	for k := range s.shards {
		if key := store.ResultKey("r", shardID(k)); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// size writes a byte count in KB, MB or GB (powers of 1,000).
func size(b float64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", b/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", b/1e6)
	}
	return fmt.Sprintf("%.0f kB", b/1e3)
}
