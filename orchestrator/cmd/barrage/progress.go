package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/barrage-load/barrage/orchestrator"
)

// progress shows a run while barrage run follows it: a progress bar on a
// terminal, plain lines otherwise, and the notes that must be seen even
// with --quiet. The line gives the time into the run's schedule, its
// state, and the shards' latest figures added up (p99 is the worst
// shard's); with --quiet only notes are shown.
type progress struct {
	w       io.Writer
	quiet   bool
	bar     *progressbar.ProgressBar
	start   time.Time
	length  time.Duration
	every   time.Duration // plain lines: at most one per interval
	mu      sync.Mutex
	last    map[int]orchestrator.ShardLive
	lastAt  time.Duration
	state   string
	rate    float64 // the latest rate while the run ran
	pending string  // the latest line, not yet printed
}

var _ orchestrator.Display = (*progress)(nil)

func newProgress(w io.Writer, quiet bool, sub *orchestrator.Submitted) *progress {
	p := &progress{w: w, quiet: quiet, start: sub.Plan.StartAt, last: map[int]orchestrator.ShardLive{}, every: time.Second}
	for _, s := range sub.Plan.Shards {
		p.length = max(p.length, s.WindowTo.D())
	}
	if p.length > time.Minute {
		p.every = 10 * time.Second
	}
	if f, ok := w.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(int64(p.length/time.Second),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	return p
}

// Update records a look at the run and redraws; a failed look is printed.
func (p *progress) Update(u orchestrator.Update) {
	if p.quiet {
		return
	}
	if u.Err != nil {
		p.Note("status: " + u.Err.Error())
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := u.Status
	for _, l := range st.Live {
		p.last[l.Shard] = l
	}
	var requests, errs, dropped int64
	var p99 float64
	for _, l := range p.last {
		requests += l.Requests
		errs += l.Errors
		dropped += l.Dropped
		p99 = max(p99, l.P99Ms)
	}
	if !orchestrator.IsFinal(st.State) {
		p.rate = st.Rate // a reported run has none: keep the last
	}
	elapsed := min(max(time.Since(p.start), 0), p.length)
	line := fmt.Sprintf("%s/%s  %s  %.0f/s  p99 %s  %d requests  %d errors  shards: %d claimed, %d reported of %d",
		elapsed.Round(time.Second), p.length, st.State, p.rate, time.Duration(p99*1e6).Round(10*time.Microsecond),
		max(requests, st.Requests), errs, st.Shards.Claimed, st.Shards.Reported, st.Shards.Planned)
	if dropped > 0 {
		line += fmt.Sprintf("  %d dropped", dropped)
	}
	if p.bar != nil {
		p.bar.Describe(line)
		p.bar.Set64(int64(elapsed / time.Second))
		return
	}
	p.pending = line
	if elapsed-p.lastAt >= p.every || st.State != p.state {
		p.lastAt, p.state = elapsed, st.State
		p.flush()
	}
}

// Note prints a line, below the bar if one is shown.
func (p *progress) Note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		s = "\n" + s
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) flush() {
	if p.pending != "" {
		fmt.Fprintln(p.w, "["+p.pending+"]")
		p.pending = ""
	}
}

// End ends the display, printing the final figures.
func (p *progress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		return
	}
	p.flush()
}
