package plan

import (
	"fmt"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestLambdaWindows checks that every Lambda window, with the lead its
// workers are invoked with (LambdaLead for the first, WindowLead for later
// ones), its upload margin and the slack, fits inside the Lambda timeout,
// and that the windows tile the run without gap or overlap.
func TestLambdaWindows(t *testing.T) {
	tests := []struct {
		name     string
		d        time.Duration
		opt      Options
		kind     string
		windows  int
		length   time.Duration // of every window but the last
		overlap  int           // windows whose workers run at once
		reason   string
		timeout  time.Duration // the Lambda timeout the windows must fit
		firstLen time.Duration // 0: length
	}{
		// 14m20s = 900 s − 10 s lead − 15 s margin − 15 s slack: one window.
		{"longest single window", 14*time.Minute + 20*time.Second, Options{}, events.KindLambda, 1, 14*time.Minute + 20*time.Second, 1,
			"fits in one Lambda window (≤ 14m20s", LambdaTimeout, 0},
		// A second more needs two windows of 13 minutes (900 − 90 − 15 − 15 s).
		{"just over one window", 14*time.Minute + 21*time.Second, Options{}, events.KindLambda, 2, 13 * time.Minute, 2,
			"2 consecutive windows of 13m0s", LambdaTimeout, 0},
		// 20 minutes: [0, 13m), [13m, 20m).
		{"20 minutes", 20 * time.Minute, Options{}, events.KindLambda, 2, 13 * time.Minute, 2,
			"2 consecutive windows of 13m0s", LambdaTimeout, 0},
		// 50 minutes: four windows, the most before Fargate; the last 11m.
		{"50 minutes", 50 * time.Minute, Options{}, events.KindLambda, 4, 13 * time.Minute, 2,
			"4 consecutive windows of 13m0s", LambdaTimeout, 0},
		// 53 minutes would take 5 windows: Fargate, with the window named.
		{"53 minutes", 53 * time.Minute, Options{}, events.KindFargate, 1, 53 * time.Minute, 1,
			"5 consecutive Lambda windows of 13m0s (more than 4): Fargate tasks instead", LambdaTimeout, 0},
		// Unless Lambda is asked for.
		{"53 minutes on lambda", 53 * time.Minute, Options{Kind: events.KindLambda}, events.KindLambda, 5, 13 * time.Minute, 2,
			"5 consecutive windows", LambdaTimeout, 0},
		// A deployment whose worker times out after 10 minutes: windows of
		// 600 − 90 − 15 − 15 s = 8 min.
		{"10-minute timeout", 20 * time.Minute, Options{LambdaTimeout: 10 * time.Minute}, events.KindLambda, 3, 8 * time.Minute, 2,
			"3 consecutive windows of 8m0s (the 10m0s timeout", 10 * time.Minute, 0},
		// At a 3-minute timeout a window is a minute: three windows' workers
		// run at once (a window's workers outlive it by up to 15 s, and the
		// next-but-one's start 90 s before the next ends).
		{"3-minute timeout", 5 * time.Minute, Options{LambdaTimeout: 3 * time.Minute, Kind: events.KindLambda}, events.KindLambda, 5, time.Minute, 3,
			"5 consecutive windows of 1m0s", 3 * time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.RunID, tt.opt.Now, tt.opt.Backend = "r", now, BackendAWS
			tt.opt.Quotas = Quotas{LambdaConcurrency: 1000, FargateVCPU: 1000}
			p, err := Make(spec(100, tt.d, true, "http://x/"), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !contains(p.Reasons, tt.reason) {
				t.Errorf("no reason mentions %q:\n%s", tt.reason, Summary(p))
			}
			var windows []events.PlanShard
			for _, s := range p.Shards {
				if s.Index == 0 {
					windows = append(windows, s)
				}
			}
			if len(windows) != tt.windows || windows[0].Kind != tt.kind {
				t.Fatalf("%d windows of %s; want %d of %s\n%s", len(windows), windows[0].Kind, tt.windows, tt.kind, Summary(p))
			}
			var end time.Duration
			for w, s := range windows {
				from, to := s.WindowFrom.D(), s.WindowTo.D()
				if from != end {
					t.Errorf("window %d starts at %v; the previous ended at %v", w, from, end)
				}
				end = to
				if w < len(windows)-1 && to-from != tt.length {
					t.Errorf("window %d is %v long; want %v", w, to-from, tt.length)
				}
				if !s.WindowStart.Equal(p.StartAt.Add(from)) {
					t.Errorf("window %d starts at %v; want the run's start + %v", w, s.WindowStart, from)
				}
				if tt.kind != events.KindLambda {
					continue
				}
				// The worker is invoked lead before its window at the
				// earliest; its deadline is the timeout after that.
				lead := LambdaLead
				if w > 0 {
					lead = WindowLead
				}
				invoked := s.WindowStart.Add(-lead)
				if w == 0 && !invoked.Equal(now) {
					t.Errorf("window 0 invoked at %v; want at planning", invoked)
				}
				if used := lead + (to - from) + UploadMargin + WindowSlack; used > tt.timeout {
					t.Errorf("window %d [%v, %v): lead %v + window + margin %v + slack %v = %v > timeout %v",
						w, from, to, lead, UploadMargin, WindowSlack, used, tt.timeout)
				}
			}
			if end != tt.d {
				t.Errorf("the windows end at %v; the run at %v", end, tt.d)
			}
			// The quota check counts the windows whose workers run at once.
			want := "(1 shard): fits"
			if tt.overlap > 1 {
				want = fmt.Sprintf("(1 shard × %d overlapping windows", tt.overlap)
			}
			if tt.kind == events.KindLambda && !contains(p.Reasons, want) {
				t.Errorf("no reason mentions %q:\n%s", want, Summary(p))
			}
		})
	}
}

// TestLambdaTimeoutRange: a timeout that leaves less than a minute of
// window after the lead, margin and slack, or more than Lambda allows, is
// refused.
func TestLambdaTimeoutRange(t *testing.T) {
	for _, d := range []time.Duration{2 * time.Minute, 16 * time.Minute} {
		if _, err := Make(spec(10, time.Minute, true, "http://x/"), Options{Backend: BackendAWS, LambdaTimeout: d}); err == nil {
			t.Errorf("Make accepted a Lambda timeout of %v", d)
		}
	}
}
