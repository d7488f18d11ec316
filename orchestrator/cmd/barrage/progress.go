package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
)

// progress shows a run while barrage run follows it: a bar redrawn in
// place on a terminal, plain lines otherwise, and the notes that must be
// seen even with --quiet. The line gives the time into the run's schedule
// (whole seconds; the bar is that time over the schedule's length, so the
// two agree and the bar is full when the schedule ends), a staged load's
// stage or step with its planned rate, the run's state, and the shards'
// latest figures added up (Update.Totals: pkg/live's view, the one that
// judges the run; p99 is the worst shard's); with --quiet only notes are
// shown.
type progress struct {
	w      io.Writer
	quiet  bool
	width  int // the terminal's columns; 0: not a terminal
	start  time.Time
	length time.Duration
	steps  []events.Step // a staged load's; nil for the others
	finder bool          // the steps are a find-max staircase's
	every  time.Duration // plain lines: at most one per interval

	mu      sync.Mutex
	lastAt  time.Duration
	state   string
	rate    float64 // the latest rate while the run ran
	pending string  // plain: the latest line, not yet printed
	drawn   string  // terminal: the bar's line on screen
}

var _ orchestrator.Display = (*progress)(nil)

// barWidth is how many cells the bar fills.
const barWidth = 20

// newProgress returns the display of sub on w: a bar if w is a terminal.
func newProgress(w io.Writer, quiet bool, sub *orchestrator.Submitted) *progress {
	return newProgressOn(w, quiet, sub, terminalWidth(w))
}

// terminalWidth is the width of the terminal w, or 0 if w is not one.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	return 80
}

// newProgressOn returns the display of sub on w, a terminal width columns
// wide (0: not a terminal).
func newProgressOn(w io.Writer, quiet bool, sub *orchestrator.Submitted, width int) *progress {
	p := &progress{w: w, quiet: quiet, width: width, start: sub.Plan.StartAt, every: time.Second, steps: sub.Load.Steps(), finder: sub.Load.Shape == events.ShapeFindMax}
	for _, s := range sub.Plan.Shards {
		p.length = max(p.length, s.WindowTo.D())
	}
	if p.length > time.Minute {
		p.every = 10 * time.Second
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
	st, tot := u.Status, u.Totals
	if !orchestrator.IsFinal(st.State) {
		p.rate = st.Rate // a reported run has none: keep the last
	}
	el := p.elapsed()
	line := fmt.Sprintf("%s/%s  %s%s  %.0f/s  p99 %s  %d requests  %d failed  shards: %d claimed, %d reported of %d",
		el, p.length, p.step(el), st.State, p.rate, tot.WorstP99.Round(10*time.Microsecond),
		max(tot.Requests, st.Requests), tot.Failed, st.Shards.Claimed, st.Shards.Reported, st.Shards.Planned)
	if tot.Dropped > 0 {
		line += fmt.Sprintf("  %d dropped", tot.Dropped)
	}
	if p.width > 0 {
		p.draw(p.bar(el) + "  " + line)
		return
	}
	p.pending = line
	if el-p.lastAt >= p.every || st.State != p.state {
		p.lastAt, p.state = el, st.State
		p.flush()
	}
}

// elapsed is the time into the schedule, in whole seconds, up to its
// length (the schedule's end, which need not be a whole second).
func (p *progress) elapsed() time.Duration {
	el := time.Since(p.start)
	if el >= p.length {
		return p.length
	}
	return max(el.Truncate(time.Second), 0)
}

// step names the stage or step of a staged load at el into the schedule,
// with its planned rate then, to the arrival ("stage 2/3 300/s  ", "step
// 4 (600/s)  "):
// "" for the other loads, and once the schedule has ended.
func (p *progress) step(el time.Duration) string {
	if el >= p.length {
		return ""
	}
	for _, s := range p.steps {
		if el < s.From || el >= s.To {
			continue
		}
		rate := rateText(math.Round(s.Rate + (s.RampTo-s.Rate)*float64(el-s.From)/float64(s.To-s.From)))
		switch {
		case s.Warmup:
			return fmt.Sprintf("warm-up (%s/s)  ", rate)
		case p.finder:
			return fmt.Sprintf("step %d (%s/s)  ", s.Index, rate)
		}
		return fmt.Sprintf("stage %d/%d %s/s  ", s.Index, len(p.steps), rate)
	}
	return ""
}

// bar draws el over the schedule's length: "[██████░░░░░░░░░░░░░░]  30%".
func (p *progress) bar(el time.Duration) string {
	frac := 1.0
	if p.length > 0 {
		frac = float64(el) / float64(p.length)
	}
	full := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("█", full), strings.Repeat("░", barWidth-full), int(frac*100))
}

// draw puts line in place of the bar's line on screen, cut to the
// terminal's width so that it never wraps.
func (p *progress) draw(line string) {
	if n := utf8.RuneCountInString(line); n >= p.width {
		line = string([]rune(line)[:p.width-1])
	}
	p.drawn = line
	fmt.Fprint(p.w, "\r"+line+"\x1b[K")
}

// Note prints a line; on a terminal above the bar, which is drawn again.
func (p *progress) Note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn == "" {
		fmt.Fprintln(p.w, s)
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K"+s+"\n")
	p.draw(p.drawn)
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
	if p.drawn != "" {
		fmt.Fprintln(p.w)
		p.drawn = ""
		return
	}
	p.flush()
}
