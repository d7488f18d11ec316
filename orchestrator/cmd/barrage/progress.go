package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/barrage-load/barrage/pkg/engine"
)

// progress shows a live line while a run goes: a progress bar on a
// terminal, plain lines otherwise. Shards report separately; the line sums
// them (p99 is the worst shard's).
type progress struct {
	w       io.Writer
	bar     *progressbar.ProgressBar
	length  time.Duration
	every   time.Duration // plain lines: at most one per interval
	mu      sync.Mutex
	last    []engine.Progress
	lastAt  time.Duration
	pending string // the latest line, not yet printed
}

func newProgress(w io.Writer, quiet bool, length time.Duration, shards int) *progress {
	if quiet {
		return &progress{}
	}
	p := &progress{w: w, length: length, last: make([]engine.Progress, shards), every: time.Second}
	if length > time.Minute {
		p.every = 10 * time.Second
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(int64(length/time.Second),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	return p
}

// update records shard k's progress and redraws.
func (p *progress) update(k int, pr engine.Progress) {
	if p.last == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[k] = pr
	var sum engine.Progress
	for _, x := range p.last {
		sum.Elapsed = max(sum.Elapsed, x.Elapsed)
		sum.Requests += x.Requests
		sum.Errors += x.Errors
		sum.Dropped += x.Dropped
		sum.Rate += x.Rate
		sum.P99 = max(sum.P99, x.P99)
	}
	line := fmt.Sprintf("%s/%s  %.0f/s  p99 %s  %d requests  %d errors  %d dropped",
		sum.Elapsed.Round(time.Second), p.length, sum.Rate, sum.P99.Round(10*time.Microsecond),
		sum.Requests, sum.Errors, sum.Dropped)
	if p.bar != nil {
		p.bar.Describe(line)
		p.bar.Set64(int64(sum.Elapsed / time.Second))
		return
	}
	p.pending = line
	if sum.Elapsed-p.lastAt >= p.every {
		p.lastAt = sum.Elapsed
		p.flush()
	}
}

func (p *progress) flush() {
	if p.pending != "" {
		fmt.Fprintln(p.w, "["+p.pending+"]")
		p.pending = ""
	}
}

// finish ends the display, printing the final figures.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		return
	}
	p.flush()
}
