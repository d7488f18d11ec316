package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/live"
)

// submitted is a run of load whose schedule lasts length, starting now.
func submitted(load events.Load, length time.Duration) *orchestrator.Submitted {
	return &orchestrator.Submitted{RunID: "r1", Load: load, Plan: &events.Plan{RunID: "r1", StartAt: time.Now(),
		Shards: []events.PlanShard{{ShardWindow: events.ShardWindow{ShardID: "s0000", WindowTo: events.Duration(length)}}}}}
}

// show feeds p a look at the run every 250 ms, from its start to 2 s past
// the schedule's end (length): running 100 requests a second, then
// reducing, then complete; then ends it. It runs in a synctest bubble.
func show(p *progress, length time.Duration) {
	start := time.Now()
	for {
		el := time.Since(start)
		st := &orchestrator.Status{RunStatus: events.RunStatus{State: events.StateRunning, Rate: 100, Requests: int64(el.Seconds() * 100)}}
		switch {
		case el >= length+2*time.Second:
			st.State = events.StateComplete
		case el >= length:
			st.State = events.StateReducing
		}
		st.Shards.Planned, st.Shards.Claimed = 1, 1
		p.Update(orchestrator.Update{Status: st, Totals: live.Totals{Shards: 1, Sending: 1, Requests: st.Requests,
			BestP99: 2 * time.Millisecond, WorstP99: 2 * time.Millisecond}})
		if st.State == events.StateComplete {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.End()
}

var stagedLoads = []struct {
	name   string
	load   events.Load
	length time.Duration
	want   map[int]string // second of the schedule → what its line shows
}{
	// Three stages of 10 s, the second a ramp from 100 to 300/s.
	{"stages", events.Load{Shape: events.ShapeStages, Stages: []events.Stage{
		{Duration: events.Duration(10 * time.Second), Rate: 100},
		{Duration: events.Duration(10 * time.Second), Rate: 100, RampTo: ptr(300.0)},
		{Duration: events.Duration(10 * time.Second), Rate: 300}}}, 30 * time.Second,
		map[int]string{0: "0s/30s  stage 1/3 100/s  ", 15: "15s/30s  stage 2/3 200/s  ", 29: "29s/30s  stage 3/3 300/s  "}},
	// A warm-up of 5 s at 100/s, then steps of 5 s at 100, 200 and 400/s.
	{"find-max", events.Load{Shape: events.ShapeFindMax, FindMax: &events.FindMax{Start: 100, Factor: 2, Max: 400,
		Step: events.Duration(5 * time.Second), Warmup: events.Duration(5 * time.Second)}}, 20 * time.Second,
		map[int]string{2: "2s/20s  warm-up (100/s)  ", 7: "7s/20s  step 1 (100/s)  ", 17: "17s/20s  step 3 (400/s)  "}},
}

func ptr[T any](v T) *T { return &v }

// TestProgressLines: on a writer that is not a terminal, progress prints
// a line a second with the time into the schedule, and for a staged load
// the stage or step it is in with its planned rate; the last line is the
// schedule's end.
func TestProgressLines(t *testing.T) {
	for _, tt := range stagedLoads {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out strings.Builder
				show(newProgress(&out, false, submitted(tt.load, tt.length)), tt.length)
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				for sec, want := range tt.want {
					if !strings.Contains(out.String(), "\n["+want) && !strings.HasPrefix(out.String(), "["+want) {
						t.Errorf("%s: no line starts [%s (second %d):\n%s", tt.name, want, sec, out.String())
					}
				}
				end := fmt.Sprintf("[%s/%s  complete", tt.length, tt.length)
				if last := lines[len(lines)-1]; !strings.HasPrefix(last, end) {
					t.Errorf("%s: last line %q; want it to start %q", tt.name, last, end)
				}
			})
		})
	}
}

// TestProgressBar: on a terminal (here a writer said to be one, 100
// columns wide), each frame redraws the bar's line in place, cut to the
// width; the bar agrees with the line and is full at the schedule's end; a
// note goes above the bar, which is drawn again below it; a staged load's
// frames name its stage.
func TestProgressBar(t *testing.T) {
	for _, tt := range stagedLoads {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out strings.Builder
				p := newProgressOn(&out, false, submitted(tt.load, tt.length), 100)
				time.AfterFunc(tt.length/2+100*time.Millisecond, func() { p.Note("a note") })
				show(p, tt.length)
				checkBar(t, out.String(), tt.length)
				for _, f := range strings.Split(out.String(), "\r") {
					if n := utf8.RuneCountInString(strings.TrimSuffix(strings.TrimSuffix(f, "\n"), "\x1b[K")); n >= 100 {
						t.Errorf("frame %q has %d runes; the terminal has 100 columns", f, n)
					}
				}
				if !strings.Contains(out.String(), "\r\x1b[Ka note\n\r[") {
					t.Errorf("the note is not on a line of its own above the bar:\n%q", out.String())
				}
				for _, want := range tt.want {
					if !strings.Contains(out.String(), "%  "+want) {
						t.Errorf("no frame shows %q:\n%q", want, out.String())
					}
				}
				if !strings.HasSuffix(out.String(), "\x1b[K\n") {
					t.Errorf("the display does not end with a new line: %q", out.String())
				}
			})
		})
	}
}

// frames splits what a progress bar drew into the frames it drew, each
// with its percentage and the time into the schedule that its line shows.
type frame struct {
	text      string
	pct       int
	el, total time.Duration
}

var (
	pctRe  = regexp.MustCompile(`(\d+)%`)
	timeRe = regexp.MustCompile(`(\d+m)?(\d+)s/((\d+m)?\d+s)`)
)

func frames(t *testing.T, out string) []frame {
	t.Helper()
	var fs []frame
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }) {
		p, tm := pctRe.FindStringSubmatch(f), timeRe.FindStringSubmatch(f)
		if p == nil || tm == nil {
			continue
		}
		pct, _ := strconv.Atoi(p[1])
		el, err1 := time.ParseDuration(tm[1] + tm[2] + "s")
		total, err2 := time.ParseDuration(tm[3])
		if err1 != nil || err2 != nil {
			t.Fatalf("frame %q: %v %v", f, err1, err2)
		}
		fs = append(fs, frame{f, pct, el, total})
	}
	return fs
}

// checkBar: every frame's bar agrees with its line (the percentage is the
// time shown over the schedule's length), and the bar reaches 100 % at
// the schedule's end.
func checkBar(t *testing.T, out string, length time.Duration) {
	t.Helper()
	fs := frames(t, out)
	full := false
	for _, f := range fs {
		if want := int(100 * f.el / f.total); f.pct != want || f.total != length {
			t.Errorf("frame %q: the bar shows %d%%, the line %s of %s (%d%%)", f.text, f.pct, f.el, f.total, want)
		}
		full = full || f.pct == 100 && f.el == length
	}
	if !full {
		t.Errorf("no frame shows 100%% at %s/%s; drew:\n%q", length, length, out)
	}
}
